"""Neighbour alerts in real Chromium (issue 9, item 4 and its check): a shop of sector A
warns its neighbours; its home shows the alert « en attente de validation »; the police
console, open, lists it first and validates it with one click; a neighbour of sector A,
its home left open, receives and decrypts it live; the operator sends the « fin
d'alerte » with a short sealed message; the neighbour sees it end, then dismisses it. A
shop of sector B receives nothing throughout. Sealed end to end: neither text is in the
database.

The server is the real ASGI application under uvicorn (as in test_live_console), since
pytest-django's live server cannot serve the stream.
"""

from __future__ import annotations

import importlib
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from maillage.members.models import Membership, Role
from maillage.territory.models import Sector, Shop
from maillage.trust.roots import demo_root_key

from .a11y import audit
from .conftest import DESKTOP, PHONE, PersonFactory, save_screenshot
from .test_envelopes import demo, demo_sign_in, member, open_console, rows_containing
from .test_live_console import app_url, live_db

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["app_url", "demo", "live_db"]  # fixtures

LIVE = 30_000  # ms: generous, a delivery is checked here, never timed


def demo_merchant(demo: Any, name: str, shop: Shop) -> Membership:
    """One more shopkeeper of the demo commune, signed in through /demo like the others."""
    seed = importlib.import_module("maillage.demo.seed")
    root_key = demo_root_key(demo.commune)
    return seed._demo_member(demo.commune, root_key, name, Role.MERCHANT, shop)  # type: ignore[no-any-return]


def alerts_of(page: Page) -> Any:
    return page.locator("section.neighbour-alerts")


def test_a_neighbour_alert_is_validated_reaches_its_sector_only_and_ends(
    open_browser: PersonFactory, demo: Any, tmp_path: Path
) -> None:
    canary = f"Deux individus ont volé des cigarettes, partis vers la gare {uuid.uuid4().hex}"
    ending = f"Fin d'alerte : les deux individus ont été interpellés {uuid.uuid4().hex}"
    reporter_member = member(demo, Role.MERCHANT)
    assert reporter_member.shop is not None
    sector_a = reporter_member.shop.sector
    shops = Shop.objects.filter(commune=demo.commune, is_active=True)
    neighbour_shop = shops.filter(sector=sector_a).exclude(pk=reporter_member.shop.pk).first()
    far_shop = (
        shops.exclude(sector=sector_a)
        .exclude(
            pk__in=Membership.objects.filter(commune=demo.commune, shop__isnull=False).values(
                "shop"
            )
        )
        .first()
    )
    assert neighbour_shop is not None and far_shop is not None
    neighbour_member = demo_merchant(demo, "Amélie Voisin", neighbour_shop)
    far_member = demo_merchant(demo, "Bruno Lointain", far_shop)
    sectors = Sector.objects.filter(commune=demo.commune).count()
    enseigne = reporter_member.shop.enseigne

    # Three shops, each on its phone, homes left open.
    reporter_person = open_browser("commercant", viewport=PHONE, passkeys=False)
    reporter = reporter_person.page
    demo_sign_in(reporter, reporter_member)
    neighbour_person = open_browser("voisin", viewport=PHONE, passkeys=False)
    neighbour = neighbour_person.page
    demo_sign_in(neighbour, neighbour_member)
    far_person = open_browser("autre-secteur", viewport=PHONE, passkeys=False)
    far = far_person.page
    demo_sign_in(far, far_member)
    for page in (reporter, neighbour, far):
        section = alerts_of(page)
        expect(section).to_have_attribute("data-loaded", "true", timeout=LIVE)
        expect(section.locator("li.neighbour-alert")).to_have_count(0)

    # The police console creates every sector's key and grants it to the sector's shops.
    operator_person = open_browser("operateur", viewport=DESKTOP, passkeys=False)
    operator = operator_person.page
    demo_sign_in(operator, member(demo, Role.OPERATOR))
    open_console(operator)
    panel = operator.locator("section.neighbour-panel")
    expect(panel.get_by_role("heading", name="Alertes aux commerces voisins")).to_be_visible()
    expect(panel.get_by_text(f"Clés de secteur détenues : {sectors}.")).to_be_visible(timeout=LIVE)
    expect(panel.get_by_text("Aucune alerte en attente de validation.")).to_be_visible()

    # The reporting shop warns its neighbours: held for validation.
    warn = alerts_of(reporter)
    warn.get_by_text("Prévenir les commerces voisins").click()
    warn.get_by_label("Message d'alerte").fill(canary)
    warn.get_by_role("button", name="Prévenir les voisins").click()
    expect(
        warn.get_by_text("Alerte envoyée : elle attend la validation de la police municipale.")
    ).to_be_visible(timeout=LIVE)
    mine = warn.locator("li.neighbour-alert").filter(has_text=canary)
    expect(mine).to_be_visible(timeout=LIVE)
    expect(mine.locator(".badge")).to_have_text("En attente de validation")
    alert_id = mine.get_attribute("data-alert")
    assert alert_id
    save_screenshot(reporter, "alerte-voisins-en-attente", tmp_path)

    # The console shows it first, decrypted, with one-click validation.
    waiting = panel.locator("li.neighbour-alert[data-status=pending]").filter(has_text=canary)
    expect(waiting).to_be_visible(timeout=LIVE)
    expect(waiting.get_by_text(f"De : {enseigne}")).to_be_visible()
    # Nothing reached the neighbours yet.
    expect(alerts_of(neighbour).locator("li.neighbour-alert")).to_have_count(0)
    assert audit(operator) == []
    validate = waiting.get_by_role("button", name=f"Valider l'alerte de {enseigne}")
    validate.focus()
    operator.keyboard.press("Enter")  # keyboard reachable

    # The neighbour's open home receives it live and decrypts it.
    received = alerts_of(neighbour).locator("li.neighbour-alert").filter(has_text=canary)
    expect(received).to_be_visible(timeout=LIVE)
    heading = alerts_of(neighbour).get_by_role("heading", name="Alertes des commerces voisins")
    expect(heading).to_be_visible()
    expect(received.locator(".badge")).to_have_text("Alerte en cours")
    expect(received.get_by_text(f"De : {enseigne}")).to_be_visible()
    expect(received.get_by_text("Fin prévue à")).to_be_visible()
    expect(
        alerts_of(neighbour).get_by_role("status").filter(has_text="Nouvelle alerte")
    ).to_have_count(1)
    expect(mine.locator(".badge")).to_have_text("Alerte en cours", timeout=LIVE)
    save_screenshot(neighbour, "alerte-voisins-recue", tmp_path)
    assert audit(neighbour) == []
    assert audit(reporter) == []

    # « Fin d'alerte », with a short message sealed to the sector.
    active = panel.locator("li.neighbour-alert[data-status=active]").filter(has_text=canary)
    active.get_by_label("Message de fin d'alerte (facultatif)").fill(ending)
    active.get_by_role("button", name=f"Fin d'alerte pour {enseigne}").click()
    expect(panel.get_by_text("Fin d'alerte envoyée.")).to_be_visible(timeout=LIVE)

    ended = alerts_of(neighbour).locator("li.neighbour-alert[data-status=ended]")
    expect(ended.filter(has_text=canary)).to_be_visible(timeout=LIVE)
    expect(ended.locator(".badge")).to_have_text("Fin d'alerte")
    expect(ended.get_by_text("Fin d'alerte donnée par la police municipale.")).to_be_visible()
    expect(ended.get_by_text(ending)).to_be_visible()
    save_screenshot(neighbour, "fin-d-alerte", tmp_path)
    assert audit(neighbour) == []
    ended.get_by_role("button", name="Compris").click()
    expect(alerts_of(neighbour).locator("li.neighbour-alert")).to_have_count(0)

    # Sector B received nothing, at any point.
    expect(alerts_of(far).locator("li.neighbour-alert")).to_have_count(0)
    expect(alerts_of(far).get_by_role("heading")).to_have_count(0)

    # Sealed end to end: the server kept the alert, never its words.
    assert rows_containing(alert_id) != []
    assert rows_containing(canary) == []
    assert rows_containing(ending) == []

    people = (
        operator_person.console
        + reporter_person.console
        + neighbour_person.console
        + far_person.console
    )
    assert [line for line in people if line.startswith("pageerror:")] == []


def test_a_refused_neighbour_alert_is_gone_for_the_reporter_and_never_reached_the_sector(
    open_browser: PersonFactory, demo: Any
) -> None:
    canary = f"Alerte à refuser {uuid.uuid4().hex}"
    reporter_member = member(demo, Role.MERCHANT)
    assert reporter_member.shop is not None
    taken = Membership.objects.filter(commune=demo.commune, shop__isnull=False).values("shop")
    neighbour_shop = (
        Shop.objects.filter(commune=demo.commune, sector=reporter_member.shop.sector)
        .exclude(pk__in=taken)
        .first()
    )
    assert neighbour_shop is not None
    neighbour_member = demo_merchant(demo, "Amélie Voisin", neighbour_shop)
    enseigne = reporter_member.shop.enseigne

    reporter_person = open_browser("commercant", viewport=PHONE, passkeys=False)
    reporter = reporter_person.page
    demo_sign_in(reporter, reporter_member)
    neighbour_person = open_browser("voisin", viewport=PHONE, passkeys=False)
    neighbour = neighbour_person.page
    demo_sign_in(neighbour, neighbour_member)
    operator_person = open_browser("operateur", viewport=DESKTOP, passkeys=False)
    operator = operator_person.page
    demo_sign_in(operator, member(demo, Role.OPERATOR))
    open_console(operator)
    panel = operator.locator("section.neighbour-panel")
    sectors = Sector.objects.filter(commune=demo.commune).count()
    expect(panel.get_by_text(f"Clés de secteur détenues : {sectors}.")).to_be_visible(timeout=LIVE)

    warn = alerts_of(reporter)
    warn.get_by_text("Prévenir les commerces voisins").click()
    warn.get_by_label("Message d'alerte").fill(canary)
    warn.get_by_role("button", name="Prévenir les voisins").click()
    mine = warn.locator("li.neighbour-alert").filter(has_text=canary)
    expect(mine.locator(".badge")).to_have_text("En attente de validation", timeout=LIVE)
    alert_id = mine.get_attribute("data-alert")
    assert alert_id

    waiting = panel.locator("li.neighbour-alert[data-status=pending]").filter(has_text=canary)
    refuse = waiting.get_by_role("button", name=f"Refuser et supprimer l'alerte de {enseigne}")
    refuse.focus()
    operator.keyboard.press("Enter")
    expect(panel.get_by_text("Alerte refusée et supprimée.")).to_be_visible(timeout=LIVE)
    expect(waiting).to_have_count(0)

    # The reporter is told, its alert leaves its home; the neighbour never saw anything.
    expect(
        warn.get_by_role("status").filter(
            has_text="Votre alerte aux commerces voisins a été refusée par la police municipale."
        )
    ).to_have_count(1, timeout=LIVE)
    expect(mine).to_have_count(0)
    expect(alerts_of(neighbour).locator("li.neighbour-alert")).to_have_count(0)
    # Deleted, not kept aside: only the event log still names the id (no content).
    assert all(row.startswith("stream.Event ") for row in rows_containing(alert_id))
    assert rows_containing(canary) == []


def test_the_reports_switch_warns_the_sector_after_the_polices_validation(
    open_browser: PersonFactory, demo: Any
) -> None:
    """The report's own « prévenir les commerces voisins » switch: the report goes to the
    police, its short alert (category and text) to the sector once an operator validates."""
    words = f"Homme parti vers la gare {uuid.uuid4().hex}"
    reporter_member = member(demo, Role.MERCHANT)
    assert reporter_member.shop is not None
    taken = Membership.objects.filter(commune=demo.commune, shop__isnull=False).values("shop")
    neighbour_shop = (
        Shop.objects.filter(commune=demo.commune, sector=reporter_member.shop.sector)
        .exclude(pk__in=taken)
        .first()
    )
    assert neighbour_shop is not None
    neighbour_member = demo_merchant(demo, "Amélie Voisin", neighbour_shop)

    operator_person = open_browser("operateur", viewport=DESKTOP, passkeys=False)
    operator = operator_person.page
    demo_sign_in(operator, member(demo, Role.OPERATOR))
    open_console(operator)
    panel = operator.locator("section.neighbour-panel")
    expect(panel.get_by_text("Aucune alerte en attente de validation.")).to_be_visible(timeout=LIVE)
    neighbour_person = open_browser("voisin", viewport=PHONE, passkeys=False)
    neighbour = neighbour_person.page
    demo_sign_in(neighbour, neighbour_member)
    expect(alerts_of(neighbour)).to_have_attribute("data-loaded", "true", timeout=LIVE)

    reporter_person = open_browser("commercant", viewport=PHONE, passkeys=False)
    reporter = reporter_person.page
    demo_sign_in(reporter, reporter_member)
    expect(alerts_of(reporter)).to_have_attribute("data-loaded", "true", timeout=LIVE)
    reporter.get_by_role("button", name="Vol / vol à l'étalage").click()
    reporter.get_by_label("Ce qui se passe (facultatif)").fill(words)
    switch = reporter.get_by_role("switch", name="Prévenir les commerces voisins")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    reporter.get_by_role("button", name="Envoyer le signalement").click()
    expect(
        reporter.get_by_text("Alerte envoyée : elle attend la validation de la police municipale.")
    ).to_be_visible(timeout=LIVE)

    waiting = panel.locator("li.neighbour-alert[data-status=pending]").filter(has_text=words)
    expect(waiting).to_be_visible(timeout=LIVE)
    expect(waiting).to_contain_text("Vol / vol à l'étalage")
    expect(alerts_of(neighbour).locator("li.neighbour-alert")).to_have_count(0)
    waiting.get_by_role(
        "button", name=f"Valider l'alerte de {reporter_member.shop.enseigne}"
    ).click()

    received = alerts_of(neighbour).locator("li.neighbour-alert").filter(has_text=words)
    expect(received).to_be_visible(timeout=LIVE)
    assert rows_containing(words) == []


def test_a_neighbouring_sectors_shop_hears_the_alert_once_the_mairie_declares_it(
    open_browser: PersonFactory, demo: Any, tmp_path: Path
) -> None:
    """The coordinator ticks sector B as sector A's neighbour on /coordination/secteurs; the
    open console hands sector A's key to B's shops, and B's open home, told live, hears
    A's next alert and names its sector as a neighbouring one."""
    canary = f"Individu parti en courant vers le marché {uuid.uuid4().hex}"
    reporter_member = member(demo, Role.MERCHANT)
    assert reporter_member.shop is not None
    sector_a = reporter_member.shop.sector
    taken = Membership.objects.filter(commune=demo.commune, shop__isnull=False).values("shop")
    far_shop = (
        Shop.objects.filter(commune=demo.commune, is_active=True)
        .exclude(sector=sector_a)
        .exclude(pk__in=taken)
        .select_related("sector")
        .first()
    )
    assert far_shop is not None
    sector_b = far_shop.sector
    far_member = demo_merchant(demo, "Chloé Voisine", far_shop)

    reporter = open_browser("commercant", viewport=PHONE, passkeys=False).page
    demo_sign_in(reporter, reporter_member)
    far = open_browser("secteur-voisin", viewport=PHONE, passkeys=False).page
    demo_sign_in(far, far_member)
    expect(alerts_of(far)).to_have_attribute("data-loaded", "true", timeout=LIVE)
    operator = open_browser("operateur", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(operator, member(demo, Role.OPERATOR))
    open_console(operator)
    panel = operator.locator("section.neighbour-panel")
    expect(panel.get_by_text("Clés de secteur détenues :")).to_be_visible(timeout=LIVE)

    # The mairie declares the neighbourhood, by keyboard-reachable checkboxes.
    coordinator = open_browser("coordination", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(coordinator, member(demo, Role.COORDINATOR))
    coordinator.goto("/coordination/secteurs")
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("Secteurs voisins")
    form = coordinator.locator(f"form[data-sector='{sector_a.pk}']")
    group = form.get_by_role("group", name=sector_a.name)
    group.get_by_role("checkbox", name=sector_b.name, exact=True).check()
    form.get_by_role("button", name=f"Enregistrer les voisins de « {sector_a.name} »").click()
    expect(form.get_by_role("status")).to_have_text(
        f"Voisins de « {sector_a.name} » enregistrés.", timeout=LIVE
    )
    # Both ways: sector B's form now shows A ticked.
    other = coordinator.locator(f"form[data-sector='{sector_b.pk}']")
    expect(other.get_by_role("checkbox", name=sector_a.name, exact=True)).to_be_checked(
        timeout=LIVE
    )
    assert audit(coordinator) == []
    save_screenshot(coordinator, "secteurs-voisins", tmp_path)

    # A's shop warns; the police validates; B's shop, its home open since before, hears it.
    warn = alerts_of(reporter)
    warn.get_by_text("Prévenir les commerces voisins").click()
    warn.get_by_label("Message d'alerte").fill(canary)
    warn.get_by_role("button", name="Prévenir les voisins").click()
    waiting = panel.locator("li.neighbour-alert[data-status=pending]").filter(has_text=canary)
    expect(waiting).to_be_visible(timeout=LIVE)
    waiting.get_by_role(
        "button", name=f"Valider l'alerte de {reporter_member.shop.enseigne}"
    ).click()
    received = alerts_of(far).locator("li.neighbour-alert").filter(has_text=canary)
    expect(received).to_be_visible(timeout=LIVE)
    expect(received.get_by_text(f"Secteur voisin : {sector_a.name}")).to_be_visible()
    expect(received.locator(".badge")).to_have_text("Alerte en cours")
    assert audit(far) == []
    save_screenshot(far, "alerte-secteur-voisin", tmp_path)

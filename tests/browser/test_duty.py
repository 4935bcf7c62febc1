"""Duty hours and fallback in real Chromium (issue 9, "How it will be checked": « With a
controllable clock, outside duty hours: the reporter sees the 17 before sending, and the
fallback recipient's device receives and decrypts the report »).

The duty clock (maillage.duty.clock) is set by the test: the ASGI server runs in a thread
of this process (maillage.stream.tests.live.serve), so it reads the same clock. Nothing
else moves: certificates, envelopes and sessions keep the real time.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from maillage.duty import clock
from maillage.duty.schedule import TIMEZONE
from maillage.members.models import Role
from maillage.stream.tests.live import live_db, serve

from .a11y import audit
from .conftest import DESKTOP, PHONE, PersonFactory, save_screenshot
from .test_envelopes import demo, demo_sign_in, latest_header, member, open_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["demo", "live_db"]  # fixtures

LIVE = 30_000  # ms: a delivery is checked here, never timed
# A Sunday afternoon: off duty with the default hours (Monday to Saturday, 08:00–20:00).
SUNDAY = datetime(2026, 12, 13, 15, 0, tzinfo=TIMEZONE)
UNREACHABLE = "La police municipale n'est pas joignable : appelez le 17"
VOL = "Vol / vol à l'étalage"
SEND = "Envoyer le signalement"
SENT_TO_FALLBACK = (
    "votre signalement a aussi été transmis, chiffré, au centre de supervision partenaire"
)


def report(shop: Page, text: str) -> None:
    """From the merchant's home: the category, a short text, « Envoyer »."""
    shop.get_by_role("button", name=VOL).click()
    expect(shop.get_by_role("heading", level=1)).to_have_text(VOL)
    shop.get_by_label("Ce qui se passe (facultatif)").fill(text)
    shop.get_by_role("button", name=SEND).click()


@pytest.fixture
def app_url(live_db: None, settings: Any, built_frontend: Path) -> Iterator[str]:
    """The ASGI application (Django and the stream), as in test_live_console."""
    with serve() as base:
        url = base.replace("127.0.0.1", "localhost")
        settings.WEBAUTHN_RP_ID = "localhost"
        settings.WEBAUTHN_ORIGINS = [url]
        settings.PUBLIC_URL = url
        settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
        settings.CSRF_TRUSTED_ORIGINS = [url]
        yield url


@pytest.fixture
def off_duty() -> Iterator[datetime]:
    clock.set_now(SUNDAY)
    try:
        yield SUNDAY
    finally:
        clock.reset()


def reachability(page: Page) -> dict[str, bool]:
    return dict(
        page.evaluate(
            """async () => (await fetch("/api/v1/duty/reachability",
                {credentials: "same-origin"})).json()"""
        )
    )


def test_off_duty_the_fallback_partners_device_receives_the_report_live_and_decrypts_it(
    open_browser: PersonFactory, demo: Any, off_duty: datetime, tmp_path: Path
) -> None:
    merchant = member(demo, Role.MERCHANT)
    partner = member(demo, Role.PARTNER)
    assert merchant.shop is not None
    enseigne = merchant.shop.enseigne
    text = f"Individu menaçant, vitrine brisée {uuid.uuid4().hex}"

    # The partner's centre, open on its own page before anything is sent.
    centre_person = open_browser("partenaire", viewport=DESKTOP, passkeys=False)
    centre = centre_person.page
    demo_sign_in(centre, partner)
    centre.get_by_role("link", name="Signalements reçus en repli").click()  # from its home
    expect(centre.get_by_role("heading", level=1)).to_have_text("Signalements reçus en repli")
    expect(centre.get_by_text("Aucun signalement reçu en repli.")).to_be_visible()

    shop_person = open_browser("commercant", viewport=PHONE, passkeys=False)
    shop = shop_person.page
    demo_sign_in(shop, merchant)
    # Off duty, nobody connected: not reachable, and a fallback exists.
    assert reachability(shop) == {
        "reachable": False,
        "on_duty": False,
        "operators_connected": False,
        "fallback": True,
    }
    report(shop, text)
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()

    # Sealed to the partner's device: the signed header lists it as a recipient.
    header = latest_header(merchant.shop.public_id)
    recipients = {r["id"] for r in header["recipients"] if r["kind"] == "device"}
    partner_devices = {str(d.public_id) for d in partner.devices.filter(status="active")}
    assert recipients & partner_devices, "le signalement n'est pas scellé pour le partenaire"

    # The centre's page, never reloaded, lists it and opens it on its device.
    open_button = centre.get_by_role("button", name=f"Ouvrir le signalement de {enseigne}")
    expect(open_button).to_be_visible(timeout=LIVE)
    expect(
        centre.get_by_role("status").filter(has_text="Nouveau signalement reçu en repli.")
    ).to_have_count(1)
    open_button.click()
    expect(centre.get_by_text(text)).to_be_visible()
    save_screenshot(centre, "repli-recu", tmp_path)

    # Back on duty with the police console open: the police is reachable, and a new
    # report's key directory no longer names the partner.
    clock.set_now(datetime(2026, 12, 14, 10, 0, tzinfo=TIMEZONE))  # a Monday morning
    operator = open_browser("operateur", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(operator, member(demo, Role.OPERATOR))
    operator.get_by_role("link", name="Ouvrir la console police").click()
    expect(operator.get_by_role("heading", level=1)).to_have_text("Console police")

    def reachable() -> bool:
        return reachability(shop)["reachable"]

    for _ in range(60):
        if reachable():
            break
        shop.wait_for_timeout(250)
    assert reachable(), "la présence de l'opérateur n'a pas été enregistrée"
    directory = shop.evaluate(
        """async () => (await fetch("/api/v1/trust/recipients",
            {credentials: "same-origin"})).json()"""
    )
    listed = {entry["device"] for entry in directory["devices"]}
    assert not listed & partner_devices
    assert all("fallback" not in entry for entry in directory["devices"])

    people = centre_person.console + shop_person.console
    assert [line for line in people if line.startswith("pageerror:")] == []


def test_off_duty_the_reporter_sees_the_17_before_sending(
    open_browser: PersonFactory, demo: Any, off_duty: datetime
) -> None:
    shop = open_browser("commercant", viewport=PHONE, passkeys=False).page
    demo_sign_in(shop, member(demo, Role.MERCHANT))
    shop.get_by_role("button", name=VOL).click()
    expect(shop.get_by_role("heading", level=1)).to_have_text(VOL)
    banner = shop.get_by_role("alert").filter(has_text=UNREACHABLE)
    expect(banner).to_be_visible(timeout=5_000)
    expect(banner.get_by_role("link", name="Appeler le 17")).to_have_attribute("href", "tel:17")
    # And once sent, the reporter is told the partner received it too.
    shop.get_by_role("button", name="Envoyer le signalement").click()
    expect(shop.get_by_text(SENT_TO_FALLBACK)).to_be_visible(timeout=30_000)

    # Nothing waits silently: the console, opened later, marks what arrived unwatched.
    police = open_browser("operateur", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(police, member(demo, Role.OPERATOR))
    open_console(police)
    expect(police.get_by_text("Arrivé hors service / sans opérateur connecté").first).to_be_visible(
        timeout=30_000
    )


def test_the_duty_settings_page_sets_hours_and_fallback_and_passes_the_audit(
    open_browser: PersonFactory, demo: Any, off_duty: datetime, tmp_path: Path
) -> None:
    page = open_browser("coordinatrice", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(page, member(demo, Role.COORDINATOR))
    page.goto("/coordination/permanence")
    expect(page.get_by_role("heading", level=1)).to_have_text("Horaires de service et repli")
    expect(page.get_by_text("Hors service en ce moment")).to_be_visible()
    monday = page.get_by_role("group", name="Lundi, plage 1")
    expect(monday.get_by_label("Début")).to_have_value("08:00")
    # The demo names its supervision centre as the fallback recipient.
    expect(page.get_by_label("Centre de supervision intercommunal")).to_be_checked()
    assert audit(page) == []

    # Sunday afternoon on duty, and a closed bank holiday.
    page.get_by_role("button", name="Ajouter une plage le Dimanche").click()
    sunday = page.get_by_role("group", name="Dimanche, plage 1")
    sunday.get_by_label("Début").fill("14:00")
    sunday.get_by_label("Fin").fill("02:00")
    page.get_by_role("button", name="Ajouter une exception").click()
    page.get_by_role("group", name="Exception 1").get_by_label("Date").fill("2026-12-25")
    page.get_by_role("group", name="Exception 1").get_by_label("Libellé (facultatif)").fill("Noël")
    page.get_by_role("button", name="Enregistrer les horaires").click()
    expect(page.get_by_role("status").filter(has_text="Horaires enregistrés.")).to_be_visible()
    expect(page.get_by_text("En service en ce moment.")).to_be_visible()
    assert audit(page) == []

    # Overlapping ranges: the French refusal, nothing stored.
    page.get_by_role("button", name="Ajouter une plage le Lundi").click()
    second = page.get_by_role("group", name="Lundi, plage 2")
    second.get_by_label("Début").fill("10:00")
    second.get_by_label("Fin").fill("12:00")
    page.get_by_role("button", name="Enregistrer les horaires").click()
    expect(page.get_by_role("alert")).to_contain_text(
        re.compile(r"Des plages horaires se chevauchent \(lundi\)")
    )
    expect(second.get_by_label("Début")).to_have_attribute("aria-invalid", "true")
    save_screenshot(page, "horaires-refus", tmp_path)
    assert audit(page) == []
    page.reload()
    expect(page.get_by_role("group", name="Lundi, plage 2")).to_have_count(0)
    expect(page.get_by_role("group", name="Dimanche, plage 1").get_by_label("Fin")).to_have_value(
        "02:00"
    )
    # On a phone too (390 px): no control too small, nothing unnamed.
    page.set_viewport_size(PHONE)
    assert audit(page) == []

"""axe-core on every page issue 9 added (the merchant's alert home and confirmation
screen, the console with its neighbour-alert panel, the mairie's screens, the duty
settings, the partner's fallback page) and on the states of « Notifications sur cet
appareil » (issue 11): no serious or critical violation, on a phone for the merchant and
on a desktop for the others."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from maillage.members.models import Membership, Role
from maillage.testing.push_receiver import PushReceiver

from .a11y import axe
from .conftest import DESKTOP, PHONE, PersonFactory
from .push_service import install_push_stand_in
from .test_envelopes import demo, demo_sign_in, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["demo"]  # fixture


def settled(page: Page, heading: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(heading, timeout=20_000)
    page.wait_for_load_state("networkidle")


def violations(page: Page, where: str) -> list[str]:
    return [f"{where} : {problem}" for problem in axe(page)]


def test_the_merchant_alert_pages_have_no_serious_axe_violation(
    open_browser: PersonFactory, demo: Any
) -> None:
    who: Membership = member(demo, Role.MERCHANT)
    assert who.shop is not None
    page = open_browser("commercant", viewport=PHONE, passkeys=False).page
    demo_sign_in(page, who)
    expect(page.get_by_role("button", name="Vol / vol à l'étalage")).to_be_visible()
    found = violations(page, "accueil commerçant")
    page.get_by_role("button", name="Agression en cours").click()
    settled(page, "Agression en cours")
    found += violations(page, "confirmation (agression)")
    page.goto("/signaler")
    settled(page, "Signaler un incident")
    found += violations(page, "signaler un incident")
    assert found == []


def test_the_police_and_mairie_pages_have_no_serious_axe_violation(
    open_browser: PersonFactory, demo: Any
) -> None:
    found: list[str] = []
    police = open_browser("operateur", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(police, member(demo, Role.OPERATOR))
    police.get_by_role("link", name="Ouvrir la console police").click()
    settled(police, "Console police")
    expect(police.locator("section.neighbour-panel")).to_be_visible()
    found += violations(police, "console police")

    mairie = open_browser("coordinateur", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(mairie, member(demo, Role.COORDINATOR))
    for path in (
        "/coordination/commerces",
        "/coordination/commerces/nouveau",
        "/coordination/commerces/import",
        "/coordination/reglages",
        "/coordination/charte",
        "/coordination/permanence",
        "/coordination/joignabilite",
    ):
        mairie.goto(path)
        expect(mairie.get_by_role("heading", level=1)).to_be_visible(timeout=20_000)
        mairie.wait_for_load_state("networkidle")
        found += violations(mairie, path)
    assert found == []


def test_the_partner_page_has_no_serious_axe_violation(
    open_browser: PersonFactory, demo: Any
) -> None:
    page = open_browser("partenaire", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(page, member(demo, Role.PARTNER))
    page.get_by_role("link", name="Signalements reçus en repli").click()
    settled(page, "Signalements reçus en repli")
    assert violations(page, "/repli") == []


def test_the_agent_page_has_no_serious_axe_violation(
    open_browser: PersonFactory, demo: Any
) -> None:
    """« Mes interventions » with nothing to do yet (test_dispatch audits it with a report)."""
    page = open_browser("agent", passkeys=False).page
    demo_sign_in(page, member(demo, Role.AGENT))
    page.get_by_role("link", name="Mes interventions").click()
    settled(page, "Mes interventions")
    expect(page.get_by_text("Vous n'êtes envoyé sur aucun signalement")).to_be_visible()
    assert violations(page, "/agent") == []


def test_the_notification_consent_states_have_no_serious_axe_violation(
    open_browser: PersonFactory, demo: Any, app_url: str
) -> None:
    """The box not ticked, notifications on, then blocked by the browser (after a
    withdrawal), on the merchant's home; test_push_consent checks what they do."""
    with PushReceiver() as receiver:
        person = open_browser("commercant", viewport=PHONE, passkeys=False)
        install_push_stand_in(person.context, receiver)
        page = person.page
        demo_sign_in(page, member(demo, Role.MERCHANT))
        panel = page.get_by_role("region", name="Notifications sur cet appareil")
        agree = panel.get_by_role("checkbox")
        panel.get_by_role("button", name="Activer les notifications").click()
        expect(panel.get_by_role("alert")).to_contain_text("Cochez d'abord la case")
        found = violations(page, "notifications : case non cochée")

        person.context.grant_permissions(["notifications"], origin=app_url)
        agree.check()
        panel.get_by_role("button", name="Activer les notifications").click()
        expect(panel.get_by_role("status")).to_have_text("Notifications activées sur cet appareil")
        found += violations(page, "notifications activées")

        panel.get_by_role("button", name="Ne plus recevoir de notifications").click()
        expect(panel.get_by_role("button", name="Activer les notifications")).to_be_visible()
        person.context.clear_permissions()  # headless Chromium then answers « block »
        agree.check()
        panel.get_by_role("button", name="Activer les notifications").click()
        expect(panel.get_by_role("alert")).to_contain_text("paramètres du site")
        found += violations(page, "notifications bloquées")
    assert found == []


def test_axe_sees_a_violation_when_there_is_one(open_browser: PersonFactory, demo: Any) -> None:
    """The positive control: a page of ours with an unlabelled button and an image without
    alternative text is reported, so an empty list above means something."""
    page = open_browser("controle", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(page, member(demo, Role.MERCHANT))
    page.evaluate(
        """() => {
        const main = document.querySelector("main");
        main.insertAdjacentHTML("beforeend", '<button id="axe-probe"></button><img src="/x.png">');
    }"""
    )
    found = axe(page)
    assert any(problem.startswith("button-name") for problem in found), found
    assert any(problem.startswith("image-alt") for problem in found), found

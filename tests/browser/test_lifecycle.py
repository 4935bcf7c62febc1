"""The incident lifecycle in real Chromium (issue 10, items 2 and 4): an operator takes a
shop's report from « signalé » to « clôturé » with the console's buttons and keyboard
shortcuts, one legal step at a time; the shop's home, left open, shows every step live,
each with the time since the report."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from maillage.members.models import Role
from maillage.stream.tests.live import live_db, serve

from .a11y import audit, axe
from .conftest import DESKTOP, PHONE, PersonFactory, save_screenshot
from .test_envelopes import demo, demo_sign_in, member, open_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["demo", "live_db"]

LIVE = 30_000  # ms: a delivery is checked, never timed


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


def state_is(page: Page, label: str) -> None:
    panel = page.locator("section.lifecycle")
    expect(panel.locator(".badge-state")).to_have_text(f"État : {label}", timeout=LIVE)


def step_line(page: Page, step: str) -> Any:
    return page.locator(".report-progress li").filter(
        has_text=re.compile(rf"^{re.escape(step)} — \d+ (s|min \d\d s)$")
    )


def test_an_operator_takes_a_report_to_closure_and_the_shop_sees_every_step(
    open_browser: PersonFactory, demo: Any, tmp_path: Path
) -> None:
    merchant = member(demo, Role.MERCHANT)
    operator_member = member(demo, Role.OPERATOR)
    assert merchant.shop is not None
    enseigne = merchant.shop.enseigne

    operator_person = open_browser("operateur", viewport=DESKTOP, passkeys=False)
    operator = operator_person.page
    demo_sign_in(operator, operator_member)
    open_console(operator)
    expect(operator.get_by_text("Aucun signalement pour l'instant.")).to_be_visible()

    shop_person = open_browser("commercant", viewport=PHONE, passkeys=False)
    shop = shop_person.page
    demo_sign_in(shop, merchant)
    shop.get_by_role("link", name="Signaler un incident").first.click()
    shop.get_by_label("Ce qui se passe (facultatif)").fill(f"Individu menaçant {uuid.uuid4().hex}")
    shop.get_by_role("button", name="Envoyer le signalement").click()
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()
    shop.goto("/")
    expect(shop.get_by_text("Signalement reçu", exact=True)).to_be_visible(timeout=LIVE)
    expect(
        shop.get_by_text(re.compile(r"^En attente de prise en charge depuis \d+"))
    ).to_be_visible()

    # The queue row says where the report stands; opening it offers the one legal step.
    row = operator.locator("ul.incident-list li").filter(has_text=enseigne)
    expect(row.locator(".badge-state")).to_have_text("État : Signalé", timeout=LIVE)
    row.get_by_role("button", name=f"Ouvrir le signalement de {enseigne}").click()
    take = operator.get_by_role("button", name="Prendre en charge")
    expect(take).to_have_attribute("aria-keyshortcuts", "P")
    expect(operator.get_by_role("button", name="Engager une intervention")).to_have_count(0)
    expect(operator.get_by_text("Raccourcis clavier", exact=False)).to_be_visible()
    found = [f"console : {problem}" for problem in axe(operator) + audit(operator)]

    take.click()
    state_is(operator, "Pris en charge")
    expect(
        operator.get_by_text(f"Pris en charge par {operator_member.person.display_name}")
    ).to_be_visible()
    expect(step_line(shop, "Pris en charge par la police municipale")).to_have_count(
        1, timeout=LIVE
    )
    expect(shop.get_by_text("En attente de prise en charge", exact=False)).to_have_count(0)
    # From « pris en charge », closing as an arrest is not offered (nor its key).
    expect(operator.get_by_role("button", name="Clôturer : Interpellation")).to_have_count(0)
    operator.keyboard.press("1")
    state_is(operator, "Pris en charge")

    operator.keyboard.press("f")  # « doute levé : fondé »
    state_is(operator, "Doute levé")
    expect(operator.get_by_text("Doute levé : fondé", exact=True)).to_be_visible()
    operator.keyboard.press("e")
    state_is(operator, "Intervention engagée")
    operator.get_by_role("button", name="Sur place").click()
    state_is(operator, "Sur place")
    expect(operator.get_by_role("group", name="Clôturer avec l'issue")).to_be_visible()
    operator.keyboard.press("1")  # « clôturer : interpellation »
    state_is(operator, "Clôturé")
    expect(operator.get_by_text("Issue : Interpellation")).to_be_visible()
    expect(operator.get_by_text("Signalement clôturé : aucune autre étape.")).to_be_visible()
    # Our own steps are said in the step's status, not again as someone else's change.
    said = operator.get_by_text("Ce signalement est passé à", exact=False)
    assert said.count() == 0, said.all_inner_texts()
    save_screenshot(operator, "console-cloture", tmp_path)

    # The shop's home, never reloaded, shows every step with its elapsed time.
    for step in (
        "Pris en charge par la police municipale",
        "Doute levé par la police municipale",
        "Intervention engagée",
        "Police municipale sur place",
        "Signalement clôturé",
    ):
        expect(step_line(shop, step)).to_have_count(1, timeout=LIVE)
    expect(
        shop.get_by_role("status").filter(has_text="Nouvelle étape : Signalement clôturé.")
    ).to_have_count(1)
    save_screenshot(shop, "suivi-signalement", tmp_path)
    found += [f"accueil : {problem}" for problem in axe(shop) + audit(shop)]
    assert found == []

    # Back in the queue, the row shows the state reached.
    operator.get_by_role("button", name="Fermer le signalement").click()
    expect(row.locator(".badge-state")).to_have_text("État : Clôturé")

    people = operator_person.console + shop_person.console
    assert [line for line in people if line.startswith("pageerror:")] == []

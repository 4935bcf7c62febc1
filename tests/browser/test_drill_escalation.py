"""Drills and escalation in Chromium: the operator starts a drill from the console; the
shop's open home shows it, its confirmation screen sends the report as part of it (« Vrai
signalement » unticked), and the console tags the report « Exercice ». Nobody takes it:
the server's timer escalates it, the console shows « Escalade 1 » live, and the shop's
card tells it, live, to call 17. A real report sent during the drill is not tagged, and
the statistics count only it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from maillage.incidents.escalation import escalate_due
from maillage.incidents.models import Incident
from maillage.members.models import Role
from maillage.stream.tests.live import live_db, serve

from .a11y import audit
from .conftest import DESKTOP, PHONE, PersonFactory
from .test_envelopes import demo, demo_sign_in, member, open_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["demo", "live_db"]  # fixtures

LIVE = 30_000  # ms: a delivery is checked, never timed


@pytest.fixture
def app_url(live_db: None, settings: Any, built_frontend: Path) -> Iterator[str]:
    with serve() as base:
        url = base.replace("127.0.0.1", "localhost")
        settings.WEBAUTHN_RP_ID = "localhost"
        settings.WEBAUTHN_ORIGINS = [url]
        settings.PUBLIC_URL = url
        settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
        settings.CSRF_TRUSTED_ORIGINS = [url]
        yield url


def test_a_drill_report_is_tagged_escalates_and_the_shop_is_told_to_call_17(
    open_browser: PersonFactory, demo: Any
) -> None:
    merchant = member(demo, Role.MERCHANT)
    assert merchant.shop is not None
    enseigne = merchant.shop.enseigne
    operator = open_browser("operateur", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(operator, member(demo, Role.OPERATOR))
    open_console(operator)
    shop = open_browser("commercant", viewport=PHONE, passkeys=False).page
    demo_sign_in(shop, merchant)

    # The console starts a drill; the shop's open home shows it.
    drill = operator.get_by_role("region", name="Exercice")
    drill.get_by_label("Nom de l'exercice").fill("Exercice vol rue Nationale")
    drill.get_by_role("button", name="Commencer un exercice").click()
    expect(drill.get_by_role("button", name="Terminer l'exercice")).to_be_visible(timeout=LIVE)
    expect(shop.get_by_text("EXERCICE en cours : « Exercice vol rue Nationale ».")).to_be_visible(
        timeout=LIVE
    )
    assert audit(shop) == []

    # Sent as part of the drill: the screen says so, and the box for a real one is unticked.
    shop.get_by_role("link", name="Signaler un incident").first.click()
    legend = shop.get_by_role(
        "group", name="Exercice Exercice en cours : « Exercice vol rue Nationale »"
    )
    expect(legend.get_by_label("Vrai signalement (hors exercice)")).not_to_be_checked()
    assert audit(shop) == []
    shop.get_by_label("Ce qui se passe (facultatif)").fill(f"Exercice {uuid.uuid4().hex}")
    shop.get_by_role("button", name="Envoyer le signalement").click()
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible(timeout=LIVE)
    row = operator.locator("ul.incident-list li").filter(has_text=enseigne)
    expect(row.locator(".badge-exercise")).to_have_text("Exercice", timeout=LIVE)
    [drilled] = Incident.objects.filter(commune=demo.commune)
    assert drilled.exercise is not None

    # Nobody takes it: the timer escalates it (run here, as each server's ticker does).
    shop.goto("/")
    expect(shop.get_by_text("Signalement reçu", exact=True)).to_be_visible(timeout=LIVE)
    assert escalate_due(drilled.created_at + timedelta(seconds=61)) == 1
    expect(row.locator(".badge-escalation")).to_have_text("Escalade 1", timeout=LIVE)
    expect(
        operator.get_by_role("status").filter(has_text=f"Escalade : « {enseigne} » attend")
    ).to_be_visible(timeout=LIVE)
    warning = shop.get_by_role("alert").filter(has_text="Toujours pas pris en charge.")
    expect(warning).to_be_visible(timeout=LIVE)
    expect(warning.get_by_role("link", name="Appeler le 17")).to_have_attribute("href", "tel:17")
    assert audit(shop) == []
    assert audit(operator) == []

    # A real report during the drill is not tagged, and it alone is counted.
    shop.get_by_role("link", name="Signaler un incident").first.click()
    shop.get_by_label("Vrai signalement (hors exercice)").check()
    shop.get_by_role("button", name="Envoyer le signalement").click()
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible(timeout=LIVE)
    real = Incident.objects.filter(commune=demo.commune).exclude(pk=drilled.pk).get()
    assert real.exercise is None
    operator.goto("/statistiques")
    expect(operator.get_by_text("1 signalement(s) du")).to_be_visible(timeout=LIVE)

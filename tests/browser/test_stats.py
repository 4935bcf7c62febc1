"""The first statistics page in Chromium: an operator reads the figures of the demo
commune's reports (the simulator's, one of them taken through to an intervention), each
rate with its count and flagged as too small for a trend; the sector filter narrows it;
a shopkeeper has no such page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from maillage.client.simulate import Simulator
from maillage.incidents import workflow
from maillage.incidents.models import Incident
from maillage.members.models import Role
from maillage.territory.models import Sector
from maillage.testing.seed import without_alert_limits

from .a11y import audit
from .conftest import DESKTOP, PHONE, PersonFactory
from .test_envelopes import demo, demo_sign_in, member
from .test_live_console import app_url, live_db

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["app_url", "demo", "live_db"]  # fixtures


def test_an_operator_reads_the_figures_with_their_counts(
    open_browser: PersonFactory, demo: Any, app_url: str
) -> None:
    without_alert_limits(demo.commune)
    with Simulator(app_url, seed=3, log=lambda line: None) as simulator:
        outcomes = [simulator.send_one() for _ in range(3)]
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    incidents = list(Incident.objects.filter(commune=demo.commune).select_related("shop"))
    operator = member(demo, Role.OPERATOR)
    answered = incidents[0]
    for step in (workflow.take, workflow.engage):
        if step is workflow.engage:
            workflow.lift_doubt(operator, None, answered, "founded")
        step(operator, None, answered)
    used = {i.shop.sector_id for i in incidents}
    quiet = Sector.objects.filter(commune=demo.commune).exclude(pk__in=used).first()

    page = open_browser("operateur", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(page, operator)
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Statistiques"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistiques")
    expect(page.get_by_text(f"{len(incidents)} signalement(s) du")).to_be_visible()
    expect(page.get_by_test_id("stats-target")).to_have_text(
        "1 sur 1 (100 %) — trop peu pour une tendance"
    )
    steps = page.get_by_role("table", name="Délais depuis le signalement, par étape")
    taken = steps.get_by_role("row", name="Prise en charge")
    expect(taken.get_by_role("cell").first).to_have_text(f"1 / {len(incidents)}")
    expect(page.get_by_role("table", name="Par secteur")).to_contain_text(answered.shop.sector.name)
    assert audit(page) == []

    if quiet is not None:
        page.get_by_label("Secteur", exact=True).select_option(label=quiet.name)
        page.get_by_role("button", name="Afficher").click()
        expect(page.get_by_text("Aucun signalement sur cette période.")).to_be_visible()

    shopkeeper = open_browser("commercant", viewport=PHONE, passkeys=False).page
    demo_sign_in(shopkeeper, member(demo, Role.MERCHANT))
    nav = shopkeeper.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link", name="Statistiques")).to_have_count(0)
    shopkeeper.goto("/statistiques")
    expect(shopkeeper.get_by_role("heading", level=1)).to_have_text("Statistiques")
    expect(shopkeeper.locator(".callout-warning")).to_be_visible()

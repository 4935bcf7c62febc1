"""One patrol for a crisis cluster, in Chromium (issue 10, item 7): a shop sends two reports
in a row; the console proposes them as one cluster, the operator confirms it, takes it in
charge at once, then sends one agent to all of it. The console's device opens every report
and grants each its own keys; the agent's phone lists both reports and decrypts them."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from maillage.incidents.models import Dispatch
from maillage.members.models import Role

from .a11y import audit
from .conftest import DESKTOP, PHONE, PersonFactory
from .test_envelopes import demo, demo_sign_in, member, open_console
from .test_live_console import app_url, live_db

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["app_url", "demo", "live_db"]  # fixtures

LIVE = 30_000  # ms: a delivery is checked, never timed


def test_one_agent_is_sent_to_a_whole_cluster_and_reads_every_report(
    open_browser: PersonFactory, demo: Any, tmp_path: Path
) -> None:
    merchant = member(demo, Role.MERCHANT)
    agent_member = member(demo, Role.AGENT)
    assert merchant.shop is not None
    enseigne = merchant.shop.enseigne
    texts = [f"Vol en cours, rayon {n} {uuid.uuid4().hex}" for n in (1, 2)]

    operator = open_browser("operateur", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(operator, member(demo, Role.OPERATOR))
    open_console(operator)
    agent = open_browser("agent", viewport=PHONE, passkeys=False).page
    demo_sign_in(agent, agent_member)
    agent.get_by_role("link", name="Mes interventions").click()
    expect(agent.get_by_text("Vous n'êtes envoyé sur aucun signalement")).to_be_visible()

    shop = open_browser("commercant", viewport=PHONE, passkeys=False).page
    demo_sign_in(shop, merchant)
    for text in texts:
        shop.goto("/")
        shop.get_by_role("link", name="Signaler un incident").first.click()
        shop.get_by_label("Ce qui se passe (facultatif)").fill(text)
        shop.get_by_role("button", name="Envoyer le signalement").click()
        expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible(timeout=LIVE)

    panel = operator.locator("section.cluster-panel")
    panel.get_by_role("button", name="Regrouper ces 2 signalements").click(timeout=LIVE)
    panel.get_by_role("button", name="Prendre en charge tout le regroupement").click()
    expect(panel.get_by_text("2 signalement(s) pris en charge.")).to_be_visible(timeout=LIVE)
    patrol = panel.get_by_role("group", name="Envoyer une patrouille sur les 2 signalements")
    patrol.get_by_role("checkbox", name=agent_member.person.display_name).check()
    assert audit(operator) == []
    patrol.get_by_role("button", name="Envoyer sur tout le regroupement").click()
    expect(panel.get_by_text("Patrouille envoyée sur 2 signalement(s).")).to_be_visible(
        timeout=LIVE
    )
    assert Dispatch.objects.filter(agent=agent_member, released_at__isnull=True).count() == 2

    items = agent.locator("ul.agent-list li").filter(has_text=enseigne)
    expect(items).to_have_count(2, timeout=LIVE)
    read: set[str] = set()
    for index in range(2):
        items.nth(index).get_by_role("button", name=f"Ouvrir le signalement de {enseigne}").click()
        shown = [agent.get_by_text(text) for text in texts]
        expect(shown[0].or_(shown[1])).to_be_visible(timeout=LIVE)
        read |= {text for text, locator in zip(texts, shown, strict=True) if locator.count()}
        agent.get_by_role("button", name="Retour à mes interventions").click()
    assert read == set(texts)  # each report decrypted through its own grant

    # The whole cluster closes at once; each report keeps its own closure, the agent is freed.
    closing = panel.get_by_role("group", name="Clôturer les 2 signalements")
    closing.get_by_role("radio", name="orienté vers la police nationale ou la gendarmerie").check()
    closing.get_by_role("button", name="Clôturer tout le regroupement").click()
    expect(panel.get_by_text("2 signalement(s) clôturé(s).")).to_be_visible(timeout=LIVE)
    assert not Dispatch.objects.filter(agent=agent_member, released_at__isnull=True).exists()
    expect(agent.locator("ul.agent-list li")).to_have_count(0, timeout=LIVE)

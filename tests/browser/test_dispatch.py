"""Dispatch in real Chromium (issue 10, items 2 and 3): an operator takes a shop's report
and sends an agent with the console's « Envoyer un agent » (key A); the operator's device
seals the content key of every message to the agent's certified devices. The agent's
phone, open on « Mes interventions », sees the report arrive live and decrypts it through
the grant, taps « En route » then « Sur place »; the console shows each status live. The
operator closes: the agent is released and its active list empties."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from maillage.incidents.models import ContentKeyGrant, Dispatch
from maillage.members.models import Role

from .a11y import audit, axe
from .conftest import DESKTOP, PHONE, PersonFactory, save_screenshot
from .test_envelopes import demo, demo_sign_in, member, open_console, rows_containing
from .test_lifecycle import state_is
from .test_live_console import app_url, live_db

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["app_url", "demo", "live_db"]  # fixtures

LIVE = 30_000  # ms: a delivery is checked, never timed


def test_an_operator_sends_an_agent_who_reads_the_report_and_reports_its_status(
    open_browser: PersonFactory, demo: Any, tmp_path: Path
) -> None:
    merchant = member(demo, Role.MERCHANT)
    operator_member = member(demo, Role.OPERATOR)
    agent_member = member(demo, Role.AGENT)
    assert merchant.shop is not None
    enseigne = merchant.shop.enseigne
    agent_name = agent_member.person.display_name
    text = f"Vol à l'étalage en cours {uuid.uuid4().hex}"

    operator_person = open_browser("operateur", viewport=DESKTOP, passkeys=False)
    operator = operator_person.page
    demo_sign_in(operator, operator_member)
    open_console(operator)
    expect(operator.get_by_text("Aucun signalement pour l'instant.")).to_be_visible()

    # The agent's phone, signed in first: its device is certified, its list empty.
    agent_person = open_browser("agent", viewport=PHONE, passkeys=False)
    agent = agent_person.page
    demo_sign_in(agent, agent_member)
    agent.get_by_role("link", name="Mes interventions").click()
    expect(agent.get_by_role("heading", level=1)).to_have_text("Mes interventions")
    expect(agent.get_by_text("Vous n'êtes envoyé sur aucun signalement")).to_be_visible()

    shop_person = open_browser("commercant", viewport=PHONE, passkeys=False)
    shop = shop_person.page
    demo_sign_in(shop, merchant)
    shop.get_by_role("link", name="Signaler un incident").first.click()
    shop.get_by_label("Ce qui se passe (facultatif)").fill(text)
    shop.get_by_role("button", name="Envoyer le signalement").click()
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()

    row = operator.locator("ul.incident-list li").filter(has_text=enseigne)
    row.get_by_role("button", name=f"Ouvrir le signalement de {enseigne}").click(timeout=LIVE)
    expect(operator.get_by_text(text)).to_be_visible()
    # Not before the report is taken in charge.
    expect(operator.get_by_role("button", name="Envoyer un agent")).to_have_count(0)
    operator.keyboard.press("p")
    state_is(operator, "Pris en charge")
    operator.keyboard.press("f")
    state_is(operator, "Doute levé")
    operator.keyboard.press("e")
    state_is(operator, "Intervention engagée")

    send = operator.get_by_role("button", name="Envoyer un agent")
    expect(send).to_have_attribute("aria-keyshortcuts", "A")
    operator.keyboard.press("a")
    panel = operator.locator("form.dispatch-panel")
    expect(panel.get_by_role("heading", name="Envoyer un agent")).to_be_focused()
    operator.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    expect(send).to_be_focused()
    operator.keyboard.press("a")
    expect(panel.get_by_role("heading", name="Envoyer un agent")).to_be_focused()
    choice = panel.get_by_role("checkbox", name=agent_name)
    expect(choice).to_have_accessible_description("disponible")
    found = [f"console : {problem}" for problem in axe(operator) + audit(operator)]
    choice.check()
    panel.get_by_role("button", name="Envoyer", exact=True).click()
    expect(operator.get_by_text(f"Envoyé sur le signalement : {agent_name}.")).to_be_visible()
    sent = operator.locator("section.dispatched li").filter(has_text=agent_name)
    expect(sent.locator(".badge-dispatch")).to_have_text("envoyé")
    # One grant per message and per certified device of the agent, signed on this device.
    dispatch = Dispatch.objects.get(agent=agent_member)
    assert ContentKeyGrant.objects.filter(message__incident=dispatch.incident).count() >= 1

    # The agent's phone, never reloaded: the report arrives, opens through its grant.
    item = agent.locator("ul.agent-list li").filter(has_text=enseigne)
    expect(item).to_have_count(1, timeout=LIVE)
    expect(item.get_by_text("Votre statut : envoyé")).to_be_visible()
    expect(
        agent.get_by_role("status").filter(has_text=f"vous êtes envoyé chez {enseigne}")
    ).to_have_count(1)
    item.get_by_role("button", name=f"Ouvrir le signalement de {enseigne}").click()
    expect(agent.get_by_role("heading", name=f"Signalement de {enseigne}")).to_be_focused()
    expect(agent.get_by_text(text)).to_be_visible(timeout=LIVE)
    expect(agent.get_by_role("region", name=f"Carte : emplacement de {enseigne}")).to_be_visible()
    for name in ("En route", "Sur place", "Terminé"):
        box = agent.get_by_role("button", name=name, exact=True).bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44, name
    found += [f"agent : {problem}" for problem in axe(agent) + audit(agent)]

    # Sealed after the dispatch: the operator's reply lists the agent's devices directly.
    # From here on the console asks no more what the agent lacks: a message arriving in the
    # open report costs no `GET /dispatch` (only opening it and dispatch events do).
    asked: list[str] = []
    candidates_url = f"/api/v1/incidents/{dispatch.incident.public_id}/dispatch"
    operator.on(
        "request",
        lambda r: (
            asked.append(r.url) if r.method == "GET" and r.url.endswith(candidates_url) else None
        ),
    )
    operator.get_by_role("button", name="Patrouille en route.").click()
    expect(operator.get_by_text("Réponse envoyée", exact=False)).to_be_visible()
    expect(agent.locator("ul.message-list li")).to_have_count(2, timeout=LIVE)
    expect(agent.locator("ul.message-list").get_by_text("Patrouille en route.")).to_be_visible()

    # A police note: the agent decrypts it, marked as such; the shop never receives it.
    note_text = f"Individu connu des services, prudence {uuid.uuid4().hex}"
    notes = operator.get_by_role("form", name="Note interne (police)")
    notes.get_by_label("Note pour la police et les agents envoyés").fill(note_text)
    notes.get_by_role("button", name="Ajouter la note").click()
    expect(operator.get_by_text("Note ajoutée (police seulement).")).to_be_visible()
    noted = agent.locator("ul.message-list li").filter(has_text=note_text)
    expect(noted).to_have_count(1, timeout=LIVE)
    expect(noted.get_by_text("Note interne (police)")).to_be_visible()
    shop_sees = shop.evaluate(
        "async (id) => (await (await fetch(`/api/v1/incidents/${id}/messages`)).json()).length",
        str(dispatch.incident.public_id),
    )
    assert shop_sees == 2  # the report and the reply, not the note
    assert rows_containing(note_text) == []

    agent.get_by_role("button", name="En route", exact=True).click()
    expect(agent.get_by_text("Statut enregistré : en route.")).to_be_visible()
    expect(agent.get_by_role("button", name="En route", exact=True)).to_be_disabled()
    expect(sent.locator(".badge-dispatch")).to_have_text("en route", timeout=LIVE)
    expect(
        operator.get_by_role("status").filter(has_text=f"{agent_name} : en route.")
    ).to_have_count(1)

    agent.get_by_role("button", name="Sur place", exact=True).click()
    expect(agent.get_by_text("Statut enregistré : sur place.")).to_be_visible()
    expect(sent.locator(".badge-dispatch")).to_have_text("sur place", timeout=LIVE)
    # The intervention was engaged: the agent on site puts the report « sur place ».
    state_is(operator, "Sur place")
    save_screenshot(agent, "agent-sur-place", tmp_path)
    save_screenshot(operator, "console-agent-sur-place", tmp_path)

    # From the scene, the agent's own police note reaches the console, never the shop.
    report_back = f"Individu interpellé, conduit au poste {uuid.uuid4().hex}"
    agent_notes = agent.get_by_role("form", name="Note interne (police)")
    agent_notes.get_by_label("Note pour la police et les agents envoyés").fill(report_back)
    agent_notes.get_by_role("button", name="Ajouter la note").click()
    expect(agent.get_by_text("Note ajoutée (police seulement).")).to_be_visible()
    on_console = operator.locator("ul.message-list li").filter(has_text=report_back)
    expect(on_console.get_by_text("Note interne (police)")).to_be_visible(timeout=LIVE)
    assert rows_containing(report_back) == []
    assert asked == []

    # The operator closes: the agent is released, its phone says so and its list empties.
    operator.keyboard.press("1")
    state_is(operator, "Clôturé")
    expect(agent.get_by_text("Signalement clôturé", exact=True)).to_be_visible(timeout=LIVE)
    expect(agent.get_by_role("button", name="En route", exact=True)).to_have_count(0)
    found += [f"agent clôturé : {problem}" for problem in axe(agent) + audit(agent)]
    agent.get_by_role("button", name="Retour à mes interventions").click()
    expect(agent.get_by_text("Vous n'êtes envoyé sur aucun signalement")).to_be_visible()
    expect(agent.get_by_role("heading", name="Signalements en cours")).to_be_focused()
    expect(agent.locator("ul.agent-list li")).to_have_count(0)
    found += [f"agent liste : {problem}" for problem in axe(agent) + audit(agent)]
    assert found == []

    people = operator_person.console + agent_person.console + shop_person.console
    assert [line for line in people if line.startswith("pageerror:")] == []


def test_a_tablet_the_agent_signs_in_on_after_its_dispatch_gets_the_keys_from_the_console(
    open_browser: PersonFactory, demo: Any
) -> None:
    merchant = member(demo, Role.MERCHANT)
    agent_member = member(demo, Role.AGENT)
    assert merchant.shop is not None
    enseigne = merchant.shop.enseigne
    text = f"Individu armé d'un cutter {uuid.uuid4().hex}"

    operator = open_browser("operateur", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(operator, member(demo, Role.OPERATOR))
    open_console(operator)
    shop = open_browser("commercant", viewport=PHONE, passkeys=False).page
    demo_sign_in(shop, merchant)
    shop.get_by_role("link", name="Signaler un incident").first.click()
    shop.get_by_label("Ce qui se passe (facultatif)").fill(text)
    shop.get_by_role("button", name="Envoyer le signalement").click()
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()

    row = operator.locator("ul.incident-list li").filter(has_text=enseigne)
    row.get_by_role("button", name=f"Ouvrir le signalement de {enseigne}").click(timeout=LIVE)
    expect(operator.get_by_text(text)).to_be_visible(timeout=LIVE)
    operator.locator("section.lifecycle").get_by_role("button", name="Prendre en charge").click()
    state_is(operator, "Pris en charge")
    operator.get_by_role("button", name="Envoyer un agent").click()
    panel = operator.locator("form.dispatch-panel")
    panel.get_by_role("checkbox", name=agent_member.person.display_name).check()
    panel.get_by_role("button", name="Envoyer", exact=True).click()
    expect(operator.locator("section.dispatched li")).to_have_count(1, timeout=LIVE)

    # A tablet certified after the dispatch, the report closed on the console: it lists
    # the report, but holds no key yet.
    operator.get_by_role("button", name="Fermer le signalement").click()
    expect(row.get_by_role("button", name=f"Ouvrir le signalement de {enseigne}")).to_be_visible()
    tablet = open_browser("tablette", viewport=PHONE, passkeys=False).page
    demo_sign_in(tablet, agent_member)
    tablet.get_by_role("link", name="Mes interventions").click()
    item = tablet.locator("ul.agent-list li").filter(has_text=enseigne)
    item.get_by_role("button", name=f"Ouvrir le signalement de {enseigne}").click(timeout=LIVE)
    expect(tablet.locator("ul.message-list li")).to_have_count(1, timeout=LIVE)
    assert tablet.get_by_text(text).count() == 0

    # The console, opening the report again, grants what the tablet lacks; it decrypts.
    row.get_by_role("button", name=f"Ouvrir le signalement de {enseigne}").click()
    expect(tablet.get_by_text(text)).to_be_visible(timeout=LIVE)
    assert dispatch_missing(demo) == []

    # With the report open, a phone the agent signs in on gets its keys as its certificate
    # arrives (`device.certified`), without the operator touching anything.
    expect(operator.get_by_text(text)).to_be_visible()
    phone = open_browser("telephone", viewport=PHONE, passkeys=False).page
    demo_sign_in(phone, agent_member)
    phone.get_by_role("link", name="Mes interventions").click()
    item = phone.locator("ul.agent-list li").filter(has_text=enseigne)
    item.get_by_role("button", name=f"Ouvrir le signalement de {enseigne}").click(timeout=LIVE)
    expect(phone.get_by_text(text)).to_be_visible(timeout=LIVE)
    assert dispatch_missing(demo) == []


def dispatch_missing(demo: Any) -> list[tuple[str, str]]:
    from maillage.incidents import dispatch
    from maillage.incidents.models import Incident

    return sorted(
        pair
        for incident in Incident.objects.filter(commune=demo.commune)
        for pair in dispatch.missing_keys(incident)[0]
    )

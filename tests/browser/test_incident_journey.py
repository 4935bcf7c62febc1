"""One incident from the alert to its closure, in four Chromium contexts (issue 10, « How it
will be checked »): a shopkeeper, the police operator, an agent and a shopkeeper of the
same sector, each on their own device, pages never reloaded.

- The shop reports and warns its neighbours; the operator validates the neighbour alert,
  which the neighbouring shop receives and decrypts.
- The operator takes the report, lifts the doubt, engages and sends the agent: the agent
  saw nothing of the report before, and decrypts it once dispatched.
- The agent goes « en route », then « sur place »; the operator closes.
- The reporter saw every step, each with its elapsed time; the statistics count this
  report, and not the drill report sent alongside.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from maillage.incidents.models import Incident
from maillage.members.models import Membership, Role
from maillage.territory.models import Sector, Shop

from .a11y import audit
from .conftest import DESKTOP, PHONE, PersonFactory, save_screenshot
from .test_envelopes import demo, demo_sign_in, member, open_console
from .test_lifecycle import state_is, step_line
from .test_live_console import app_url, live_db
from .test_neighbours import alerts_of, demo_merchant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["app_url", "demo", "live_db"]  # fixtures

LIVE = 30_000  # ms: a delivery is checked, never timed
SEND = "Envoyer le signalement"


def test_four_people_follow_one_incident_from_the_alert_to_its_closure(
    open_browser: PersonFactory, demo: Any, tmp_path: Path
) -> None:
    reporter_member = member(demo, Role.MERCHANT)
    assert reporter_member.shop is not None
    enseigne = reporter_member.shop.enseigne
    taken_shops = Membership.objects.filter(commune=demo.commune, shop__isnull=False)
    neighbour_shop = (
        Shop.objects.filter(
            commune=demo.commune, is_active=True, sector=reporter_member.shop.sector
        )
        .exclude(pk__in=taken_shops.values("shop"))
        .first()
    )
    assert neighbour_shop is not None
    neighbour_member = demo_merchant(demo, "Amélie Voisin", neighbour_shop)
    agent_member = member(demo, Role.AGENT)
    agent_name = agent_member.person.display_name
    canary = f"Deux individus, rayon parfumerie, blouson rouge {uuid.uuid4().hex}"

    # The shops' and the agent's devices first, then the console: opening, it creates the
    # sector keys and hands them to every shop device already there (as in test_neighbours).
    neighbour_person = open_browser("voisin", viewport=PHONE, passkeys=False)
    neighbour = neighbour_person.page
    demo_sign_in(neighbour, neighbour_member)
    expect(alerts_of(neighbour)).to_have_attribute("data-loaded", "true", timeout=LIVE)

    agent_person = open_browser("agent", viewport=PHONE, passkeys=False)
    agent = agent_person.page
    demo_sign_in(agent, agent_member)
    agent.get_by_role("link", name="Mes interventions").click()
    expect(agent.get_by_text("Vous n'êtes envoyé sur aucun signalement")).to_be_visible()

    reporter_person = open_browser("commercant", viewport=PHONE, passkeys=False)
    reporter = reporter_person.page
    demo_sign_in(reporter, reporter_member)

    operator_person = open_browser("operateur", viewport=DESKTOP, passkeys=False)
    operator = operator_person.page
    demo_sign_in(operator, member(demo, Role.OPERATOR))
    open_console(operator)
    neighbour_panel = operator.locator("section.neighbour-panel")
    sectors = Sector.objects.filter(commune=demo.commune).count()
    expect(neighbour_panel.get_by_text(f"Clés de secteur détenues : {sectors}.")).to_be_visible(
        timeout=LIVE
    )

    # A drill runs alongside: the shop's drill report must not count.
    drill = operator.get_by_role("region", name="Exercice")
    drill.get_by_label("Nom de l'exercice").fill("Exercice rue Nationale")
    drill.get_by_role("button", name="Commencer un exercice").click()
    expect(drill.get_by_role("button", name="Terminer l'exercice")).to_be_visible(timeout=LIVE)
    expect(reporter.get_by_text("EXERCICE en cours", exact=False)).to_be_visible(timeout=LIVE)
    reporter.get_by_role("link", name="Signaler un incident").first.click()
    # The report page knows of the drill before anything is sent (its box for a real one
    # unticked), whatever the machine's load.
    legend = reporter.get_by_role(
        "group", name="Exercice Exercice en cours : « Exercice rue Nationale »"
    )
    expect(legend.get_by_label("Vrai signalement (hors exercice)")).not_to_be_checked(timeout=LIVE)
    reporter.get_by_label("Ce qui se passe (facultatif)").fill(f"Exercice {uuid.uuid4().hex}")
    reporter.get_by_role("button", name=SEND).click()
    expect(reporter.get_by_role("heading", name="Signalement envoyé à")).to_be_visible(timeout=LIVE)
    [drilled] = Incident.objects.filter(commune=demo.commune)
    assert drilled.exercise is not None

    # The real alert, with the neighbours warned.
    reporter.goto("/")
    reporter.get_by_role("link", name="Signaler un incident").first.click()
    reporter.get_by_label("Vrai signalement (hors exercice)").check()
    switch = reporter.get_by_role("switch", name="Prévenir les commerces voisins")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    reporter.get_by_label("Ce qui se passe (facultatif)").fill(canary)
    reporter.get_by_role("button", name=SEND).click()
    expect(reporter.get_by_role("heading", name="Signalement envoyé à")).to_be_visible(timeout=LIVE)
    # The neighbour alert leaves after the report: stay until it is sent.
    expect(
        reporter.get_by_text("Alerte envoyée : elle attend la validation de la police municipale.")
    ).to_be_visible(timeout=LIVE)
    real = Incident.objects.filter(commune=demo.commune).exclude(pk=drilled.pk).get()
    assert real.exercise is None
    reporter.goto("/")
    expect(reporter.get_by_text("Signalement reçu", exact=True).first).to_be_visible(timeout=LIVE)

    # The police validate the neighbour alert; the neighbouring shop decrypts it.
    waiting = neighbour_panel.locator("li.neighbour-alert[data-status=pending]").filter(
        has_text=canary
    )
    waiting.get_by_role("button", name=f"Valider l'alerte de {enseigne}").click(timeout=LIVE)
    received = alerts_of(neighbour).locator("li.neighbour-alert").filter(has_text=canary)
    expect(received).to_have_count(1, timeout=LIVE)

    # Nothing of the report has reached the agent.
    expect(agent.locator("ul.agent-list li")).to_have_count(0)
    seen_by_agent = agent.evaluate("async () => (await fetch('/api/v1/incidents')).json()")
    assert seen_by_agent == []
    assert agent.get_by_text(canary).count() == 0

    # The operator takes it, lifts the doubt, engages and sends the agent.
    row = (
        operator.locator("ul.incident-list li")
        .filter(has_text=enseigne)
        .filter(has_not=operator.locator(".badge-exercise"))
    )
    row.get_by_role("button", name=f"Ouvrir le signalement de {enseigne}").click(timeout=LIVE)
    expect(operator.get_by_text(canary, exact=True)).to_be_visible(timeout=LIVE)
    # Buttons, not keys (test_lifecycle checks those): a click waits for the last step's
    # save to end, on a loaded machine too.
    steps = operator.locator("section.lifecycle")
    steps.get_by_role("button", name="Prendre en charge").click()
    state_is(operator, "Pris en charge")
    steps.get_by_role("button", name="Doute levé : fondé").click()
    state_is(operator, "Doute levé")
    steps.get_by_role("button", name="Engager une intervention").click()
    state_is(operator, "Intervention engagée")
    operator.get_by_role("button", name="Envoyer un agent").click()
    panel = operator.locator("form.dispatch-panel")
    panel.get_by_role("checkbox", name=agent_name).check()
    panel.get_by_role("button", name="Envoyer", exact=True).click()
    expect(operator.get_by_text(f"Envoyé sur le signalement : {agent_name}.")).to_be_visible(
        timeout=LIVE
    )

    # Dispatched, the agent's phone receives the report and decrypts it.
    item = agent.locator("ul.agent-list li").filter(has_text=enseigne)
    expect(item).to_have_count(1, timeout=LIVE)
    item.get_by_role("button", name=f"Ouvrir le signalement de {enseigne}").click()
    expect(agent.get_by_text(canary)).to_be_visible(timeout=LIVE)
    agent.get_by_role("button", name="En route", exact=True).click()
    sent = operator.locator("section.dispatched li").filter(has_text=agent_name)
    expect(sent.locator(".badge-dispatch")).to_have_text("en route", timeout=LIVE)
    agent.get_by_role("button", name="Sur place", exact=True).click()
    state_is(operator, "Sur place")

    steps.get_by_role("button", name="Clôturer : Interpellation").click()
    state_is(operator, "Clôturé")
    expect(agent.get_by_text("Signalement clôturé", exact=True)).to_be_visible(timeout=LIVE)

    # The reporter's home, never reloaded since, showed every step with its elapsed time.
    for step in (
        "Pris en charge par la police municipale",
        "Doute levé par la police municipale",
        "Intervention engagée",
        "Patrouille envoyée",
        "Police municipale sur place",
        "Signalement clôturé",
    ):
        expect(step_line(reporter, step)).to_have_count(1, timeout=LIVE)
    save_screenshot(reporter, "parcours-commercant", tmp_path)
    found = [f"commerçant : {problem}" for problem in audit(reporter)]
    found += [f"voisin : {problem}" for problem in audit(neighbour)]
    found += [f"agent : {problem}" for problem in audit(agent)]

    # The statistics count the real report, not the drill's.
    real.refresh_from_db()
    assert (real.state, real.outcome) == ("closed", "arrest")
    operator.goto("/statistiques")
    expect(operator.get_by_text("1 signalement(s) du")).to_be_visible(timeout=LIVE)
    found += [f"statistiques : {problem}" for problem in audit(operator)]
    assert found == []

    people = [operator_person, neighbour_person, agent_person, reporter_person]
    errors = [line for p in people for line in p.console if line.startswith("pageerror:")]
    assert errors == []

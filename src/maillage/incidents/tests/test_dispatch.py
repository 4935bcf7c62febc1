"""Dispatch through the API: the operator's device hands the report's content keys to the
agent's devices; the agent then reads that report, and nothing of the others; its status
moves forward only; the closure releases it. Every grant is real (maillage.wire)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from maillage.incidents import actions, workflow
from maillage.incidents.models import ContentKeyGrant, Dispatch, Incident
from maillage.incidents.tests import helpers
from maillage.incidents.tests.helpers import Draft, make_incident, post_message
from maillage.incidents.tests.test_api_incidents import open_as, trust_of
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.models import Event
from maillage.territory.models import Commune
from maillage.trust.models import Device
from maillage.wire import chain, content_grant, opening
from maillage.wire.envelope import Binding

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.AGENT, commune, name="Agent Martin")


@pytest.fixture
def other_agent(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.AGENT, commune, name="Agent Bernard")


def client_of(persona: factory.Persona) -> Client:
    client = Client()
    factory.login(client, persona.membership, persona.device)
    return client


def reported(merchant: factory.Persona, operator: factory.Persona) -> tuple[Incident, Draft]:
    """A report sealed to the shop and the operator's device, taken in charge."""
    draft = Draft(merchant, readers=[operator.device], text="Vol, individu en blouson rouge")
    sealed = draft.seal()
    actions.report_incident(
        merchant.membership,
        merchant.device,
        draft.incident,
        actions.Upload(json.dumps(sealed.wire), sealed.attachments),
        actions.ReportFields(category="vol"),
    )
    incident = Incident.objects.get(public_id=draft.incident)
    workflow.take(operator.membership, operator.device, incident)
    return incident, draft


def content_keys(operator: factory.Persona, incident: Incident) -> dict[str, bytes]:
    return helpers.content_keys(operator, incident)


grants_for = helpers.content_grants


def send(
    operator: factory.Persona, incident: Incident, agents: list[factory.Persona], grants: Any
) -> Any:
    return client_of(operator).post(
        f"/api/v1/incidents/{incident.public_id}/dispatch",
        {"agents": [str(a.membership.public_id) for a in agents], "grants": grants},
        content_type="application/json",
    )


def status(
    agent: factory.Persona, incident: Incident, value: str, outcome: str | None = None
) -> Any:
    body: dict[str, Any] = {"status": value}
    if outcome is not None:
        body["outcome"] = outcome
    return client_of(agent).post(
        f"/api/v1/incidents/{incident.public_id}/dispatch/status",
        body,
        content_type="application/json",
    )


def kinds_after(seq: int) -> list[str]:
    return list(Event.objects.filter(seq__gt=seq).order_by("seq").values_list("kind", flat=True))


def last_seq() -> int:
    return Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def open_with_grant(agent: factory.Persona, item: dict[str, Any]) -> Any:
    header = json.loads(item["envelope"]["body"])
    grant = item["grant"]
    return content_grant.open_envelope_with_grant(
        item["envelope"],
        [],
        Binding(header["commune"], header["incident"], item["id"]),
        chain.SignedDocument(grant["body"], grant["signature"]),
        [chain.SignedDocument(d["body"], d["signature"]) for d in grant["granter_chain"]],
        str(agent.device.public_id),
        agent.enc_key,
        trust_of(agent.commune),
    )


def test_the_agent_reads_the_report_only_once_dispatched_and_nothing_else(
    merchant: factory.Persona, operator: factory.Persona, agent: factory.Persona
) -> None:
    incident, draft = reported(merchant, operator)
    elsewhere, _ = make_incident(merchant)
    agent_client = client_of(agent)
    assert agent_client.get("/api/v1/incidents").json() == []
    assert agent_client.get(f"/api/v1/incidents/{incident.public_id}/messages").status_code == 403

    candidates = client_of(operator).get(f"/api/v1/incidents/{incident.public_id}/dispatch")
    assert candidates.status_code == 200
    listed = candidates.json()
    assert listed["messages"] == [draft.message]
    (entry,) = listed["agents"]
    assert (entry["name"], entry["dispatch"]) == ("Agent Martin", None)
    assert [d["device"] for d in entry["devices"]] == [str(agent.device.public_id)]

    before = last_seq()
    answer = send(operator, incident, [agent], grants_for(operator, incident, [agent]))
    assert answer.status_code == 201, answer.json()
    assert kinds_after(before) == ["incident.dispatched"]
    event = Event.objects.get(seq__gt=before)
    assert event.payload == {
        "agents": [str(agent.membership.public_id)],
        "by": str(operator.membership.public_id),
        "grants": 1,
    }
    (shown,) = answer.json()["incident"]["dispatches"]
    assert (shown["name"], shown["status"], shown["status_label"]) == (
        "Agent Martin",
        "dispatched",
        "envoyé",
    )

    listed_for_agent = agent_client.get("/api/v1/incidents").json()
    assert [i["id"] for i in listed_for_agent] == [str(incident.public_id)]
    (item,) = agent_client.get(f"/api/v1/incidents/{incident.public_id}/messages").json()
    assert open_with_grant(agent, item).text == "Vol, individu en blouson rouge"
    assert agent_client.get(f"/api/v1/incidents/{elsewhere.public_id}/messages").status_code == 403

    # What is posted afterwards is sealed to the agent directly: the directory lists it.
    directory = agent_client.get(f"/api/v1/trust/recipients?incident={incident.public_id}")
    assert directory.status_code == 200
    assert str(agent.device.public_id) in {d["device"] for d in directory.json()["devices"]}
    reply = Draft(
        merchant,
        incident=draft.incident,
        readers=[operator.device, agent.device],
        text="Il revient",
    )
    assert post_message(client_of(merchant), reply).status_code == 201
    items = agent_client.get(f"/api/v1/incidents/{incident.public_id}/messages").json()
    assert items[-1]["grant"] is None
    assert open_as(agent, items[-1], []).text == "Il revient"


def test_a_dispatch_must_cover_every_message_for_every_device_or_nothing_is_stored(
    merchant: factory.Persona,
    operator: factory.Persona,
    agent: factory.Persona,
    other_agent: factory.Persona,
) -> None:
    incident, draft = reported(merchant, operator)
    follow_up = Draft(merchant, incident=draft.incident, readers=[operator.device], text="Encore")
    assert post_message(client_of(merchant), follow_up).status_code == 201
    grants = grants_for(operator, incident, [agent, other_agent])
    assert len(grants) == 4
    stranger = factory.make_member(Role.OPERATOR, incident.commune)
    before = last_seq()

    incomplete = send(operator, incident, [agent, other_agent], grants[:3])
    assert (incomplete.status_code, incomplete.json()["code"]) == (422, "grants_incomplete")

    forged = grants_for(operator, incident, [agent], sign_key=stranger.sign_key)
    refused = send(operator, incident, [agent], forged)
    assert (refused.status_code, refused.json()["code"]) == (422, "grant_mismatch")

    for_operator = grants_for(operator, incident, [stranger])
    wrong_device = send(operator, incident, [agent], for_operator)
    assert wrong_device.json()["code"] == "not_allowed_recipient"

    not_an_agent = send(operator, incident, [stranger], for_operator)
    assert (not_an_agent.status_code, not_an_agent.json()["code"]) == (422, "not_an_agent")

    assert kinds_after(before) == []
    assert Dispatch.objects.count() == ContentKeyGrant.objects.count() == 0

    assert send(operator, incident, [agent, other_agent], grants).status_code == 201
    assert Dispatch.objects.filter(incident=incident).count() == 2
    assert ContentKeyGrant.objects.count() == 4
    again = send(operator, incident, [agent], grants_for(operator, incident, [agent]))
    assert (again.status_code, again.json()["code"]) == (409, "already_dispatched")


def test_each_refused_grant_is_named_with_its_reason(
    merchant: factory.Persona,
    operator: factory.Persona,
    agent: factory.Persona,
    other_agent: factory.Persona,
) -> None:
    incident, _ = reported(merchant, operator)
    (good,) = grants_for(operator, incident, [agent])

    def refusal(grants: list[Any]) -> Any:
        answer = send(operator, incident, [agent], grants)
        assert answer.status_code == 422, answer.json()
        return answer.json()

    assert refusal(grants_for(operator, incident, [other_agent])) == {
        "code": "not_allowed_recipient",
        "message": "Une clé ne peut être transmise qu'aux appareils certifiés des agents envoyés.",
        "field": "grants.0",
    }
    # The agent's device named with another device's encryption key.
    posing = Device.objects.get(pk=agent.device.pk)
    posing.enc_public_key = other_agent.device.enc_public_key
    wrong_key = factory.Persona(agent.membership, posing, agent.sign_key, agent.enc_key)
    assert refusal(grants_for(operator, incident, [wrong_key])) == {
        "code": "grant_mismatch",
        "message": "La clé de chiffrement visée n'est pas celle de l'appareil destinataire.",
        "field": "grants.0",
    }
    assert refusal([good, good]) == {
        "code": "grant_mismatch",
        "message": "Deux clés pour le même message et le même appareil.",
        "field": "grants.1",
    }
    assert Dispatch.objects.count() == ContentKeyGrant.objects.count() == 0


def test_only_a_taken_open_founded_incident_can_get_agents(
    merchant: factory.Persona, operator: factory.Persona, agent: factory.Persona
) -> None:
    incident, _ = make_incident(merchant)
    before = last_seq()
    # The state is checked first (on the locked row): the agents and grants are not looked at.
    refused = send(operator, incident, [agent, agent], [])
    assert (refused.status_code, refused.json()["code"]) == (409, "not_taken")
    workflow.take(operator.membership, operator.device, incident)
    workflow.lift_doubt(operator.membership, operator.device, incident, "unfounded")
    refused = send(operator, incident, [agent], [])
    assert (refused.status_code, refused.json()["code"]) == (409, "doubt_unfounded")
    closed, _ = reported(merchant, operator)
    workflow.close(operator.membership, operator.device, closed, "referred")
    seq_closed = last_seq()
    refused = send(operator, closed, [agent], grants_for(operator, closed, [agent]))
    assert (refused.status_code, refused.json()["code"]) == (409, "incident_closed")
    assert refused.json()["message"].startswith("Ce signalement est déjà clôturé.")
    assert kinds_after(seq_closed) == []
    assert "incident.dispatched" not in kinds_after(before)
    assert (
        client_of(agent)
        .post(
            f"/api/v1/incidents/{incident.public_id}/dispatch",
            {"agents": [str(agent.membership.public_id)], "grants": []},
            content_type="application/json",
        )
        .status_code
        == 403
    )
    assert Dispatch.objects.count() == 0


def test_the_agents_status_moves_forward_and_its_arrival_marks_the_incident_on_site(
    merchant: factory.Persona, operator: factory.Persona, agent: factory.Persona
) -> None:
    incident, _ = reported(merchant, operator)
    workflow.lift_doubt(operator.membership, operator.device, incident, "founded")
    workflow.engage(operator.membership, operator.device, incident)
    assert (
        send(operator, incident, [agent], grants_for(operator, incident, [agent])).status_code
        == 201
    )

    before = last_seq()
    en_route = status(agent, incident, "en_route")
    assert en_route.status_code == 200, en_route.json()
    assert en_route.json()["incident"]["dispatches"][0]["status_label"] == "en route"
    assert kinds_after(before) == ["dispatch.status_changed"]

    before = last_seq()
    arrived = status(agent, incident, "on_site")
    assert arrived.json()["incident"]["lifecycle"]["state"] == "on_site"
    assert kinds_after(before) == ["dispatch.status_changed", "incident.on_site"]

    before = last_seq()
    backwards = status(agent, incident, "en_route")
    assert (backwards.status_code, backwards.json()["code"]) == (409, "illegal_status")
    unknown = status(agent, incident, "dispatched")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "invalid_status")
    no_outcome = status(agent, incident, "done")
    assert (no_outcome.status_code, no_outcome.json()["code"]) == (400, "outcome_required")
    assert kinds_after(before) == []

    done = status(agent, incident, "done", "arrest")
    assert done.status_code == 200
    row = Dispatch.objects.get(incident=incident, agent=agent.membership)
    assert (row.status, row.outcome, row.released_at is not None) == ("done", "arrest", True)
    assert status(agent, incident, "done", "arrest").json()["code"] == "not_dispatched"


def test_closing_releases_every_agent_still_on_the_incident(
    merchant: factory.Persona,
    operator: factory.Persona,
    agent: factory.Persona,
    other_agent: factory.Persona,
) -> None:
    incident, _ = reported(merchant, operator)
    grants = grants_for(operator, incident, [agent, other_agent])
    assert send(operator, incident, [agent, other_agent], grants).status_code == 201
    assert status(other_agent, incident, "done", "left").status_code == 200
    before = last_seq()
    workflow.close(operator.membership, operator.device, incident, "referred")
    closed = Event.objects.get(seq__gt=before)
    assert closed.payload["released"] == [str(agent.membership.public_id)]
    assert not Dispatch.objects.filter(incident=incident, released_at__isnull=True).exists()
    refused = status(agent, incident, "on_site")
    assert (refused.status_code, refused.json()["code"]) == (409, "not_dispatched")
    # Released, the agent still reads what it was sent to; new messages no longer list it.
    agent_client = client_of(agent)
    assert agent_client.get(f"/api/v1/incidents/{incident.public_id}/messages").status_code == 200
    operator_view = client_of(operator).get(
        f"/api/v1/trust/recipients?incident={incident.public_id}"
    )
    assert str(agent.device.public_id) not in {d["device"] for d in operator_view.json()["devices"]}


def test_a_grant_for_one_message_does_not_open_another(
    merchant: factory.Persona, operator: factory.Persona, agent: factory.Persona
) -> None:
    incident, draft = reported(merchant, operator)
    second = Draft(merchant, incident=draft.incident, readers=[operator.device], text="Deuxième")
    assert post_message(client_of(merchant), second).status_code == 201
    keys = content_keys(operator, incident)
    assert (
        send(operator, incident, [agent], grants_for(operator, incident, [agent], keys)).status_code
        == 201
    )
    first, other = client_of(agent).get(f"/api/v1/incidents/{incident.public_id}/messages").json()
    swapped = {**other, "grant": first["grant"]}
    with pytest.raises(opening.EnvelopeError) as refused:
        open_with_grant(agent, swapped)
    assert refused.value.code == "wrong_context"


# --- police notes ----------------------------------------------------------------------


def post_note(client: Client, draft: Draft) -> Any:
    return client.post(f"/api/v1/incidents/{draft.incident}/notes", helpers.multipart(draft.seal()))


def test_a_police_note_reaches_the_police_and_the_agent_sent_never_the_shop(
    media: Any,
    merchant: factory.Persona,
    operator: factory.Persona,
    agent: factory.Persona,
    other_agent: factory.Persona,
) -> None:
    incident, draft = reported(merchant, operator)
    assert (
        send(operator, incident, [agent], grants_for(operator, incident, [agent])).status_code
        == 201
    )
    note = Draft(
        operator,
        incident=draft.incident,
        readers=[agent.device],
        text="Individu connu des services, prudence",
        attachments=[b"photo-note" * 20],
    )
    before = last_seq()
    posted = post_note(client_of(operator), note)
    assert posted.status_code == 201, posted.json()
    assert posted.json()["message"]["police_only"] is True
    assert kinds_after(before) == ["note.posted"]

    items = client_of(agent).get(f"/api/v1/incidents/{incident.public_id}/messages").json()
    assert [i["police_only"] for i in items] == [False, True]
    hidden = f"/api/v1/incidents/{incident.public_id}/messages/{note.message}/attachments/1"
    part = client_of(agent).get(hidden)
    assert part.status_code == 200
    opened = open_as(agent, items[-1], [part.content])
    assert opened.text == "Individu connu des services, prudence"
    shop_items = client_of(merchant).get(f"/api/v1/incidents/{incident.public_id}/messages")
    assert [i["id"] for i in shop_items.json()] == [draft.message]
    assert client_of(merchant).get(hidden).status_code == 404
    assert client_of(other_agent).get(hidden).status_code == 403


def test_a_note_sealed_to_the_shop_or_posted_by_the_shop_is_refused(
    media: Any, merchant: factory.Persona, operator: factory.Persona
) -> None:
    incident, draft = reported(merchant, operator)
    before = last_seq()
    leaky = Draft(operator, incident=draft.incident, readers=[merchant.device], text="Note")
    refused = post_note(client_of(operator), leaky)
    assert (refused.status_code, refused.json()["code"]) == (400, "not_police_recipient")
    by_shop = Draft(merchant, incident=draft.incident, readers=[operator.device], text="Note")
    assert post_note(client_of(merchant), by_shop).status_code == 403
    assert kinds_after(before) == []
    assert incident.messages.count() == 1


# --- keys an agent lacks (a device certified after its dispatch) ------------------------


def test_a_device_the_agent_certifies_after_its_dispatch_gets_the_missing_keys(
    merchant: factory.Persona, operator: factory.Persona, agent: factory.Persona
) -> None:
    incident, _ = reported(merchant, operator)
    assert (
        send(operator, incident, [agent], grants_for(operator, incident, [agent])).status_code
        == 201
    )
    url = f"/api/v1/incidents/{incident.public_id}/dispatch"
    assert client_of(operator).get(url).json()["missing"] == []
    nothing = client_of(operator).post(
        f"{url}/keys", {"grants": grants_for(operator, incident, [agent])}, "application/json"
    )
    assert (nothing.status_code, nothing.json()["code"]) == (409, "nothing_missing")

    tablet = factory.add_device(agent.membership, label="Tablette de patrouille")
    factory.certify(tablet)
    tablet.refresh_from_db()
    sign_key, enc_key = factory.device_keys(tablet)
    second = factory.Persona(agent.membership, tablet, sign_key, enc_key)
    listed = client_of(operator).get(url).json()["missing"]
    assert listed == [
        {"message": m, "device": str(tablet.public_id)} for m in content_keys(operator, incident)
    ]

    before = last_seq()
    wrong = grants_for(operator, incident, [agent])  # the first phone already has them
    refused = client_of(operator).post(f"{url}/keys", {"grants": wrong}, "application/json")
    assert (refused.status_code, refused.json()["code"]) == (422, "grant_mismatch")
    assert kinds_after(before) == []

    added = client_of(operator).post(
        f"{url}/keys", {"grants": grants_for(operator, incident, [second])}, "application/json"
    )
    assert added.status_code == 201, added.json()
    assert kinds_after(before) == ["dispatch.keys_added"]
    assert client_of(operator).get(url).json()["missing"] == []
    (item,) = client_of(second).get(f"/api/v1/incidents/{incident.public_id}/messages").json()
    assert open_with_grant(second, item).text == "Vol, individu en blouson rouge"

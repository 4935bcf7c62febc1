"""Old snapshot + the events after its cursor = a fresh snapshot, for every kind and role.

Zulip's `verify_action`: every persona of a commune (each role, a member still waiting
for approval, and an outsider of another commune) takes a snapshot, one action runs, the
persona applies the events the stream would hand it (the policy's visibility rule), and
the result must equal a snapshot taken afterwards. A kind in `RELOADS` re-fetches its
parts instead. Every kind of the registry must be covered by a scenario below.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from maillage.members import actions as member_actions
from maillage.members.models import Invitation, Membership, MembershipStatus, Role
from maillage.members.tests import factory
from maillage.stream import snapshot as snap
from maillage.stream.action import CLI
from maillage.stream.fanout import event_data
from maillage.stream.kinds import Kind
from maillage.stream.models import Event
from maillage.stream.visibility import visible_to
from maillage.territory import actions as territory_actions
from maillage.territory.tests import factory as territory_factory
from maillage.territory.tests.test_csv_import import csv_of, row
from maillage.trust import devices, memberships, revocations
from maillage.trust.tests import group_key_factory, service_key_factory
from maillage.wire import chain

pytestmark = pytest.mark.django_db

Scenario = Callable[[factory.Cast], None]


def _signed_list(signer: factory.Persona, devices_: Any, reason: str) -> chain.SignedDocument:
    needed = revocations.withdrawals(devices_, reason)
    body = revocations.draft_revocation_list(signer.commune, signer.device, needed)
    return chain.sign_document(json.loads(body), signer.sign_key)


def _sector(cast: factory.Cast) -> None:
    territory_actions.create_sector(cast[Role.COORDINATOR].actor(), cast.commune, name="Gare")


def _shop(cast: factory.Cast) -> None:
    sector = territory_factory.make_sector(cast.commune, name="Vieille ville")
    territory_factory.make_shop(cast.commune, sector)


def _edit_shop(cast: factory.Cast) -> None:
    """The merchant's own shop moves to another sector under a new name."""
    shop = cast[Role.MERCHANT].shop
    assert shop is not None
    sector = territory_factory.make_sector(cast.commune, name="Vieille ville")
    territory_actions.update_shop(
        cast[Role.COORDINATOR].actor(), shop, sector=sector, enseigne="Nouvelle enseigne"
    )


def _import(cast: factory.Cast) -> None:
    territory_factory.make_sector(cast.commune, name="Centre-ville")
    result = territory_actions.import_shops(CLI, cast.commune, csv_of(row(), row("Tabac")))
    assert result.created == 2


def _invite(cast: factory.Cast) -> None:
    member_actions.create_invitation(
        cast[Role.COORDINATOR].actor(), cast.commune, role=Role.AGENT, display_name="Nouvel agent"
    )


def _cancel(cast: factory.Cast) -> None:
    invitation = Invitation.objects.filter(commune=cast.commune, used_at__isnull=True).first()
    assert invitation is not None, "the cast's set-up leaves the first invitation open"
    member_actions.cancel_invitation(cast[Role.COORDINATOR].actor(), invitation)


def _enrol(cast: factory.Cast) -> None:
    factory.make_member(Role.MERCHANT, cast.commune, cast[Role.MERCHANT].shop, approved=False)


def _suspend(cast: factory.Cast) -> None:
    factory.suspend(cast[Role.AGENT])


def _reinstate(cast: factory.Cast) -> None:
    factory.suspend(cast[Role.AGENT])
    memberships.reinstate_member(cast[Role.COORDINATOR].actor(), cast[Role.AGENT].membership)


def _revoke_member(cast: factory.Cast) -> None:
    agent = cast[Role.AGENT]
    document = _signed_list(cast[Role.COORDINATOR], agent.membership.devices.all(), "revoked")
    memberships.revoke_member(
        cast[Role.COORDINATOR].actor(), agent.membership, revocation_list=document
    )


def _charter(cast: factory.Cast) -> None:
    member_actions.publish_charter(
        cast[Role.COORDINATOR].actor(), cast.commune, "Charte révisée : " + "usage loyal. " * 3
    )


def _register(cast: factory.Cast) -> None:
    factory.add_device(cast[Role.OPERATOR].membership, label="Poste 2")


def _certify(cast: factory.Cast) -> None:
    factory.certify(factory.add_device(cast[Role.OPERATOR].membership, label="Poste 2"))


def _revoke_device(cast: factory.Cast) -> None:
    device = cast[Role.REFERENT].device
    devices.revoke_device(
        cast[Role.COORDINATOR].actor(),
        device,
        revocation_list=_signed_list(cast[Role.COORDINATOR], [device], "revoked"),
    )


def _root_revokes(cast: factory.Cast) -> None:
    revocations.revoke_devices_with_root(
        CLI,
        cast.commune,
        factory.root_key(cast.commune),
        [cast[Role.REFERENT].device, cast[Role.OBSERVER].device],
    )


def _publish_key(cast: factory.Cast) -> None:
    service_key_factory.publish(cast[Role.OPERATOR])


def _add_grants(cast: factory.Cast) -> None:
    operator = cast[Role.OPERATOR]
    generation = service_key_factory.publish(operator)
    second = factory.add_device(operator.membership, label="Poste 2")
    factory.certify(second)
    grant = service_key_factory.grant(operator, generation, second)
    response = operator.client().post(
        "/api/v1/trust/service-key/grants",
        {"grants": [grant.to_wire()]},
        content_type="application/json",
    )
    assert response.status_code in {200, 201}, response.content


def _report(cast: factory.Cast) -> None:
    from maillage.incidents.tests.helpers import make_incident

    make_incident(cast[Role.MERCHANT])


def _message(cast: factory.Cast) -> None:
    from maillage.incidents import actions as incident_actions
    from maillage.incidents.tests.helpers import Draft, make_incident

    incident, _ = make_incident(cast[Role.MERCHANT])
    reply = Draft(cast[Role.OPERATOR], incident=str(incident.public_id))
    sealed = reply.seal()
    incident_actions.post_message(
        cast[Role.OPERATOR].membership,
        cast[Role.OPERATOR].device,
        incident.public_id,
        incident_actions.Upload(json.dumps(sealed.wire), sealed.attachments),
    )


def _publish_group_keys(cast: factory.Cast) -> None:
    """The commune's key, and a sector's the cast's merchant is not in: it must not see it."""
    operator = cast[Role.OPERATOR]
    group_key_factory.publish(operator, others=(cast[Role.MERCHANT].device,))
    elsewhere = territory_factory.make_sector(cast.commune, name="Hors secteur")
    group_key_factory.publish(operator, scope=f"sector:{elsewhere.pk}")


def _add_group_grants(cast: factory.Cast) -> None:
    operator, merchant = cast[Role.OPERATOR], cast[Role.MERCHANT]
    generation = group_key_factory.publish(operator)
    grant = group_key_factory.grant(operator, generation, merchant.device)
    response = operator.client().post(
        "/api/v1/group-keys/grants", {"grants": [grant.to_wire()]}, "application/json"
    )
    assert response.status_code == 201, response.content


def _broadcast(cast: factory.Cast) -> None:
    """To the whole commune, and to a sector the cast's merchant is not in."""
    operator = cast[Role.OPERATOR]
    elsewhere = f"sector:{territory_factory.make_sector(cast.commune, name='Hors secteur').pk}"
    for scope in ("commune", elsewhere):
        generation = group_key_factory.publish(operator, scope=scope)
        sealed = group_key_factory.seal(operator, generation)
        response = operator.client().post(
            "/api/v1/broadcasts", **group_key_factory.multipart(sealed)
        )
        assert response.status_code == 201, response.content


def _neighbouring_sector(cast: factory.Cast) -> None:
    """A sector with its key and a message becomes the merchant's sector's neighbour: the
    merchant now holds its key and its broadcasts (reloaded parts)."""
    operator, merchant = cast[Role.OPERATOR], cast[Role.MERCHANT]
    assert merchant.shop is not None
    nearby = territory_factory.make_sector(cast.commune, name="Secteur voisin")
    generation = group_key_factory.publish(operator, scope=f"sector:{nearby.pk}")
    sealed = group_key_factory.seal(operator, generation)
    response = operator.client().post("/api/v1/broadcasts", **group_key_factory.multipart(sealed))
    assert response.status_code == 201, response.content
    territory_actions.set_sector_neighbours(
        cast[Role.COORDINATOR].actor(), merchant.shop.sector, [nearby]
    )


def _duty_schedule(cast: factory.Cast) -> None:
    """The coordinator's new hours: no snapshot part holds them (GET /duty/schedule)."""
    response = (
        cast[Role.COORDINATOR]
        .client()
        .put(
            "/api/v1/duty/schedule",
            {"weekly": {"mon": [{"start": "09:00", "end": "17:00"}]}, "exceptions": []},
            "application/json",
        )
    )
    assert response.status_code == 200, response.content


def _duty_fallback(cast: factory.Cast) -> None:
    partner = cast[Role.PARTNER].membership
    response = (
        cast[Role.COORDINATOR]
        .client()
        .put("/api/v1/duty/fallback", {"recipients": [str(partner.public_id)]}, "application/json")
    )
    assert response.status_code == 200, response.content


def _neighbour_key(cast: factory.Cast) -> tuple[factory.Persona, group_key_factory.Generation]:
    """The cast's merchant's sector key, held by the operator and the merchant."""
    operator, merchant = cast[Role.OPERATOR], cast[Role.MERCHANT]
    shop = merchant.membership.shop
    assert shop is not None
    scope = f"sector:{shop.sector_id}"
    return operator, group_key_factory.publish(operator, scope=scope, others=(merchant.device,))


def _neighbour_alert(cast: factory.Cast, sender: factory.Persona, generation: Any) -> str:
    sealed = group_key_factory.seal(sender, generation)
    response = sender.client().post(
        "/api/v1/neighbours/alerts", **group_key_factory.multipart(sealed)
    )
    assert response.status_code == 201, response.content
    return str(response.json()["id"])


def _neighbour_submitted(cast: factory.Cast) -> None:
    _, generation = _neighbour_key(cast)
    _neighbour_alert(cast, cast[Role.MERCHANT], generation)


def _neighbour_sent(cast: factory.Cast) -> None:
    operator, generation = _neighbour_key(cast)
    _neighbour_alert(cast, operator, generation)


def _neighbour_validated(cast: factory.Cast) -> None:
    operator, generation = _neighbour_key(cast)
    alert = _neighbour_alert(cast, cast[Role.MERCHANT], generation)
    response = operator.client().post(f"/api/v1/neighbours/alerts/{alert}/validate")
    assert response.status_code == 200, response.content


def _neighbour_refused(cast: factory.Cast) -> None:
    operator, generation = _neighbour_key(cast)
    alert = _neighbour_alert(cast, cast[Role.MERCHANT], generation)
    response = operator.client().post(f"/api/v1/neighbours/alerts/{alert}/refuse")
    assert response.status_code == 200, response.content


def _neighbour_ended(cast: factory.Cast) -> None:
    operator, generation = _neighbour_key(cast)
    alert = _neighbour_alert(cast, operator, generation)
    response = operator.client().post(f"/api/v1/neighbours/alerts/{alert}/end")
    assert response.status_code == 200, response.content


def _alert_settings(cast: factory.Cast) -> None:
    from maillage.incidents import alert_settings

    current = alert_settings.for_commune(cast.commune).as_dict()
    current["neighbour_expiry_minutes"] = 45
    alert_settings.change(cast[Role.COORDINATOR].actor(), cast.commune, current)


def _limit_reached(cast: factory.Cast) -> None:
    from maillage.incidents import alert_settings
    from maillage.incidents.tests.helpers import Draft, post_report

    current = alert_settings.for_commune(cast.commune).as_dict()
    current["limits"]["report_device"] = {"count": 1, "minutes": 10}
    alert_settings.change(CLI, cast.commune, current)
    merchant = cast[Role.MERCHANT]
    client = merchant.client()
    assert [post_report(client, Draft(merchant)).status_code for _ in range(2)] == [201, 429]


def _cluster(cast: factory.Cast) -> None:
    """Two reports of the merchant's shop grouped by the operator: the snapshot's
    `incidents` part keeps each report (the grouping is the police's, on the rows)."""
    from maillage.incidents import clusters
    from maillage.incidents.tests.helpers import make_incident

    reports = [make_incident(cast[Role.MERCHANT])[0].public_id for _ in range(2)]
    operator = cast[Role.OPERATOR]
    clusters.confirm(operator.membership, operator.device, reports)


def _drill(cast: factory.Cast) -> None:
    """A drill started, one report sent as part of it, the drill ended: the report stays
    in the `incidents` part as any other (its flag is on the incident's own rows)."""
    from maillage.incidents import exercises
    from maillage.incidents.tests.helpers import Draft, post_report

    operator, merchant = cast[Role.OPERATOR], cast[Role.MERCHANT]
    drill = exercises.start(operator.membership, operator.device, "Exercice")
    sent = post_report(
        merchant.client(), Draft(merchant), metadata={"category": "vol", "exercise": "true"}
    )
    assert sent.status_code == 201, sent.content
    exercises.end(operator.membership, operator.device, drill.public_id)


def _escalated(cast: factory.Cast) -> None:
    """A report nobody took: both escalations fire (the state stays « signalé »)."""
    from datetime import timedelta

    from maillage.incidents.escalation import escalate_due
    from maillage.incidents.tests.helpers import make_incident

    incident, _ = make_incident(cast[Role.MERCHANT])
    assert escalate_due(incident.created_at + timedelta(hours=1)) == 1
    assert escalate_due(incident.created_at + timedelta(hours=1)) == 1


def _lifecycle(*steps: tuple[str, dict[str, str] | None]) -> Scenario:
    """A report the operator takes through `steps` (routes of POST /incidents/{id}/…)."""

    def scenario(cast: factory.Cast) -> None:
        from maillage.incidents.tests.helpers import make_incident

        incident, _ = make_incident(cast[Role.MERCHANT])
        client = cast[Role.OPERATOR].client()
        for route, body in steps:
            url = f"/api/v1/incidents/{incident.public_id}/{route}"
            response = client.post(url, body, "application/json") if body else client.post(url)
            assert response.status_code == 200, response.content

    return scenario


_TO_INTERVENTION = (("take", None), ("lift-doubt", {"verdict": "founded"}), ("engage", None))


def _dispatched(cast: factory.Cast, *statuses: str) -> None:
    """The operator sends the agent with real content-key grants; the agent reports."""
    from maillage.incidents.tests.test_dispatch import grants_for, reported, send, status

    operator, agent = cast[Role.OPERATOR], cast[Role.AGENT]
    incident, _ = reported(cast[Role.MERCHANT], operator)
    assert (
        send(operator, incident, [agent], grants_for(operator, incident, [agent])).status_code
        == 201
    )
    for value in statuses:
        assert status(agent, incident, value).status_code == 200


def _keys_added(cast: factory.Cast) -> None:
    """An agent sent, then a tablet it certified: the console grants what it lacks."""
    from maillage.incidents.tests.helpers import agent_with_a_new_device

    operator = cast[Role.OPERATOR]
    incident, _, grants = agent_with_a_new_device(cast[Role.MERCHANT], operator)
    url = f"/api/v1/incidents/{incident.public_id}/dispatch/keys"
    assert operator.client().post(url, {"grants": grants}, "application/json").status_code == 201


def _noted(cast: factory.Cast) -> None:
    """A police note on a dispatched report: the shop's snapshot never lists it."""
    from maillage.incidents.tests.helpers import Draft, dispatched_incident, multipart

    agent = cast[Role.AGENT]
    incident, _ = dispatched_incident(cast[Role.MERCHANT], agent)
    note = Draft(agent, incident=str(incident.public_id), text="Note interne")
    url = f"/api/v1/incidents/{incident.public_id}/notes"
    assert agent.client().post(url, multipart(note.seal())).status_code == 201


def _crisis(cast: factory.Cast, *steps: str) -> None:
    """« Mode crise » on, then each step (`instructions`, `end`): sealed to the commune."""
    operator = cast[Role.OPERATOR]
    generation = group_key_factory.publish(operator, others=(cast[Role.MERCHANT].device,))
    for path, status in (("start", 201), *((step, 200) for step in steps)):
        sealed = group_key_factory.seal(operator, generation)
        response = operator.client().post(
            f"/api/v1/crisis/{path}", **group_key_factory.multipart(sealed)
        )
        assert response.status_code == status, response.content


def _push(cast: factory.Cast, *then: str) -> None:
    """A merchant's phone accepts notifications; then withdraws them, or the push service
    says the subscription is gone. No part of the snapshot holds subscriptions."""
    from maillage.push import subscriptions
    from maillage.push.models import PushSubscription
    from maillage.testing.push_receiver import PushReceiver

    merchant = cast[Role.MERCHANT]
    with PushReceiver() as receiver:
        info = {**receiver.subscription(), "consent": True}
    client = merchant.client()
    response = client.post("/api/v1/push/subscriptions", info, "application/json")
    assert response.status_code == 201, response.content
    row = PushSubscription.objects.get(public_id=response.json()["id"])
    if "withdraw" in then:
        assert client.delete(f"/api/v1/push/subscriptions/{row.public_id}").status_code == 200
    if "gone" in then:
        assert subscriptions.disable(row, 410, "HTTP 410")


SCENARIOS: dict[Kind, Scenario] = {
    Kind.SECTOR_CREATED: _sector,
    Kind.SECTOR_NEIGHBOURS_CHANGED: _neighbouring_sector,
    Kind.SHOP_CREATED: _shop,
    Kind.SHOPS_IMPORTED: _import,
    Kind.SHOP_UPDATED: _edit_shop,
    Kind.INVITATION_CREATED: _invite,
    Kind.INVITATION_CANCELLED: _cancel,
    Kind.MEMBER_ENROLLED: _enrol,
    Kind.MEMBER_SUSPENDED: _suspend,
    Kind.MEMBER_REINSTATED: _reinstate,
    Kind.MEMBER_REVOKED: _revoke_member,
    Kind.CHARTER_PUBLISHED: _charter,
    Kind.DEVICE_REGISTERED: _register,
    Kind.DEVICE_CERTIFIED: _certify,
    Kind.DEVICE_REVOKED: _revoke_device,
    Kind.REVOCATION_LIST_PUBLISHED: _root_revokes,
    Kind.SERVICE_KEY_PUBLISHED: _publish_key,
    Kind.SERVICE_KEY_GRANTS_ADDED: _add_grants,
    Kind.INCIDENT_REPORTED: _report,
    Kind.MESSAGE_POSTED: _message,
    Kind.GROUP_KEY_PUBLISHED: _publish_group_keys,
    Kind.GROUP_KEY_GRANTS_ADDED: _add_group_grants,
    Kind.BROADCAST_SENT: _broadcast,
    Kind.DUTY_SCHEDULE_CHANGED: _duty_schedule,
    Kind.DUTY_FALLBACK_CHANGED: _duty_fallback,
    Kind.NEIGHBOUR_ALERT_SUBMITTED: _neighbour_submitted,
    Kind.NEIGHBOUR_ALERT_SENT: _neighbour_sent,
    Kind.NEIGHBOUR_ALERT_VALIDATED: _neighbour_validated,
    Kind.NEIGHBOUR_ALERT_REFUSED: _neighbour_refused,
    Kind.NEIGHBOUR_ALERT_ENDED: _neighbour_ended,
    Kind.ALERT_SETTINGS_CHANGED: _alert_settings,
    Kind.ALERT_LIMIT_REACHED: _limit_reached,
    Kind.INCIDENT_TAKEN: _lifecycle(("take", None)),
    Kind.INCIDENT_DOUBT_LIFTED: _lifecycle(("take", None), ("lift-doubt", {"verdict": "founded"})),
    Kind.INCIDENT_INTERVENTION_ENGAGED: _lifecycle(*_TO_INTERVENTION),
    Kind.INCIDENT_ON_SITE: _lifecycle(*_TO_INTERVENTION, ("on-site", None)),
    Kind.INCIDENT_CLOSED: _lifecycle(
        *_TO_INTERVENTION, ("on-site", None), ("close", {"outcome": "arrest"})
    ),
    Kind.INCIDENT_ESCALATED: _escalated,
    Kind.INCIDENT_DISPATCHED: _dispatched,
    Kind.NOTE_POSTED: _noted,
    Kind.DISPATCH_KEYS_ADDED: _keys_added,
    Kind.DISPATCH_STATUS_CHANGED: lambda cast: _dispatched(cast, "en_route", "on_site"),
    Kind.EXERCISE_STARTED: _drill,
    Kind.EXERCISE_ENDED: _drill,
    Kind.CLUSTER_CONFIRMED: _cluster,
    Kind.CRISIS_STARTED: _crisis,
    Kind.CRISIS_INSTRUCTIONS_CHANGED: lambda cast: _crisis(cast, "instructions"),
    Kind.CRISIS_ENDED: lambda cast: _crisis(cast, "end"),
    Kind.PUSH_SUBSCRIBED: _push,
    Kind.PUSH_UNSUBSCRIBED: lambda cast: _push(cast, "withdraw"),
    Kind.PUSH_SUBSCRIPTION_DISABLED: lambda cast: _push(cast, "gone"),
}


def test_every_kind_has_a_scenario_or_happens_only_at_set_up() -> None:
    assert set(SCENARIOS) | snap.SETUP_ONLY == set(Kind)
    assert not set(SCENARIOS) & snap.SETUP_ONLY


def test_set_up_kinds_come_before_any_member() -> None:
    commune = factory.make_commune()
    factory.make_member(Role.COORDINATOR, commune)
    kinds = list(
        Event.objects.filter(commune=commune).order_by("seq").values_list("kind", flat=True)
    )
    first_member = kinds.index(Kind.MEMBER_ENROLLED)
    assert all(kinds.index(kind) < first_member for kind in snap.SETUP_ONLY)


def _viewers(cast: factory.Cast) -> list[Membership]:
    waiting = factory.make_member(Role.MERCHANT, cast.commune, approved=False)
    return [p.membership for p in (*cast.everyone, waiting, cast.outsider)]


def _caught_up(viewer: Membership, before: snap.Snapshot) -> snap.Snapshot:
    state = before
    events = Event.objects.filter(commune_id=viewer.commune_id, seq__gt=before["cursor"])
    for event in events.select_related("member", "shop").order_by("seq"):
        if not visible_to(event, viewer):
            continue
        state = snap.apply(state, event_data(event))
        reload = snap.RELOADS.get(Kind(event.kind), ())
        if reload:
            state = {
                **state,
                **{p: v for p, v in snap.snapshot(viewer, list(reload)).items() if p in reload},
            }
    viewer.refresh_from_db()
    return state


@pytest.mark.parametrize("kind", list(SCENARIOS), ids=str)
def test_old_snapshot_plus_events_equals_a_fresh_one(kind: Kind) -> None:
    cast = factory.make_cast()
    viewers = _viewers(cast)
    before = {viewer.pk: snap.snapshot(viewer) for viewer in viewers}
    first_new = max(s["cursor"] for s in before.values() if s["cursor"]) + 1
    SCENARIOS[kind](cast)
    happened = Event.objects.filter(commune=cast.commune, seq__gte=first_new)
    assert kind in set(happened.values_list("kind", flat=True)), "the scenario missed its kind"
    for viewer in viewers:
        viewer.refresh_from_db()
        if viewer.status in {MembershipStatus.SUSPENDED, MembershipStatus.REVOKED}:
            continue  # thrown out: no snapshot any more, and the stream closes
        fresh = snap.snapshot(viewer)
        caught_up = _caught_up(viewer, before[viewer.pk])
        caught_up["cursor"] = fresh["cursor"]
        assert caught_up == fresh, (viewer.role, viewer.status)


def test_replaying_an_event_already_in_the_snapshot_changes_nothing() -> None:
    """The cursor is read before the parts: an event may already be in them."""
    cast = factory.make_cast()
    viewer = cast[Role.COORDINATOR].membership
    cursor = snap.snapshot(viewer)["cursor"]
    _enrol(cast)
    _suspend(cast)
    state = snap.snapshot(viewer)
    for event in Event.objects.filter(commune=cast.commune, seq__gt=cursor).order_by("seq"):
        state = snap.apply(state, event_data(event))
    assert state == snap.snapshot(viewer)


def test_each_role_holds_the_parts_its_policy_shows() -> None:
    cast = factory.make_cast()
    held = {role: snap.held_parts(p.membership) for role, p in cast.by_role.items()}
    assert held[Role.COORDINATOR] == [
        "sectors",
        "shops",
        "members",
        "invitations",
        "charter",
        "devices",
        "revocation_list",
    ]
    police_and_shops = [
        "sectors",
        "shops",
        "charter",
        "service_key",
        "incidents",
        "group_keys",
        "broadcasts",
    ]
    assert held[Role.OPERATOR] == police_and_shops
    assert held[Role.MERCHANT] == police_and_shops
    assert held[Role.OBSERVER] == ["charter"]
    waiting = factory.make_member(Role.MERCHANT, cast.commune, approved=False)
    assert snap.held_parts(waiting.membership) == ["charter"]


def test_the_snapshot_endpoint_serves_the_held_parts_it_is_asked_for() -> None:
    cast = factory.make_cast()
    merchant = cast[Role.MERCHANT]
    whole = merchant.client().get("/api/v1/stream/snapshot")
    assert whole.status_code == 200, whole.content
    assert whole.json() == json.loads(json.dumps(snap.snapshot(merchant.membership)))
    assert set(whole.json()) == {"cursor", "me", *snap.held_parts(merchant.membership)}

    some = merchant.client().get("/api/v1/stream/snapshot?parts=shops,members")
    assert set(some.json()) == {"cursor", "me", "shops"}
    assert list(some.json()["shops"]) == [str(merchant.shop.public_id)]

    unknown = merchant.client().get("/api/v1/stream/snapshot?parts=shops,secrets")
    assert unknown.status_code == 422
    assert (unknown.json()["code"], unknown.json()["field"]) == ("unknown_part", "parts")
    assert factory.anonymous_client().get("/api/v1/stream/snapshot").status_code == 401

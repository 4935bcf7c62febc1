"""Crisis clusters: reports of one sector and category close in time are proposed as one,
an operator confirms them, and one step (take, lift the doubt, engage, close) applies to
every report it fits, each keeping its own timeline and event; a refusal for one report
changes none; mixed, spread-out or already grouped reports are refused, storing nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from maillage.incidents.models import Cluster, Incident
from maillage.incidents.tests.helpers import make_incident
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.models import Event
from maillage.stream.tests.helpers import assert_by, head, since
from maillage.stream.visibility import visible_to
from maillage.territory.models import Sector
from maillage.territory.tests import factory as territory_factory

pytestmark = pytest.mark.django_db

CLUSTERS = "/api/v1/incidents/clusters"


@pytest.fixture
def street() -> dict[str, factory.Persona]:
    commune = factory.make_commune()
    factory.make_member(Role.COORDINATOR, commune)
    centre = territory_factory.make_sector(commune, name="Centre")
    gare = territory_factory.make_sector(commune, name="Gare")

    def shop_in(sector: Sector) -> factory.Persona:
        return factory.make_member(
            Role.MERCHANT, commune, territory_factory.make_shop(commune, sector)
        )

    return {
        "operator": factory.make_member(Role.OPERATOR, commune),
        "a1": shop_in(centre),
        "a2": shop_in(centre),
        "a3": shop_in(centre),
        "far": shop_in(gare),
    }


def post(persona: factory.Persona, path: str, body: object) -> Any:
    return persona.client().post(path, body, content_type="application/json")


def test_a_proposal_is_confirmed_then_handled_once(street: dict[str, factory.Persona]) -> None:
    operator = street["operator"]
    reports = [make_incident(street[name])[0] for name in ("a1", "a2", "a3")]
    elsewhere, _ = make_incident(street["far"])
    # The first report came an hour earlier: out of the 10-minute window.
    Incident.objects.filter(pk=reports[0].pk).update(
        created_at=reports[0].created_at - timedelta(hours=1)
    )
    [proposal] = operator.client().get(f"{CLUSTERS}/proposals").json()
    ids = [str(r.public_id) for r in reports[1:]]
    assert [i["id"] for i in proposal["incidents"]] == ids
    assert (proposal["sector_name"], proposal["category"]) == ("Centre", "vol")

    before = head(operator.commune)
    confirmed = post(operator, CLUSTERS, {"incidents": ids})
    assert confirmed.status_code == 201, confirmed.content
    cluster = confirmed.json()
    [event] = since(operator.commune, before)
    assert event.kind == "cluster.confirmed"
    assert_by(event, operator.membership, operator.device)
    assert event.payload["incidents"] == ids
    assert visible_to(event, operator.membership)
    assert not visible_to(event, street["a2"].membership)  # no shop sees the grouping
    assert operator.client().get(f"{CLUSTERS}/proposals").json() == []
    listed = {i["id"]: i["cluster"] for i in operator.client().get("/api/v1/incidents").json()}
    assert listed[ids[0]] == listed[ids[1]] == cluster["id"]
    assert listed[str(elsewhere.public_id)] is None

    # One click takes both; each report has its own event and time.
    before = head(operator.commune)
    taken = post(operator, f"{CLUSTERS}/{cluster['id']}/step", {"step": "take"})
    assert taken.status_code == 200, taken.content
    assert sorted(taken.json()["changed"]) == sorted(ids)
    events = since(operator.commune, before)
    assert [e.kind for e in events] == ["incident.taken", "incident.taken"]
    assert sorted(e.target_id for e in events) == sorted(ids)
    assert {Incident.objects.get(public_id=i).state for i in ids} == {"taken"}
    # The reporter of each sees its own step.
    assert visible_to(events[0], Incident.objects.get(public_id=events[0].target_id).reported_by)

    post(operator, f"{CLUSTERS}/{cluster['id']}/step", {"step": "lift_doubt", "verdict": "founded"})
    # A closure that fits none of them changes none.
    before = head(operator.commune)
    wrong = post(
        operator, f"{CLUSTERS}/{cluster['id']}/step", {"step": "close", "outcome": "false_alarm"}
    )
    assert wrong.status_code == 409, wrong.content
    assert since(operator.commune, before) == []
    assert {Incident.objects.get(public_id=i).state for i in ids} == {"doubt_lifted"}
    closed = post(
        operator, f"{CLUSTERS}/{cluster['id']}/step", {"step": "close", "outcome": "left"}
    )
    assert closed.status_code == 200, closed.content
    assert {Incident.objects.get(public_id=i).outcome for i in ids} == {"left"}
    again = post(operator, f"{CLUSTERS}/{cluster['id']}/step", {"step": "close", "outcome": "left"})
    assert (again.status_code, again.json()["code"]) == (409, "nothing_to_do")


def test_refused_groupings_store_nothing(street: dict[str, factory.Persona]) -> None:
    operator = street["operator"]
    a1, _ = make_incident(street["a1"])
    a2, _ = make_incident(street["a2"])
    far, _ = make_incident(street["far"])
    late, _ = make_incident(street["a3"])
    Incident.objects.filter(pk=late.pk).update(created_at=late.created_at + timedelta(hours=2))
    before = head(operator.commune)
    cases = [
        ([a1], 422, None),  # one is not a group (the schema's bound)
        ([a1, far], 400, "cluster_mixed"),
        ([a1, late], 400, "cluster_window"),
        ([a1, a2, a2], 201, None),  # duplicates collapse: a real group of two
    ]
    for members, status, code in cases:
        response = post(operator, CLUSTERS, {"incidents": [str(m.public_id) for m in members]})
        assert response.status_code == status, (members, response.content)
        if code is not None:
            assert response.json()["code"] == code
    [_confirmed] = since(operator.commune, before)
    twice = post(operator, CLUSTERS, {"incidents": [str(a1.public_id), str(a2.public_id)]})
    assert (twice.status_code, twice.json()["code"]) == (409, "already_clustered")
    elsewhere = factory.make_member(Role.OPERATOR, factory.make_commune())
    foreign = post(elsewhere, CLUSTERS, {"incidents": [str(a1.public_id), str(a2.public_id)]})
    assert foreign.status_code == 404
    assert (
        post(
            street["a1"], CLUSTERS, {"incidents": [str(a1.public_id), str(a2.public_id)]}
        ).status_code
        == 403
    )
    assert Cluster.objects.count() == 1
    assert Event.objects.filter(kind="cluster.confirmed").count() == 1


def test_one_patrol_is_sent_to_the_whole_cluster_each_report_with_its_own_keys(
    street: dict[str, factory.Persona],
) -> None:
    from maillage.incidents.models import ContentKeyGrant, Dispatch
    from maillage.incidents.tests.helpers import content_grants

    operator = street["operator"]
    agent = factory.make_member(Role.AGENT, operator.commune, name="Agent de patrouille")
    reports = [
        make_incident(street[name], readers=[operator.device])[0] for name in ("a1", "a2", "a3")
    ]
    ids = [str(r.public_id) for r in reports]
    cluster = post(operator, CLUSTERS, {"incidents": ids}).json()["id"]
    url = f"{CLUSTERS}/{cluster}/dispatch"
    agents = [str(agent.membership.public_id)]
    grants = [g for r in reports for g in content_grants(operator, r, [agent])]

    # Not taken yet: nobody can be sent, nothing is stored.
    refused = post(operator, url, {"agents": agents, "grants": grants})
    assert (refused.status_code, refused.json()["code"]) == (409, "nothing_to_do")
    assert post(operator, f"{CLUSTERS}/{cluster}/step", {"step": "take"}).status_code == 200

    # A grant for a report outside the cluster refuses it all.
    elsewhere, _ = make_incident(street["far"], readers=[operator.device])
    stray = content_grants(operator, elsewhere, [agent])
    mixed = post(operator, url, {"agents": agents, "grants": grants + stray})
    assert (mixed.status_code, mixed.json()["code"]) == (422, "grant_mismatch")
    assert not Dispatch.objects.exists() and not ContentKeyGrant.objects.exists()

    before = head(operator.commune)
    sent = post(operator, url, {"agents": agents, "grants": grants})
    assert sent.status_code == 200, sent.content
    assert sorted(sent.json()["changed"]) == sorted(ids)
    events = since(operator.commune, before)
    assert [e.kind for e in events] == ["incident.dispatched"] * 3
    assert sorted(e.target_id for e in events) == sorted(ids)
    assert Dispatch.objects.filter(agent=agent.membership).count() == 3
    assert ContentKeyGrant.objects.count() == 3
    again = post(operator, url, {"agents": agents, "grants": grants})
    assert (again.status_code, again.json()["code"]) == (409, "nothing_to_do")

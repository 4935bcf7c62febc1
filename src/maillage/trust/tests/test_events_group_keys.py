"""Group keys: a generation and each batch of grants are one event by the operator; a
refusal or an identical retry appends none (broadcasts: broadcasts/tests)."""

from __future__ import annotations

import pytest

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.tests.helpers import assert_by, head, since
from maillage.stream.visibility import visible_to
from maillage.trust.models import GroupKey
from maillage.trust.tests import group_key_factory as keys
from maillage.wire import group_key

pytestmark = pytest.mark.django_db

GRANTS = "/api/v1/group-keys/grants"


def test_publishing_and_granting_are_one_event_each() -> None:
    commune = factory.make_commune()
    operator = factory.make_member(Role.OPERATOR, commune)
    merchant = factory.make_member(Role.MERCHANT, commune)
    scope = f"sector:{merchant.shop.sector.pk}"
    before = head(commune)
    generation = keys.publish(operator, 1, others=(merchant.device,), scope=scope)
    [published] = since(commune, before)
    stored = GroupKey.objects.get(commune=commune, scope=scope, number=1)
    assert (published.kind, published.target_type, published.target_id) == (
        "group_key.published",
        "groupkey",
        str(stored.pk),
    )
    assert_by(published, operator.membership, operator.device)
    assert published.payload == {"scope": scope, "number": 1, "grants": 2}

    newcomer = factory.make_member(Role.MERCHANT, commune, merchant.shop)
    payload = {"grants": [keys.grant(operator, generation, newcomer.device).to_wire()]}
    before = head(commune)
    client = operator.client()
    assert client.post(GRANTS, payload, "application/json").json() == {"number": 1, "grants": 1}
    assert client.post(GRANTS, payload, "application/json").json() == {"number": 1, "grants": 0}
    [granted] = since(commune, before)
    assert granted.kind == "group_key.grants_added"
    assert_by(granted, operator.membership, operator.device)
    assert granted.payload == {"scope": scope, "number": 1, "grants": 1}

    agent = factory.make_member(Role.AGENT, commune)
    before = head(commune)
    stranger = {"grants": [keys.grant(operator, generation, agent.device).to_wire()]}
    assert client.post(GRANTS, stranger, "application/json").status_code == 422
    out_of_turn = keys.new_generation(operator, 3, scope, previous=group_key.body_digest("x"))
    own = keys.grant(operator, out_of_turn, operator.device)
    assert (
        client.post("/api/v1/group-keys", **keys.publish_payload(out_of_turn, [own])).status_code
        == 409
    )
    assert since(commune, before) == []
    assert GroupKey.objects.filter(commune=commune).count() == 1


def test_grants_are_heard_by_the_holders_of_the_scope_not_by_others() -> None:
    """An operator grants the other holders right after publishing (`pending` knows only
    published generations): an open shop page learns of its grant from this event."""
    commune = factory.make_commune()
    operator = factory.make_member(Role.OPERATOR, commune)
    merchant = factory.make_member(Role.MERCHANT, commune)
    coordinator = factory.make_member(Role.COORDINATOR, commune)
    outsider = factory.make_member(Role.MERCHANT, factory.make_commune())
    generation = keys.publish(operator, 1)
    payload = {"grants": [keys.grant(operator, generation, merchant.device).to_wire()]}
    before = head(commune)
    assert operator.client().post(GRANTS, payload, "application/json").status_code == 201
    [granted] = since(commune, before)
    assert granted.kind == "group_key.grants_added"
    seers = {
        name
        for name, persona in {
            "operator": operator,
            "merchant": merchant,
            "coordinator": coordinator,
            "outsider": outsider,
        }.items()
        if visible_to(granted, persona.membership)
    }
    assert seers == {"operator", "merchant"}

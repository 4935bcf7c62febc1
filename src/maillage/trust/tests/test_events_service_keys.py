"""The service key: a generation and each batch of grants are one event by the operator."""

from __future__ import annotations

import pytest

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.tests.helpers import assert_by, head, since
from maillage.territory.models import Commune
from maillage.trust.models import ServiceKey
from maillage.trust.tests import service_key_factory as keys

pytestmark = pytest.mark.django_db

GRANTS = "/api/v1/trust/service-key/grants"


@pytest.fixture
def commune() -> Commune:
    commune = factory.make_commune()
    factory.make_member(Role.COORDINATOR, commune)
    return commune


@pytest.fixture
def operator(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.OPERATOR, commune)


def test_publishing_a_generation_is_one_event_with_its_grants(
    commune: Commune, operator: factory.Persona
) -> None:
    colleague = factory.make_member(Role.OPERATOR, commune)
    before = head(commune)
    keys.publish(operator, 1, others=(colleague.device,))
    published = ServiceKey.objects.get(commune=commune, number=1)
    [event] = since(commune, before)
    assert event.kind == "service_key.published"
    assert_by(event, operator.membership, operator.device)
    assert (event.target_type, event.target_id) == ("servicekey", str(published.pk))
    assert event.payload == {"number": 1, "grants": 2}


def test_grants_are_one_event_and_an_identical_retry_none(
    commune: Commune, operator: factory.Persona
) -> None:
    generation = keys.publish(operator, 1)
    colleague = factory.make_member(Role.OPERATOR, commune)
    payload = {"grants": [keys.grant(operator, generation, colleague.device).to_wire()]}
    before = head(commune)
    client = operator.client()
    assert client.post(GRANTS, payload, "application/json").json() == {"number": 1, "grants": 1}
    assert client.post(GRANTS, payload, "application/json").json() == {"number": 1, "grants": 0}
    [event] = since(commune, before)
    assert event.kind == "service_key.grants_added"
    assert_by(event, operator.membership, operator.device)
    assert event.payload == {"number": 1, "grants": 1}


def test_refused_publications_and_grants_leave_no_event(
    commune: Commune, operator: factory.Persona
) -> None:
    agent = factory.make_member(Role.AGENT, commune)
    before = head(commune)
    out_of_turn = keys.new_generation(operator, 2)
    grant = keys.grant(operator, out_of_turn, operator.device)
    conflict = operator.client().post(
        "/api/v1/trust/service-keys", **keys.publish_payload(out_of_turn, [grant])
    )
    first = keys.new_generation(operator, 1)
    denied = agent.client().post(
        "/api/v1/trust/service-keys",
        **keys.publish_payload(first, [keys.grant(operator, first, operator.device)]),
    )
    assert (conflict.status_code, denied.status_code) == (409, 403)
    assert since(commune, before) == []
    generation = keys.publish(operator, 1)
    before = head(commune)
    stranger = keys.grant(operator, generation, agent.device)
    refused = operator.client().post(GRANTS, {"grants": [stranger.to_wire()]}, "application/json")
    assert refused.status_code == 422
    assert since(commune, before) == []

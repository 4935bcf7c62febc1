"""The key directory (GET /api/v1/trust/recipients): who a sealed message should go to.

Real personas, real certificates: every chain served is verified here as a client would,
and the Python client's `resolve_recipients` must accept what the server returns.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from maillage.incidents.models import Dispatch, Incident
from maillage.incidents.tests.helpers import dispatched_incident, make_incident
from maillage.members.models import Membership, Role
from maillage.members.tests import factory
from maillage.stream.action import CLI
from maillage.territory.models import Commune, Sector, Shop
from maillage.territory.tests import factory as territory_factory
from maillage.trust import recipients
from maillage.trust import revocations as trust_revocations
from maillage.trust.tests import service_key_factory as keys
from maillage.wire import chain
from maillage.wire.envelope import EnvelopeError
from maillage.wire.recipients import Resolution, TrustState, resolve_recipients

pytestmark = pytest.mark.django_db


def _incident(merchant: factory.Persona) -> Incident:
    """A report the merchant sent through the real action (no attachment, so no file)."""
    return make_incident(merchant)[0]


def _devices(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {entry["device"] for entry in response.json()["devices"]}


def _ids(*personas: factory.Persona) -> set[str]:
    return {str(p.device.public_id) for p in personas}


def _dispatcher(incident: Incident) -> factory.Persona:
    """The operator `dispatched_incident` made to send the agent: one device, listed."""
    membership = Dispatch.objects.get(incident=incident).dispatched_by
    return factory.Persona(membership, membership.devices.get())


class World:
    """One shop reporting, the police, and everyone who must NOT receive its content."""

    def __init__(self, commune: Commune) -> None:
        self.commune = commune
        self.coordinator = factory.make_member(Role.COORDINATOR, commune)
        self.shop = factory.make_shop(commune)
        self.merchant = factory.make_member(Role.MERCHANT, commune, self.shop)
        self.colleague = factory.make_member(Role.MERCHANT, commune, self.shop)
        self.operators = [factory.make_member(Role.OPERATOR, commune) for _ in range(2)]
        self.agent = factory.make_member(Role.AGENT, commune)
        self.other_merchant = factory.make_member(Role.MERCHANT, commune)
        self.pending_operator = factory.make_member(Role.OPERATOR, commune, approved=False)
        self.suspended_operator = factory.make_member(Role.OPERATOR, commune)
        factory.suspend(self.suspended_operator)
        self.revoked_operator = factory.make_member(Role.OPERATOR, commune)
        trust_revocations.revoke_devices_with_root(
            CLI, commune, factory.root_key(commune), [self.revoked_operator.device]
        )
        # A second device of an active operator, revoked: the member stays, the device not.
        self.lost_phone = factory.add_device(self.operators[0].membership)
        factory.certify(self.lost_phone)
        trust_revocations.revoke_devices_with_root(
            CLI, commune, factory.root_key(commune), [self.lost_phone]
        )
        self.expected = _ids(self.merchant, self.colleague, *self.operators)


@pytest.fixture
def world(commune: Commune) -> World:
    return World(commune)


def test_report_lists_police_and_own_shop_only(world: World) -> None:
    response = world.merchant.client().get("/api/v1/trust/recipients")
    assert _devices(response) == world.expected
    data = response.json()
    assert data["purpose"] == "report"
    assert data["shop"] == str(world.shop.public_id)
    assert data["service_key"] is None
    # List 1 came with the suspension (the coordinator's device), 2 and 3 from the root.
    assert data["revocations"]["number"] == 3
    assert data["revocations"]["chain"] == []  # the latest is signed by the root


def test_every_chain_verifies_to_the_root_and_names_its_device(world: World) -> None:
    data = world.merchant.client().get("/api/v1/trust/recipients").json()
    root = world.commune.root
    revoked_doc, revoked_chain = chain.parse_revocation_document(data["revocations"])
    now = int(timezone.now().timestamp())
    revocations = chain.verify_revocation_list(
        revoked_doc,
        revoked_chain,
        root.public_key,
        root.fingerprint,
        str(world.commune.public_id),
        0,
        now,
    )
    for entry in data["devices"]:
        leaf = chain.verify_chain(
            chain.parse_chain(entry["chain"]),
            root.public_key,
            root.fingerprint,
            str(world.commune.public_id),
            revocations,
            now,
        )
        assert leaf.device == entry["device"]
        assert leaf.role in {"operateur", "commercant"}
        assert leaf.role == "operateur" or leaf.shop == str(world.shop.public_id)


def test_incident_directory_for_every_member_allowed_to_post(world: World) -> None:
    incident = _incident(world.merchant)
    url = f"/api/v1/trust/recipients?incident={incident.public_id}"
    for persona in (world.merchant, world.colleague, world.operators[1]):
        response = persona.client().get(url)
        assert _devices(response) == world.expected
        assert response.json()["purpose"] == "incident"
        assert response.json()["shop"] == str(world.shop.public_id)
    # An agent posts only where it was sent; there, its own devices are listed too.
    assert world.agent.client().get(url).status_code == 403
    sent_to, _ = dispatched_incident(world.merchant, world.agent)
    response = world.agent.client().get(f"/api/v1/trust/recipients?incident={sent_to.public_id}")
    assert _devices(response) == world.expected | _ids(world.agent, _dispatcher(sent_to))


def test_incident_refusals(world: World) -> None:
    incident = _incident(world.merchant)
    url = f"/api/v1/trust/recipients?incident={incident.public_id}"
    refused = world.other_merchant.client().get(url)
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert world.coordinator.client().get(url).status_code == 403

    unknown = world.operators[0].client().get(f"/api/v1/trust/recipients?incident={uuid.uuid4()}")
    assert unknown.status_code == 404

    elsewhere = factory.make_commune()
    foreign = _incident(factory.make_member(Role.MERCHANT, elsewhere))
    response = (
        world.operators[0].client().get(f"/api/v1/trust/recipients?incident={foreign.public_id}")
    )
    assert response.status_code == 404
    assert str(foreign.shop.public_id) not in response.content.decode()


def test_only_merchants_report(world: World) -> None:
    for persona in (world.operators[0], world.agent, world.coordinator):
        response = persona.client().get("/api/v1/trust/recipients")
        assert response.status_code == 403, persona.membership.role


def test_incident_and_sector_together_are_refused(world: World) -> None:
    incident = _incident(world.merchant)
    response = (
        world.operators[0]
        .client()
        .get(
            f"/api/v1/trust/recipients?incident={incident.public_id}&sector={world.shop.sector_id}"
        )
    )
    assert response.status_code == 422
    assert response.json()["field"] == "sector"


def _sector_world(commune: Commune) -> tuple[Sector, list[factory.Persona], factory.Persona]:
    sector = territory_factory.make_sector(commune)
    shops = [territory_factory.make_shop(commune, sector) for _ in range(2)]
    merchants = [factory.make_member(Role.MERCHANT, commune, shop) for shop in shops]
    closed: Shop = territory_factory.make_shop(commune, sector)
    closed_merchant = factory.make_member(Role.MERCHANT, commune, closed)
    Shop.objects.filter(pk=closed.pk).update(is_active=False)
    return sector, merchants, closed_merchant


def test_sector_lists_merchants_of_the_sector_without_service_key(world: World) -> None:
    sector, merchants, _ = _sector_world(world.commune)
    url = f"/api/v1/trust/recipients?sector={sector.pk}"
    for persona in (merchants[0], world.operators[0]):
        response = persona.client().get(url)
        assert _devices(response) == _ids(*merchants)
        data = response.json()
        assert data["purpose"] == "sector"
        assert data["shop"] is None
        assert data["service_key"] is None


def test_sector_refusals(world: World) -> None:
    sector, _, _ = _sector_world(world.commune)
    url = f"/api/v1/trust/recipients?sector={sector.pk}"
    # A merchant of another sector, an agent, a coordinator: no neighbour alert here.
    for persona in (world.merchant, world.agent, world.coordinator):
        assert persona.client().get(url).status_code == 403, persona.membership.role
    assert (
        world.operators[0].client().get("/api/v1/trust/recipients?sector=999999").status_code == 404
    )
    foreign_sector = territory_factory.make_sector(factory.make_commune())
    response = (
        world.operators[0].client().get(f"/api/v1/trust/recipients?sector={foreign_sector.pk}")
    )
    assert response.status_code == 404


def _many_devices(commune: Commune, sector: Sector, shops: int, per_shop: int) -> None:
    for _ in range(shops):
        shop = territory_factory.make_shop(commune, sector)
        first = factory.make_member(Role.MERCHANT, commune, shop)
        for _ in range(per_shop - 1):
            factory.certify(factory.add_device(first.membership))


def _count_queries(persona: factory.Persona, url: str) -> tuple[int, int]:
    client = persona.client()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), len(response.json()["devices"])


def test_directory_queries_do_not_grow_with_devices(
    commune: Commune, django_assert_max_num_queries: Any
) -> None:
    sector = territory_factory.make_sector(commune)
    operator = factory.make_member(Role.OPERATOR, commune)
    url = f"/api/v1/trust/recipients?sector={sector.pk}"
    _many_devices(commune, sector, shops=2, per_shop=1)
    few_queries, few = _count_queries(operator, url)
    _many_devices(commune, sector, shops=10, per_shop=3)
    many_queries, many = _count_queries(operator, url)
    assert (few, many) == (2, 32)
    assert many_queries == few_queries
    client = operator.client()
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


# --- end to end: the Python client believes what the server returns -------------------


def _state(commune: Commune) -> TrustState:
    root = commune.root
    return TrustState(root.public_key, root.fingerprint, str(commune.public_id))


def _resolve(persona: factory.Persona, query: str = "") -> Resolution:
    response = persona.client().get(f"/api/v1/trust/recipients{query}")
    assert response.status_code == 200, response.content
    return resolve_recipients(response.json(), _state(persona.commune), keys.now())


def test_client_resolves_the_report_directory_with_the_service_key(world: World) -> None:
    generation = keys.publish(world.operators[0], 1)
    resolution = _resolve(world.merchant)
    assert resolution.refused == []
    by_id = {(r.kind, r.id): r.key for r in resolution.recipients}
    expected_devices = {
        ("device", str(p.device.public_id)): p.device.enc_public_key
        for p in (world.merchant, world.colleague, *world.operators)
    }
    assert by_id == {**expected_devices, ("service", "police:1"): generation.public_key}
    assert resolution.state.last_service_key_number == 1
    assert resolution.state.last_revocation_number == 3
    assert resolution.state.known_revoked_serials == resolution.revocations.serials
    assert len(resolution.revocations.serials) == 3  # suspended, revoked, lost phone


def test_client_resolves_incident_and_sector_directories(world: World) -> None:
    keys.publish(world.operators[0], 1)
    incident, _ = dispatched_incident(world.merchant, world.agent)
    resolution = _resolve(world.agent, f"?incident={incident.public_id}")
    assert resolution.refused == []
    expected = world.expected | _ids(world.agent, _dispatcher(incident)) | {"police:1"}
    assert {r.id for r in resolution.recipients} == expected

    sector, merchants, _ = _sector_world(world.commune)
    resolution = _resolve(merchants[1], f"?sector={sector.pk}")
    assert resolution.refused == []
    assert resolution.service_key is None
    assert {r.id for r in resolution.recipients} == _ids(*merchants)


def test_key_of_a_revoked_operator_is_served_but_refused_by_the_client(world: World) -> None:
    keys.publish(world.operators[1], 1)
    trust_revocations.revoke_devices_with_root(
        CLI, world.commune, factory.root_key(world.commune), [world.operators[1].device]
    )
    resolution = _resolve(world.merchant)
    assert resolution.refused == [("service:police", "revoked")]
    assert {r.id for r in resolution.recipients} == _ids(
        world.merchant, world.colleague, world.operators[0]
    )


def test_without_police_the_client_refuses_to_send(commune: Commune) -> None:
    merchant = factory.make_member(Role.MERCHANT, commune)
    with pytest.raises(EnvelopeError) as refused:
        _resolve(merchant)
    assert refused.value.code == "no_police_recipient"


def test_incident_directory_reads_the_incident_once(world: World) -> None:
    """Sealing a message in an incident asks the directory each time: the incident (with
    its shop) is read once and the policy is asked about that same row."""
    incident, _ = dispatched_incident(world.merchant, world.agent)
    for persona in (world.operators[0], world.merchant, world.agent):
        actor = Membership.objects.select_related("commune", "shop").get(pk=persona.membership.pk)
        with CaptureQueriesContext(connection) as captured:
            rows = recipients.directory_rows(actor, incident=incident.public_id)
        assert rows.shop == world.shop
        # The incident and its shop, [the agent's dispatch,] the certificates, the
        # revocation list, the service key.
        assert len(captured) == (5 if persona is world.agent else 4), captured.captured_queries

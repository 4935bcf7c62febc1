"""Broadcast group keys over the API: generations per scope, grants, pending devices.

Documents and grants are made by the wire code with the personas' real keys, and every
answer is checked as a device would: verify the generations in order, open the grant,
compare public halves. Rotation is covered with the broadcasts it protects
(broadcasts/tests/test_broadcasts_api.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.territory.models import Commune
from maillage.territory.tests import factory as territory_factory
from maillage.trust import directory
from maillage.trust.models import GroupKey, GroupKeyGrant
from maillage.trust.tests import group_key_factory as keys
from maillage.wire import chain, group_key
from maillage.wire.envelope import TrustContext
from maillage.wire.hpke import x25519_public_of

pytestmark = pytest.mark.django_db

PUBLISH = "/api/v1/group-keys"
GRANTS = "/api/v1/group-keys/grants"
CURRENT = "/api/v1/group-keys/commune"


@pytest.fixture
def commune() -> Commune:
    commune = factory.make_commune()
    factory.make_member(Role.COORDINATOR, commune)
    return commune


@pytest.fixture
def operator(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.OPERATOR, commune)


@pytest.fixture
def merchant(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.MERCHANT, commune)


def trust(commune: Commune) -> TrustContext:
    root = directory.root_of(commune)
    _, revocations = directory.parsed_revocations(commune)
    return TrustContext(root.public_key, root.fingerprint, str(commune.public_id), revocations)


def open_my_grant(persona: factory.Persona, scope: str = "commune") -> Any:
    """What a device does: verify every generation in order, then open its own grant."""
    client = persona.client()
    listed = client.get(f"/api/v1/group-keys/{scope}/generations")
    assert listed.status_code == 200, listed.content
    context, last = trust(persona.commune), None
    for wire in listed.json()["generations"]:
        last = group_key.verify_group_key(wire, context, keys.now(), scope, last)
    assert last is not None
    response = client.get(f"/api/v1/group-keys/{scope}/grant")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["number"] == last.number
    return group_key.open_group_grant(
        chain.SignedDocument.from_wire(data["grant"]),
        chain.parse_chain(data["granter_chain"]),
        str(persona.device.public_id),
        persona.enc_key,
        last,
        context,
    )


def stored(commune: Commune) -> tuple[int, int]:
    return (
        GroupKey.objects.filter(commune=commune).count(),
        GroupKeyGrant.objects.filter(group_key__commune=commune).count(),
    )


def post(persona: factory.Persona, url: str, data: dict[str, Any]) -> Any:
    return persona.client().post(url, data, content_type="application/json")


def test_before_any_generation_and_who_may_publish(
    commune: Commune, operator: factory.Persona, merchant: factory.Persona
) -> None:
    for url in (CURRENT, f"{CURRENT}/grant", f"{CURRENT}/pending"):
        response = operator.client().get(url)
        assert (response.status_code, response.json()["code"]) == (404, "no_group_key")
    assert operator.client().get(f"{CURRENT}/generations").json() == {"generations": []}
    agent = factory.make_member(Role.AGENT, commune)
    assert agent.client().get(CURRENT).status_code == 403
    for persona in (merchant, agent):
        generation = keys.new_generation(persona)
        own = keys.grant(persona, generation, persona.device)
        response = persona.client().post(PUBLISH, **keys.publish_payload(generation, [own]))
        assert response.status_code == 403
    assert operator.client().get("/api/v1/group-keys/nowhere:1").status_code == 422
    assert operator.client().get("/api/v1/group-keys/sector:999999").status_code == 404
    assert stored(commune) == (0, 0)


def test_a_generation_reaches_merchants_and_pending_devices_get_theirs(
    commune: Commune, operator: factory.Persona, merchant: factory.Persona
) -> None:
    generation = keys.publish(operator, 1, others=(merchant.device,))
    current = merchant.client().get(CURRENT).json()
    assert (current["number"], current["rotation_needed"]) == (1, False)
    assert current["merchant_holders"] == 1  # the operator's own device is not a shop's
    assert x25519_public_of(open_my_grant(merchant)) == generation.public_key

    newcomer = factory.make_member(Role.MERCHANT, commune)
    colleague = factory.make_member(Role.OPERATOR, commune)
    factory.make_member(Role.AGENT, commune)  # never entitled
    assert newcomer.client().get(f"{CURRENT}/grant").json()["code"] == "no_grant"
    assert merchant.client().get(f"{CURRENT}/pending").status_code == 403
    pending = operator.client().get(f"{CURRENT}/pending").json()
    assert pending["number"] == 1
    by_device = {entry["device"]: entry for entry in pending["devices"]}
    assert set(by_device) == {str(newcomer.device.public_id), str(colleague.device.public_id)}
    entry = by_device[str(newcomer.device.public_id)]
    assert (entry["member"], entry["role"]) == (str(newcomer.membership.public_id), "commercant")
    assert entry["enc_public_key"] == newcomer.device.enc_public_key
    leaf = chain.verify_chain(
        chain.parse_chain(entry["chain"]),
        commune.root.public_key,
        commune.root.fingerprint,
        str(commune.public_id),
        trust(commune).revocations,
        keys.now(),
    )
    assert leaf.enc_key == newcomer.device.enc_public_key

    payload = {
        "grants": [
            keys.grant(operator, generation, newcomer.device).to_wire(),
            keys.grant(operator, generation, colleague.device).to_wire(),
        ]
    }
    assert post(operator, GRANTS, payload).json() == {"number": 1, "grants": 2}
    retry = post(operator, GRANTS, payload)
    assert (retry.status_code, retry.json()) == (201, {"number": 1, "grants": 0})
    other = {"grants": [keys.grant(operator, generation, newcomer.device).to_wire()]}
    assert post(operator, GRANTS, other).json()["code"] == "grant_exists"
    assert operator.client().get(f"{CURRENT}/pending").json()["devices"] == []
    assert operator.client().get(CURRENT).json()["merchant_holders"] == 2
    assert x25519_public_of(open_my_grant(newcomer)) == generation.public_key
    assert stored(commune) == (1, 4)


def test_grant_refusals(
    commune: Commune, operator: factory.Persona, merchant: factory.Persona
) -> None:
    generation = keys.publish(operator, 1)
    agent = factory.make_member(Role.AGENT, commune)
    to_agent = post(
        operator, GRANTS, {"grants": [keys.grant(operator, generation, agent.device).to_wire()]}
    )
    assert (to_agent.status_code, to_agent.json()) == (
        422,
        {
            "code": "not_allowed_recipient",
            "message": "La clé de diffusion ne peut être transmise qu'à un appareil certifié "
            "d'un commerçant ou d'un opérateur actif de ce périmètre.",
            "field": "grants.0",
        },
    )
    # A device without the generation cannot hand it over, whatever it knows.
    colleague = factory.make_member(Role.OPERATOR, commune)
    by_non_holder = post(
        colleague,
        GRANTS,
        {"grants": [keys.grant(colleague, generation, merchant.device).to_wire()]},
    )
    assert by_non_holder.status_code == 403
    wrong_key = keys.grant(
        operator, generation, merchant.device, recipient_key=agent.device.enc_public_key
    )
    assert post(operator, GRANTS, {"grants": [wrong_key.to_wire()]}).json() == {
        "code": "grant_mismatch",
        "message": "La clé de chiffrement visée n'est pas celle de l'appareil destinataire.",
        "field": "grants.0",
    }
    twice = keys.grant(operator, generation, merchant.device).to_wire()
    assert post(operator, GRANTS, {"grants": [twice, twice]}).json() == {
        "code": "grant_mismatch",
        "message": "Deux attributions pour le même appareil.",
        "field": "grants.1",
    }
    assert stored(commune) == (1, 1)


def test_generations_are_numbered_and_linked(commune: Commune, operator: factory.Persona) -> None:
    def publish(generation: keys.Generation) -> Any:
        own = keys.grant(operator, generation, operator.device)
        return operator.client().post(PUBLISH, **keys.publish_payload(generation, [own]))

    early = publish(keys.new_generation(operator, 2, previous=group_key.body_digest("x")))
    assert (early.status_code, early.json()["code"]) == (409, "group_key_conflict")
    first = keys.publish(operator, 1)
    again = publish(keys.new_generation(operator, 1))
    assert (again.status_code, again.json()["code"]) == (409, "group_key_conflict")
    forked = publish(keys.new_generation(operator, 2, previous=group_key.body_digest("x")))
    assert (forked.status_code, forked.json()["code"]) == (422, "wrong_group_key")
    reused = keys.new_generation(operator, 2, public_key=first.public_key)
    assert publish(reused).json()["code"] == "group_key_reused"
    late = publish(keys.new_generation(operator, 2, issued_at=keys.now() - 3600))
    assert late.json()["code"] == "group_key_time"
    colleague = factory.make_member(Role.OPERATOR, commune)
    no_self = keys.new_generation(operator, 2)
    response = operator.client().post(
        PUBLISH, **keys.publish_payload(no_self, [keys.grant(operator, no_self, colleague.device)])
    )
    assert response.json()["code"] == "grant_required"
    assert stored(commune) == (1, 1)
    keys.publish(operator, 2)
    numbers = [
        g["number"] for g in operator.client().get(f"{CURRENT}/generations").json()["generations"]
    ]
    assert numbers == [1, 2]
    older = operator.client().get(f"{CURRENT}?number=1").json()
    assert (older["number"], older["rotation_needed"]) == (1, False)


def test_a_sector_key_reaches_that_sector_only(
    commune: Commune, operator: factory.Persona, merchant: factory.Persona
) -> None:
    sector = merchant.shop.sector
    scope = f"sector:{sector.pk}"
    elsewhere = territory_factory.make_sector(commune, name="Faubourg")
    outsider = factory.make_member(
        Role.MERCHANT, commune, territory_factory.make_shop(commune, elsewhere)
    )
    generation = keys.new_generation(operator, 1, scope)
    stray = keys.grant(operator, generation, outsider.device)
    own = keys.grant(operator, generation, operator.device)
    refused = operator.client().post(PUBLISH, **keys.publish_payload(generation, [own, stray]))
    assert (refused.status_code, refused.json()["code"]) == (422, "not_allowed_recipient")
    published = keys.publish(operator, 1, others=(merchant.device,), scope=scope)
    assert x25519_public_of(open_my_grant(merchant, scope)) == published.public_key
    assert outsider.client().get(f"/api/v1/group-keys/{scope}").status_code == 403
    assert merchant.client().get(f"/api/v1/group-keys/sector:{elsewhere.pk}").status_code == 403
    pending = operator.client().get(f"/api/v1/group-keys/{scope}/pending").json()
    assert pending["devices"] == []
    # Scopes are numbered apart: the commune's first generation is still number 1.
    assert keys.publish(operator, 1).number == 1
    far = factory.make_member(Role.OPERATOR, factory.make_commune())
    assert far.client().get(f"/api/v1/group-keys/{scope}").status_code == 404
    assert far.client().get(CURRENT).json()["code"] == "no_group_key"

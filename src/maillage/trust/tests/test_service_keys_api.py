"""The police service key over the API: generations, grants, pending devices, rotation.

Every document is produced by the Python client (`maillage.wire.service_key`) with the
personas' real keys, and every answer is checked the way an operator device would check
it: verify the key document, open the grant, compare public halves.
"""

from __future__ import annotations

from typing import Any

import pytest

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.action import CLI
from maillage.territory.models import Commune
from maillage.trust import directory
from maillage.trust import memberships as trust_memberships
from maillage.trust import revocations as trust_revocations
from maillage.trust.models import Device, DeviceStatus, ServiceKey, ServiceKeyGrant
from maillage.trust.tests import service_key_factory as keys
from maillage.wire import chain, service_key
from maillage.wire.envelope import TrustContext
from maillage.wire.hpke import x25519_public_of

pytestmark = pytest.mark.django_db

PUBLISH = "/api/v1/trust/service-keys"
CURRENT = "/api/v1/trust/service-key"
GRANT = "/api/v1/trust/service-key/grant"
PENDING = "/api/v1/trust/service-key/pending"
GRANTS = "/api/v1/trust/service-key/grants"


@pytest.fixture
def commune() -> Commune:
    commune = factory.make_commune()
    factory.make_member(Role.COORDINATOR, commune)
    return commune


@pytest.fixture
def operator(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.OPERATOR, commune)


@pytest.fixture
def colleague(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.OPERATOR, commune)


def trust(commune: Commune) -> TrustContext:
    root = directory.root_of(commune)
    _, revocations = directory.parsed_revocations(commune)
    return TrustContext(root.public_key, root.fingerprint, str(commune.public_id), revocations)


def fetch_key(persona: factory.Persona) -> tuple[dict[str, Any], service_key.ServiceKeyDocument]:
    """GET the current generation and verify it as a device would."""
    response = persona.client().get(CURRENT)
    assert response.status_code == 200, response.content
    data = response.json()
    verified = service_key.verify_service_key(data, trust(persona.commune), keys.now())
    return data, verified


def open_my_grant(persona: factory.Persona, number: int | None = None) -> Any:
    """GET this device's grant and open it: the recovered service private key."""
    _, document = fetch_key(persona)
    url = GRANT if number is None else f"{GRANT}?number={number}"
    response = persona.client().get(url)
    assert response.status_code == 200, response.content
    data = response.json()
    if number is not None and number != document.number:
        document = service_key.parse_service_key_document(
            chain.SignedDocument(
                *ServiceKey.objects.filter(commune=persona.commune, number=number)
                .values_list("body", "signature")
                .get()
            )
        )
    return service_key.open_grant(
        chain.SignedDocument.from_wire(data["grant"]),
        chain.parse_chain(data["granter_chain"]),
        str(persona.device.public_id),
        persona.enc_key,
        document,
        trust(persona.commune),
        keys.now(),
    )


def stored(commune: Commune) -> tuple[int, int]:
    return (
        ServiceKey.objects.filter(commune=commune).count(),
        ServiceKeyGrant.objects.filter(service_key__commune=commune).count(),
    )


def test_no_service_key_yet(operator: factory.Persona) -> None:
    for url in (CURRENT, PENDING, GRANT):
        response = operator.client().get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "no_service_key"


def test_first_operator_publishes_generation_one_and_opens_its_grant(
    operator: factory.Persona,
) -> None:
    generation = keys.publish(operator, 1)
    data, document = fetch_key(operator)
    assert data["number"] == 1
    assert data["rotation_needed"] is False
    assert document.key == generation.public_key
    assert document.issuer == operator.device.sign_key_fingerprint
    recovered = open_my_grant(operator)
    assert x25519_public_of(recovered) == generation.public_key


def test_merchants_and_agents_see_the_key_but_cannot_manage_it(
    commune: Commune, operator: factory.Persona
) -> None:
    keys.publish(operator, 1)
    merchant = factory.make_member(Role.MERCHANT, commune)
    agent = factory.make_member(Role.AGENT, commune)
    for persona in (merchant, agent):
        assert fetch_key(persona)[0]["number"] == 1
        for url in (GRANT, PENDING):
            assert persona.client().get(url).status_code == 403
    generation = keys.new_generation(merchant, 2)
    response = merchant.client().post(
        PUBLISH,
        **keys.publish_payload(generation, [keys.grant(merchant, generation, merchant.device)]),
    )
    assert response.status_code == 403
    assert stored(commune) == (1, 1)


def test_pending_device_receives_the_key_from_a_holder(
    operator: factory.Persona, colleague: factory.Persona
) -> None:
    generation = keys.publish(operator, 1)
    missing = colleague.client().get(GRANT)
    assert missing.status_code == 404
    assert missing.json()["code"] == "no_grant"

    pending = operator.client().get(PENDING).json()
    assert pending["number"] == 1
    assert [d["device"] for d in pending["devices"]] == [str(colleague.device.public_id)]
    # The holder verifies the waiting device's chain and takes its key from the leaf only.
    leaf = chain.verify_chain(
        chain.parse_chain(pending["devices"][0]["chain"]),
        operator.commune.root.public_key,
        operator.commune.root.fingerprint,
        str(operator.commune.public_id),
        trust(operator.commune).revocations,
        keys.now(),
    )
    assert leaf.role == "operateur"
    assert leaf.enc_key == colleague.device.enc_public_key
    document = keys.grant(operator, generation, colleague.device)
    response = operator.client().post(
        GRANTS, data={"grants": [document.to_wire()]}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json() == {"number": 1, "grants": 1}

    assert operator.client().get(PENDING).json()["devices"] == []
    recovered = open_my_grant(colleague)
    assert x25519_public_of(recovered) == generation.public_key


def test_retrying_a_grant_is_harmless_a_different_one_conflicts(
    operator: factory.Persona, colleague: factory.Persona
) -> None:
    generation = keys.publish(operator, 1)
    document = keys.grant(operator, generation, colleague.device)
    client = operator.client()
    payload = {"grants": [document.to_wire()]}
    first = client.post(GRANTS, data=payload, content_type="application/json")
    assert first.json() == {"number": 1, "grants": 1}
    retry = client.post(GRANTS, data=payload, content_type="application/json")
    assert (retry.status_code, retry.json()) == (201, {"number": 1, "grants": 0})
    other = keys.grant(operator, generation, colleague.device)
    response = client.post(
        GRANTS, data={"grants": [other.to_wire()]}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "grant_exists"
    assert stored(operator.commune) == (1, 2)


def test_a_device_without_the_key_cannot_grant_it(
    commune: Commune, operator: factory.Persona, colleague: factory.Persona
) -> None:
    generation = keys.publish(operator, 1)
    newcomer = factory.make_member(Role.OPERATOR, commune)
    # Even holding the private key by some other means, a non-holder's grant is refused.
    document = keys.grant(colleague, generation, newcomer.device)
    response = colleague.client().post(
        GRANTS, data={"grants": [document.to_wire()]}, content_type="application/json"
    )
    assert response.status_code == 403
    assert stored(commune) == (1, 1)


@pytest.mark.parametrize("number", [2, 3])
def test_first_generation_must_be_number_one(operator: factory.Persona, number: int) -> None:
    generation = keys.new_generation(operator, number)
    response = operator.client().post(
        PUBLISH,
        **keys.publish_payload(generation, [keys.grant(operator, generation, operator.device)]),
    )
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "service_key_conflict"
    assert stored(operator.commune) == (0, 0)


def test_publishing_the_same_generation_twice_conflicts(
    operator: factory.Persona, colleague: factory.Persona
) -> None:
    keys.publish(operator, 1)
    generation = keys.new_generation(colleague, 1)
    response = colleague.client().post(
        PUBLISH,
        **keys.publish_payload(generation, [keys.grant(colleague, generation, colleague.device)]),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "service_key_conflict"
    assert stored(operator.commune) == (1, 1)


def _refused(persona: factory.Persona, generation: keys.Generation, grants: list[Any]) -> Any:
    response = persona.client().post(PUBLISH, **keys.publish_payload(generation, grants))
    assert response.status_code == 422, response.content
    assert stored(persona.commune) == (0, 0), "a refused publication must leave nothing"
    return response.json()


def test_publication_refusals_leave_nothing(
    commune: Commune, operator: factory.Persona, colleague: factory.Persona
) -> None:
    generation = keys.new_generation(operator, 1)
    own = keys.grant(operator, generation, operator.device)

    signed_by_colleague = keys.new_generation(colleague, 1)
    error = _refused(operator, signed_by_colleague, [own])
    assert error["field"] == "document"

    tampered = keys.Generation(
        1,
        generation.private_key,
        chain.SignedDocument(generation.document.body, signed_by_colleague.document.signature),
    )
    assert _refused(operator, tampered, [own])["code"] == "bad_signature"

    other_commune = keys.new_generation(operator, 1, commune=str(factory.make_commune().public_id))
    assert _refused(operator, other_commune, [own])["field"] == "document"

    late = keys.new_generation(operator, 1, issued_at=keys.now() - 3600)
    assert _refused(operator, late, [keys.grant(operator, late, operator.device)])["code"] == (
        "service_key_time"
    )

    no_self_grant = _refused(
        operator, generation, [keys.grant(operator, generation, colleague.device)]
    )
    assert no_self_grant["code"] == "grant_required"

    merchant = factory.make_member(Role.MERCHANT, commune)
    to_merchant = keys.grant(operator, generation, merchant.device)
    assert _refused(operator, generation, [own, to_merchant]) == {
        "code": "not_allowed_recipient",
        "message": "La clé de service ne peut être transmise qu'à un appareil certifié d'un "
        "opérateur actif de la commune.",
        "field": "grants.1",
    }

    wrong_key = keys.grant(
        operator, generation, colleague.device, recipient_key=merchant.device.enc_public_key
    )
    assert _refused(operator, generation, [own, wrong_key]) == {
        "code": "grant_mismatch",
        "message": "La clé de chiffrement visée n'est pas celle de l'appareil destinataire.",
        "field": "grants.1",
    }

    wrong_number = keys.grant(operator, generation, colleague.device, number=2)
    assert _refused(operator, generation, [own, wrong_number])["code"] == "grant_mismatch"

    by_colleague = keys.grant(colleague, generation, colleague.device)
    assert _refused(operator, generation, [own, by_colleague])["code"] == "grant_mismatch"

    forged = chain.SignedDocument(
        keys.grant(operator, generation, colleague.device).body, by_colleague.signature
    )
    assert _refused(operator, generation, [own, forged])["code"] == "bad_signature"

    twice = _refused(operator, generation, [own, keys.grant(operator, generation, operator.device)])
    assert twice == {
        "code": "grant_mismatch",
        "message": "Deux attributions pour le même appareil.",
        "field": "grants.1",
    }


def test_revoked_holder_flags_rotation_and_is_left_out_of_the_next_generation(
    commune: Commune, operator: factory.Persona, colleague: factory.Persona
) -> None:
    keys.publish(operator, 1, others=(colleague.device,))
    assert fetch_key(operator)[0]["rotation_needed"] is False

    trust_revocations.revoke_devices_with_root(
        CLI, commune, factory.root_key(commune), [colleague.device]
    )
    assert fetch_key(operator)[0]["rotation_needed"] is True

    # The revoked device can no longer be granted anything.
    second = keys.new_generation(operator, 2)
    refused = operator.client().post(
        PUBLISH,
        **keys.publish_payload(
            second,
            [
                keys.grant(operator, second, operator.device),
                keys.grant(operator, second, colleague.device),
            ],
        ),
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "not_allowed_recipient"

    third = keys.new_generation(operator, 2)
    response = operator.client().post(
        PUBLISH, **keys.publish_payload(third, [keys.grant(operator, third, operator.device)])
    )
    assert response.status_code == 201, response.content
    data, document = fetch_key(operator)
    assert (data["number"], data["rotation_needed"]) == (2, False)
    assert document.key == third.public_key
    assert not ServiceKeyGrant.objects.filter(
        service_key__number=2, recipient_device=colleague.device
    ).exists()
    assert x25519_public_of(open_my_grant(operator)) == third.public_key
    # Older messages stay readable: generation 1 is still served on request.
    assert x25519_public_of(open_my_grant(operator, number=1)) != third.public_key
    older = operator.client().get(f"{CURRENT}?number=1").json()
    assert (older["number"], older["rotation_needed"]) == (1, False)
    assert older["body"] != data["body"]
    missing = operator.client().get(f"{CURRENT}?number=9")
    assert (missing.status_code, missing.json()["code"]) == (404, "no_service_key")


def test_holder_suspended_then_reinstated_still_flags_rotation(
    commune: Commune, operator: factory.Persona, colleague: factory.Persona
) -> None:
    """Reinstatement gives a new certificate, not a clean slate: the device kept the key."""
    keys.publish(operator, 1, others=(colleague.device,))
    device = colleague.device
    factory.suspend(colleague)
    trust_memberships.reinstate_member(factory.certifier_of(commune).actor(), colleague.membership)
    factory.certify(Device.objects.get(pk=device.pk))
    assert Device.objects.get(pk=device.pk).status == DeviceStatus.ACTIVE
    assert fetch_key(operator)[0]["rotation_needed"] is True

    keys.publish(operator, 2, others=(device,))
    assert fetch_key(operator)[0]["rotation_needed"] is False


def test_revoked_signer_flags_rotation(
    commune: Commune, operator: factory.Persona, colleague: factory.Persona
) -> None:
    keys.publish(operator, 1, others=(colleague.device,))
    trust_revocations.revoke_devices_with_root(
        CLI, commune, factory.root_key(commune), [operator.device]
    )
    data = colleague.client().get(CURRENT).json()
    assert data["rotation_needed"] is True
    with pytest.raises(service_key.EnvelopeError) as refused:
        service_key.verify_service_key(data, trust(commune), keys.now())
    assert refused.value.code == "revoked"


def test_reusing_a_public_key_for_a_new_generation_is_refused(
    operator: factory.Persona,
) -> None:
    first = keys.publish(operator, 1)
    again = keys.new_generation(operator, 2, public_key=first.public_key)
    again.private_key = first.private_key
    response = operator.client().post(
        PUBLISH, **keys.publish_payload(again, [keys.grant(operator, again, operator.device)])
    )
    assert response.status_code == 422
    assert response.json()["code"] == "service_key_reused"


def test_other_commune_key_is_invisible(operator: factory.Persona) -> None:
    keys.publish(operator, 1)
    elsewhere = factory.make_member(Role.OPERATOR, factory.make_commune())
    response = elsewhere.client().get(CURRENT)
    assert response.status_code == 404
    assert response.json()["code"] == "no_service_key"


def test_a_new_device_can_receive_older_generations_for_the_history(
    commune: Commune, operator: factory.Persona
) -> None:
    first = keys.publish(operator, 1)
    keys.publish(operator, 2)
    newcomer = factory.make_member(Role.OPERATOR, commune)
    for number in (1, 2):
        pending = operator.client().get(f"{PENDING}?number={number}").json()
        assert pending["number"] == number
        assert [d["device"] for d in pending["devices"]] == [str(newcomer.device.public_id)]
    response = operator.client().post(
        GRANTS,
        data={"grants": [keys.grant(operator, first, newcomer.device).to_wire()]},
        content_type="application/json",
    )
    assert response.json() == {"number": 1, "grants": 1}
    assert operator.client().get(f"{PENDING}?number=1").json()["devices"] == []
    assert x25519_public_of(open_my_grant(newcomer, number=1)) == first.public_key
    assert newcomer.client().get(GRANT).json()["code"] == "no_grant"
    assert operator.client().get(f"{PENDING}?number=7").json()["code"] == "no_service_key"

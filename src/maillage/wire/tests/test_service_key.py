"""Police service key: publish, verify, grant to another operator device, refuse forgeries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from maillage.wire import chain, hpke, opening, sealing, service_key
from maillage.wire.envelope import Binding, EnvelopeError, Opener
from maillage.wire.tests.factory import NOW, Commune, Device


@pytest.fixture
def commune() -> Commune:
    return Commune()


@pytest.fixture
def holder(commune: Commune) -> Device:
    return commune.device("operateur")


@pytest.fixture
def newcomer(commune: Commune) -> Device:
    return commune.device("operateur")


def _publish(
    commune: Commune, signer: Device, number: int = 1
) -> tuple[X25519PrivateKey, dict[str, Any]]:
    private = service_key.generate_service_key()
    doc = service_key.issue_service_key(
        signer.sign,
        commune=commune.id,
        number=number,
        public_key=hpke.x25519_public_of(private),
        issued_at=NOW - 60,
    )
    return private, {**doc.to_wire(), "chain": [d.to_wire() for d in signer.chain]}


def _grant(
    commune: Commune, granter: Device, to: Device, private: X25519PrivateKey, number: int = 1
) -> chain.SignedDocument:
    return service_key.seal_grant(
        granter.sign,
        commune=commune.id,
        number=number,
        recipient_device=to.id,
        recipient_key=to.enc_public,
        service_private_key=private,
        issued_at=NOW - 30,
    )


def _code(call: Any) -> str:
    with pytest.raises(EnvelopeError) as caught:
        call()
    return caught.value.code


def test_published_key_verifies_and_names_its_recipient(commune: Commune, holder: Device) -> None:
    private, wire = _publish(commune, holder, number=4)
    document = service_key.verify_service_key(wire, commune.trust(), NOW, last_seen_number=4)
    assert document.number == 4
    assert document.key == hpke.x25519_public_of(private)
    assert document.issuer == chain.fingerprint(
        chain.b64url_decode(chain.public_key_b64(holder.sign))
    )
    recipient = service_key.service_recipient(document)
    assert (recipient.kind, recipient.id, recipient.key) == ("service", "police:4", document.key)


def test_older_generation_is_stale(commune: Commune, holder: Device) -> None:
    _, wire = _publish(commune, holder, number=2)
    assert _code(lambda: service_key.verify_service_key(wire, commune.trust(), NOW, 3)) == (
        "stale_service_key"
    )


def test_signer_must_be_an_operator(commune: Commune) -> None:
    merchant = commune.device("commercant", commune.shop)
    _, wire = _publish(commune, merchant)
    assert _code(lambda: service_key.verify_service_key(wire, commune.trust(), NOW)) == (
        "not_allowed_recipient"
    )


def test_signer_revoked_stops_the_key_verifying(commune: Commune, holder: Device) -> None:
    _, wire = _publish(commune, holder)
    commune.revoke(holder, at=NOW - 1)
    assert _code(lambda: service_key.verify_service_key(wire, commune.trust(), NOW)) == "revoked"


def test_older_generation_for_history_is_checked_as_of_its_issue(
    commune: Commune, holder: Device
) -> None:
    """Issued at NOW - 60, signer revoked at NOW - 1 (the rotation's cause): refused for
    sending, accepted to read history, even below the last generation seen."""
    _, wire = _publish(commune, holder, number=1)
    commune.revoke(holder, at=NOW - 1)
    assert _code(lambda: service_key.verify_service_key(wire, commune.trust(), NOW)) == "revoked"
    document = service_key.verify_service_key(
        wire, commune.trust(), NOW, last_seen_number=2, as_of_issue=True
    )
    assert document.number == 1


def test_older_generation_signed_after_its_signer_was_revoked_is_refused(
    commune: Commune, holder: Device
) -> None:
    _, wire = _publish(commune, holder, number=1)
    commune.revoke(holder, at=NOW - 120)
    code = _code(
        lambda: service_key.verify_service_key(wire, commune.trust(), NOW, as_of_issue=True)
    )
    assert code == "revoked"


def test_swapped_key_in_the_document_breaks_the_signature(commune: Commune, holder: Device) -> None:
    _, wire = _publish(commune, holder)
    body = json.loads(wire["body"])
    body["key"] = hpke.x25519_public_of(X25519PrivateKey.generate())
    forged = {**wire, "body": chain.canonical_json(body).decode()}
    assert _code(lambda: service_key.verify_service_key(forged, commune.trust(), NOW)) == (
        "bad_signature"
    )


def test_document_signed_by_one_operator_with_another_s_chain(
    commune: Commune, holder: Device, newcomer: Device
) -> None:
    _, wire = _publish(commune, holder)
    wire["chain"] = [d.to_wire() for d in newcomer.chain]
    assert _code(lambda: service_key.verify_service_key(wire, commune.trust(), NOW)) == (
        "broken_chain"
    )


def test_grant_round_trip_lets_the_newcomer_read_police_history(
    commune: Commune, holder: Device, newcomer: Device
) -> None:
    private, wire = _publish(commune, holder)
    trust = commune.trust()
    document = service_key.verify_service_key(wire, trust, NOW)
    merchant = commune.device("commercant", commune.shop)
    binding = Binding(commune.id, "incident", "message")
    history = sealing.seal(
        binding,
        merchant.sender(),
        text="avant l'arrivée du nouvel opérateur",
        fields={},
        attachments=[],
        recipients=[merchant.recipient(), service_key.service_recipient(document)],
        sent_at=NOW - 10,
    )
    grant = _grant(commune, holder, newcomer, private)
    assert service_key.parse_grant(grant).recipient == newcomer.id
    opened_key = service_key.open_grant(
        grant, holder.chain, newcomer.id, newcomer.enc, document, trust, NOW
    )
    opened = opening.open_envelope(
        history.wire, [], binding, Opener("service", "police:1", opened_key), trust
    )
    assert opened.text == "avant l'arrivée du nouvel opérateur"


def test_grant_for_another_device(commune: Commune, holder: Device, newcomer: Device) -> None:
    private, wire = _publish(commune, holder)
    trust = commune.trust()
    document = service_key.verify_service_key(wire, trust, NOW)
    grant = _grant(commune, holder, newcomer, private)
    thief = commune.device("operateur")
    code = _code(
        lambda: service_key.open_grant(
            grant, holder.chain, thief.id, thief.enc, document, trust, NOW
        )
    )
    assert code == "not_a_recipient"


def test_grant_of_a_key_other_than_the_published_one(
    commune: Commune, holder: Device, newcomer: Device
) -> None:
    _, wire = _publish(commune, holder)
    trust = commune.trust()
    document = service_key.verify_service_key(wire, trust, NOW)
    grant = _grant(commune, holder, newcomer, X25519PrivateKey.generate())
    code = _code(
        lambda: service_key.open_grant(
            grant, holder.chain, newcomer.id, newcomer.enc, document, trust, NOW
        )
    )
    assert code == "wrong_service_key"


def test_grant_for_another_generation(commune: Commune, holder: Device, newcomer: Device) -> None:
    private, wire = _publish(commune, holder, number=2)
    trust = commune.trust()
    document = service_key.verify_service_key(wire, trust, NOW)
    grant = _grant(commune, holder, newcomer, private, number=1)
    code = _code(
        lambda: service_key.open_grant(
            grant, holder.chain, newcomer.id, newcomer.enc, document, trust, NOW
        )
    )
    assert code == "wrong_service_key"


def test_granter_revoked_before_granting(
    commune: Commune, holder: Device, newcomer: Device
) -> None:
    private, wire = _publish(commune, holder)
    document = service_key.verify_service_key(wire, commune.trust(), NOW)
    grant = _grant(commune, holder, newcomer, private)  # issued at NOW - 30
    commune.revoke(holder, at=NOW - 45)
    code = _code(
        lambda: service_key.open_grant(
            grant, holder.chain, newcomer.id, newcomer.enc, document, commune.trust(), NOW
        )
    )
    assert code == "revoked"


def test_granter_revoked_after_granting_does_not_strand_the_grantee(
    commune: Commune, holder: Device, newcomer: Device
) -> None:
    private, wire = _publish(commune, holder)
    document = service_key.verify_service_key(wire, commune.trust(), NOW)
    grant = _grant(commune, holder, newcomer, private)  # issued at NOW - 30
    commune.revoke(holder, at=NOW - 1)
    opened = service_key.open_grant(
        grant, holder.chain, newcomer.id, newcomer.enc, document, commune.trust(), NOW
    )
    assert hpke.x25519_public_of(opened) == document.key


def test_granter_not_an_operator(commune: Commune, holder: Device, newcomer: Device) -> None:
    private, wire = _publish(commune, holder)
    trust = commune.trust()
    document = service_key.verify_service_key(wire, trust, NOW)
    agent = commune.device("agent")
    grant = _grant(commune, agent, newcomer, private)
    code = _code(
        lambda: service_key.open_grant(
            grant, agent.chain, newcomer.id, newcomer.enc, document, trust, NOW
        )
    )
    assert code == "not_allowed_recipient"


def test_grant_with_rewrapped_fields_does_not_open(
    commune: Commune, holder: Device, newcomer: Device
) -> None:
    """A granter re-signing a grant whose AAD names another device still fails to open."""
    private, wire = _publish(commune, holder)
    trust = commune.trust()
    document = service_key.verify_service_key(wire, trust, NOW)
    other = commune.device("operateur")
    grant_for_other = _grant(commune, holder, other, private)
    body = json.loads(grant_for_other.body)
    body["recipient"], body["recipient_key"] = newcomer.id, newcomer.enc_public
    regranted = chain.sign_document(body, holder.sign)
    code = _code(
        lambda: service_key.open_grant(
            regranted, holder.chain, newcomer.id, newcomer.enc, document, trust, NOW
        )
    )
    assert code == "undecryptable"


@pytest.mark.parametrize(
    "edit",
    [
        lambda b: b.update(service="pompiers"),
        lambda b: b.update(number=0),
        lambda b: b.update(extra=True),
        lambda b: b.update(v=2),
        lambda b: b.update(key="short"),
    ],
)
def test_document_shape(edit: Any, commune: Commune, holder: Device) -> None:
    _, wire = _publish(commune, holder)
    body = json.loads(wire["body"])
    edit(body)
    doc = chain.sign_document(body, holder.sign)
    assert _code(lambda: service_key.parse_service_key_document(doc)) == "malformed"

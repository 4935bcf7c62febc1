"""Content-key grants: an operator device hands one message's key to an agent's device,
which then reads that message and no other (docs/envelope.md, "Dispatch")."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from maillage.wire import chain, content_grant, opening, sealing
from maillage.wire.envelope import ENVELOPE_MESSAGES, Attachment, Binding, EnvelopeError, Sealed
from maillage.wire.tests.factory import NOW, Commune, Device

PHOTO = Attachment(data=os.urandom(2000), media="image/jpeg", width=800, height=600)
INCIDENT = "incident-1"


@pytest.fixture
def commune() -> Commune:
    return Commune()


@pytest.fixture
def merchant(commune: Commune) -> Device:
    return commune.device("commercant", commune.shop)


@pytest.fixture
def operator(commune: Commune) -> Device:
    return commune.device("operateur")


@pytest.fixture
def agent(commune: Commune) -> Device:
    return commune.device("agent")


def _binding(commune: Commune, message: str = "message-1", incident: str = INCIDENT) -> Binding:
    return Binding(commune.id, incident, message)


def _seal(commune: Commune, merchant: Device, operator: Device, message: str) -> Sealed:
    return sealing.seal(
        _binding(commune, message),
        merchant.sender(),
        text=f"Vol à l'étalage ({message})",
        fields={},
        attachments=[PHOTO],
        recipients=[merchant.recipient(), operator.recipient()],
        sent_at=NOW - 120,
    )


def _key_of(commune: Commune, sealed: Sealed, operator: Device, message: str) -> bytes:
    opened = opening.open_envelope(
        sealed.wire,
        sealed.attachments,
        _binding(commune, message),
        operator.opener(),
        commune.trust(),
    )
    return opened.content_key


def _grant(
    commune: Commune,
    granter: Device,
    to: Device,
    key: bytes,
    *,
    message: str = "message-1",
    incident: str = INCIDENT,
    issued_at: int = NOW - 60,
) -> chain.SignedDocument:
    return content_grant.seal_content_key_grant(
        granter.sign,
        commune=commune.id,
        incident=incident,
        message=message,
        recipient_device=to.id,
        recipient_key=to.enc_public,
        content_key=key,
        issued_at=issued_at,
    )


def _open_with(
    commune: Commune,
    sealed: Sealed,
    grant: chain.SignedDocument,
    granter: Device,
    me: Device,
    message: str = "message-1",
) -> Any:
    return content_grant.open_envelope_with_grant(
        sealed.wire,
        sealed.attachments,
        _binding(commune, message),
        grant,
        granter.chain,
        me.id,
        me.enc,
        commune.trust(),
    )


def _code(call: Any) -> str:
    with pytest.raises(EnvelopeError) as caught:
        call()
    return caught.value.code


@pytest.fixture
def sealed(commune: Commune, merchant: Device, operator: Device) -> Sealed:
    return _seal(commune, merchant, operator, "message-1")


@pytest.fixture
def key(commune: Commune, sealed: Sealed, operator: Device) -> bytes:
    return _key_of(commune, sealed, operator, "message-1")


def test_opened_exposes_its_content_key_but_never_prints_it(
    commune: Commune, sealed: Sealed, operator: Device, merchant: Device, key: bytes
) -> None:
    again = opening.open_envelope(
        sealed.wire, sealed.attachments, _binding(commune), merchant.opener(), commune.trust()
    )
    assert len(key) == 32 and again.content_key == key
    assert key.hex() not in repr(again) and repr(key) not in repr(again)


def test_round_trip_the_agent_reads_the_message_it_was_granted(
    commune: Commune, sealed: Sealed, operator: Device, agent: Device, key: bytes
) -> None:
    grant = _grant(commune, operator, agent, key)
    parsed = content_grant.parse_content_key_grant(grant)
    assert (parsed.commune, parsed.incident, parsed.message) == (
        commune.id,
        INCIDENT,
        "message-1",
    )
    assert (parsed.recipient, parsed.recipient_key) == (agent.id, agent.enc_public)
    assert json.loads(grant.body) == parsed.to_json()
    assert parsed.issuer == chain.fingerprint(
        chain.b64url_decode(chain.public_key_b64(operator.sign))
    )
    got = content_grant.open_content_key_grant(
        grant, operator.chain, agent.id, agent.enc, commune.trust()
    )
    assert got == key
    opened = _open_with(commune, sealed, grant, operator, agent)
    assert opened.text == "Vol à l'étalage (message-1)"
    assert opened.attachments[0].data == PHOTO.data
    assert opened.content_key == key
    assert opened.sender.role == "commercant"


def test_grant_for_another_message_does_not_open_this_one(
    commune: Commune, merchant: Device, operator: Device, agent: Device, sealed: Sealed
) -> None:
    other = _seal(commune, merchant, operator, "message-2")
    other_key = _key_of(commune, other, operator, "message-2")
    grant = _grant(commune, operator, agent, other_key, message="message-2")
    assert _open_with(commune, other, grant, operator, agent, "message-2").text.endswith("2)")
    assert _code(lambda: _open_with(commune, sealed, grant, operator, agent)) == "wrong_context"
    elsewhere = _grant(commune, operator, agent, other_key, incident="incident-2")
    assert _code(lambda: _open_with(commune, sealed, elsewhere, operator, agent)) == (
        "wrong_context"
    )


def test_grant_naming_this_message_with_another_key_is_undecryptable(
    commune: Commune, sealed: Sealed, operator: Device, agent: Device
) -> None:
    grant = _grant(commune, operator, agent, os.urandom(32))
    assert _code(lambda: _open_with(commune, sealed, grant, operator, agent)) == "undecryptable"


def test_grant_signed_by_an_agent_is_refused(
    commune: Commune, sealed: Sealed, agent: Device, key: bytes
) -> None:
    second = commune.device("agent")
    grant = _grant(commune, agent, second, key)
    assert _code(lambda: _open_with(commune, sealed, grant, agent, second)) == (
        "not_allowed_recipient"
    )


def test_grant_for_another_device_or_key(
    commune: Commune, sealed: Sealed, operator: Device, agent: Device, key: bytes
) -> None:
    grant = _grant(commune, operator, agent, key)
    other = commune.device("agent")
    assert _code(lambda: _open_with(commune, sealed, grant, operator, other)) == "not_a_recipient"
    assert (
        _code(
            lambda: content_grant.open_content_key_grant(
                grant, operator.chain, agent.id, X25519PrivateKey.generate(), commune.trust()
            )
        )
        == "not_a_recipient"
    )


def test_tampered_signature_and_issuer_are_bad_grants(
    commune: Commune, sealed: Sealed, operator: Device, agent: Device, key: bytes
) -> None:
    grant = _grant(commune, operator, agent, key)
    other = _grant(commune, operator, agent, key, message="message-2")
    swapped = chain.SignedDocument(grant.body, other.signature)
    assert _code(lambda: _open_with(commune, sealed, swapped, operator, agent)) == "bad_grant"
    second = commune.device("operateur")
    # Signed by the operator, presented with another operator's chain.
    assert _code(lambda: _open_with(commune, sealed, grant, second, agent)) == "bad_grant"
    assert ENVELOPE_MESSAGES["bad_grant"].startswith("Cette autorisation")


def test_wrapped_key_altered_and_resigned_is_undecryptable(
    commune: Commune, sealed: Sealed, operator: Device, agent: Device, key: bytes
) -> None:
    body = json.loads(_grant(commune, operator, agent, key).body)
    wrapped = bytearray(chain.b64url_decode(body["wrapped"]))
    wrapped[5] ^= 1
    resigned = chain.sign_document(
        {**body, "wrapped": chain.b64url_encode(bytes(wrapped))}, operator.sign
    )
    assert _code(lambda: _open_with(commune, sealed, resigned, operator, agent)) == "undecryptable"


def test_granter_checked_as_of_the_grant(
    commune: Commune, sealed: Sealed, operator: Device, agent: Device, key: bytes
) -> None:
    before = _grant(commune, operator, agent, key, issued_at=NOW - 60)
    after = _grant(commune, operator, agent, key, issued_at=NOW - 10)
    commune.revoke(operator, at=NOW - 30)
    assert _open_with(commune, sealed, before, operator, agent).content_key == key
    assert _code(lambda: _open_with(commune, sealed, after, operator, agent)) == "revoked"


def test_grant_of_another_commune(
    commune: Commune, sealed: Sealed, operator: Device, agent: Device, key: bytes
) -> None:
    body = json.loads(_grant(commune, operator, agent, key).body)
    foreign = chain.sign_document({**body, "commune": "commune-2"}, operator.sign)
    assert _code(lambda: _open_with(commune, sealed, foreign, operator, agent)) == "wrong_commune"


def test_envelope_checks_still_come_first(
    commune: Commune, sealed: Sealed, operator: Device, agent: Device, key: bytes
) -> None:
    grant = _grant(commune, operator, agent, key)
    altered = [bytes([sealed.attachments[0][0] ^ 1]) + sealed.attachments[0][1:]]
    tampered = Sealed(wire=sealed.wire, attachments=altered)
    assert _code(lambda: _open_with(commune, tampered, grant, operator, agent)) == "tampered"


def _edit(grant: chain.SignedDocument, sign: Any, **changes: Any) -> chain.SignedDocument:
    return chain.sign_document({**json.loads(grant.body), **changes}, sign)


@pytest.mark.parametrize(
    "change",
    [
        {"note": "x"},
        {"type": "maillage.service-key-grant"},
        {"v": 2},
        {"v": True},
        {"message": "pas un identifiant"},
        {"wrapped": chain.b64url_encode(bytes(47))},
        {"enc": "AAAA"},
        {"issued_at": -1},
    ],
    ids=lambda change: ",".join(change),
)
def test_shape_errors_are_bad_grants(
    change: dict[str, Any], commune: Commune, operator: Device, agent: Device, key: bytes
) -> None:
    grant = _edit(_grant(commune, operator, agent, key), operator.sign, **change)
    assert _code(lambda: content_grant.parse_content_key_grant(grant)) == "bad_grant"
    assert (
        _code(
            lambda: content_grant.open_content_key_grant(
                grant, operator.chain, agent.id, agent.enc, commune.trust()
            )
        )
        == "bad_grant"
    )


def test_body_and_signature_encoding_are_bad_grants(
    commune: Commune, operator: Device, agent: Device, key: bytes
) -> None:
    grant = _grant(commune, operator, agent, key)
    spaced = chain.SignedDocument(json.dumps(json.loads(grant.body)), grant.signature)
    short = chain.SignedDocument(grant.body, grant.signature[:-4])
    for doc in (spaced, short):
        assert _code(lambda doc=doc: content_grant.parse_content_key_grant(doc)) == "bad_grant"


def test_server_side_signature_check_with_the_granting_certificate(
    commune: Commune, operator: Device, agent: Device, key: bytes
) -> None:
    grant = _grant(commune, operator, agent, key)
    certificate = chain.parse_certificate(operator.chain[0])
    assert content_grant.verify_grant_signature(grant, certificate.sign_key).recipient == agent.id
    other = chain.parse_certificate(commune.device("operateur").chain[0]).sign_key
    assert _code(lambda: content_grant.verify_grant_signature(grant, other)) == "bad_grant"
    assert _code(lambda: content_grant.verify_grant_signature(grant, "AAAA")) == "malformed"


def test_sealing_refuses_bad_inputs(
    commune: Commune, operator: Device, agent: Device, key: bytes
) -> None:
    def seal(**changes: Any) -> Any:
        fields: dict[str, Any] = {
            "commune": commune.id,
            "incident": INCIDENT,
            "message": "message-1",
            "recipient_device": agent.id,
            "recipient_key": agent.enc_public,
            "content_key": key,
            "issued_at": NOW,
            **changes,
        }
        return lambda: content_grant.seal_content_key_grant(operator.sign, **fields)

    for bad in (
        {"content_key": key[:31]},
        {"recipient_key": "AAAA"},
        {"incident": "a b"},
        {"recipient_device": ""},
        {"issued_at": -5},
    ):
        assert _code(seal(**bad)) == "malformed", bad

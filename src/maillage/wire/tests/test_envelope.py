"""Sealing and opening envelopes: round trips, every tamper case, a byte-flip property."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage.wire import chain, envelope, hpke, sealing
from maillage.wire.envelope import Attachment, Binding, EnvelopeError, Opener, Recipient, Sealed
from maillage.wire.opening import open_envelope
from maillage.wire.sealing import seal
from maillage.wire.tests.factory import NOW, Commune, Device

PHOTO = Attachment(data=os.urandom(3000), media="image/jpeg", width=1600, height=1200)
PHOTO_2 = Attachment(data=os.urandom(1000), media="image/png", width=20, height=10)


@pytest.fixture(scope="module")
def commune() -> Commune:
    return Commune()


@pytest.fixture(scope="module")
def merchant(commune: Commune) -> Device:
    return commune.device("commercant", commune.shop)


@pytest.fixture(scope="module")
def operator(commune: Commune) -> Device:
    return commune.device("operateur")


@pytest.fixture(scope="module")
def police_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def _binding(commune: Commune) -> Binding:
    return Binding(commune.id, "incident-1", "message-1")


def _recipients(
    merchant: Device, operator: Device, police_key: X25519PrivateKey
) -> list[Recipient]:
    return [
        merchant.recipient(),
        operator.recipient(),
        Recipient("service", "police:1", hpke.x25519_public_of(police_key)),
    ]


@pytest.fixture(scope="module")
def sealed(
    commune: Commune, merchant: Device, operator: Device, police_key: X25519PrivateKey
) -> Sealed:
    return seal(
        _binding(commune),
        merchant.sender(),
        text="Vol à l'étalage 🧥",
        fields={"direction": "nord"},
        attachments=[PHOTO, PHOTO_2],
        recipients=_recipients(merchant, operator, police_key),
        sent_at=NOW,
    )


def _open(
    commune: Commune, wire: object, attachments: list[bytes], opener: Opener, **binding: str
) -> envelope.Opened:
    expected = Binding(**{**vars_of(_binding(commune)), **binding})
    return open_envelope(wire, attachments, expected, opener, commune.trust())


def vars_of(binding: Binding) -> dict[str, str]:
    return {"commune": binding.commune, "incident": binding.incident, "message": binding.message}


def _error(
    commune: Commune, wire: object, attachments: list[bytes], opener: Opener, **kw: str
) -> str:
    with pytest.raises(EnvelopeError) as caught:
        _open(commune, wire, attachments, opener, **kw)
    return caught.value.code


def _resign(wire: dict[str, Any], signer: Device, edit: Any) -> dict[str, Any]:
    header = json.loads(wire["body"])
    edit(header)
    body, signature = sealing.sign_header(header, signer.sign)
    return {**wire, "body": body, "signature": signature}


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x80]) + data[index + 1 :]


# --- round trips ----------------------------------------------------------------------


def test_every_recipient_opens_text_fields_and_attachments(
    commune: Commune,
    sealed: Sealed,
    merchant: Device,
    operator: Device,
    police_key: X25519PrivateKey,
) -> None:
    openers = [
        merchant.opener(),
        operator.opener(),
        Opener("service", "police:1", police_key),
    ]
    for opener in openers:
        opened = _open(commune, sealed.wire, sealed.attachments, opener)
        assert opened.text == "Vol à l'étalage 🧥"
        assert opened.fields == {"direction": "nord"}
        assert opened.attachments == [PHOTO, PHOTO_2]
        assert opened.sender.device == merchant.id
        assert opened.header.sender_device == merchant.id


def test_sealed_bytes_hide_the_plaintext(sealed: Sealed) -> None:
    wire_text = json.dumps(sealed.wire)
    assert "étalage" not in wire_text and "nord" not in wire_text
    assert PHOTO.data[:64] not in sealed.attachments[0]
    assert [len(a) for a in sealed.attachments] == [len(PHOTO.data) + 16, len(PHOTO_2.data) + 16]


def test_null_text_and_no_attachment(commune: Commune, merchant: Device, operator: Device) -> None:
    s = seal(
        _binding(commune),
        operator.sender(),
        text=None,
        fields={},
        attachments=[],
        recipients=[merchant.recipient()],
        sent_at=NOW,
    )
    opened = _open(commune, s.wire, [], merchant.opener())
    assert (opened.text, opened.fields, opened.attachments) == (None, {}, [])


def test_parse_wire_reads_the_header_without_keys(sealed: Sealed, merchant: Device) -> None:
    header, content = envelope.parse_wire(sealed.wire)
    assert header.sender_device == merchant.id
    order = [(r.kind, r.id) for r in header.recipients]
    assert order == sorted(order) and ("service", "police:1") in order
    assert header.content_size == len(content)
    envelope.check_parts(header, content, sealed.attachments)


# --- tampering ------------------------------------------------------------------------


def test_flipped_content_byte_is_tampered(
    commune: Commune, sealed: Sealed, operator: Device
) -> None:
    content = _flip(chain.b64url_decode(sealed.wire["content"]), 5)
    wire = {**sealed.wire, "content": chain.b64url_encode(content)}
    assert _error(commune, wire, sealed.attachments, operator.opener()) == "tampered"


def test_flipped_attachment_byte_is_tampered(
    commune: Commune, sealed: Sealed, operator: Device
) -> None:
    attachments = [sealed.attachments[0], _flip(sealed.attachments[1], 0)]
    assert _error(commune, sealed.wire, attachments, operator.opener()) == "tampered"


def test_missing_or_reordered_attachment_is_tampered(
    commune: Commune, sealed: Sealed, operator: Device
) -> None:
    assert _error(commune, sealed.wire, sealed.attachments[:1], operator.opener()) == "tampered"
    reordered = list(reversed(sealed.attachments))
    assert _error(commune, sealed.wire, reordered, operator.opener()) == "tampered"


def test_header_altered_without_signature(
    commune: Commune, sealed: Sealed, operator: Device
) -> None:
    header = json.loads(sealed.wire["body"])
    header["sent_at"] += 1
    wire = {**sealed.wire, "body": chain.canonical_json(header).decode()}
    assert _error(commune, wire, sealed.attachments, operator.opener()) == "bad_signature"


def test_recipient_list_altered_without_signature(
    commune: Commune, sealed: Sealed, operator: Device, merchant: Device
) -> None:
    header = json.loads(sealed.wire["body"])
    header["recipients"] = [r for r in header["recipients"] if r["id"] != merchant.id]
    wire = {**sealed.wire, "body": chain.canonical_json(header).decode()}
    assert _error(commune, wire, sealed.attachments, operator.opener()) == "bad_signature"


def test_moved_to_another_incident(commune: Commune, sealed: Sealed, operator: Device) -> None:
    code = _error(
        commune, sealed.wire, sealed.attachments, operator.opener(), incident="incident-2"
    )
    assert code == "wrong_context"
    code = _error(commune, sealed.wire, sealed.attachments, operator.opener(), message="message-2")
    assert code == "wrong_context"


def test_header_rewritten_for_another_incident_by_the_sender_does_not_decrypt(
    commune: Commune, sealed: Sealed, operator: Device, merchant: Device
) -> None:
    """Even the sender cannot move parts sealed for one incident under another."""

    def move(header: dict[str, Any]) -> None:
        header["incident"] = "incident-2"

    wire = _resign(sealed.wire, merchant, move)
    code = _error(commune, wire, sealed.attachments, operator.opener(), incident="incident-2")
    assert code == "undecryptable"


def test_signed_by_another_certified_device(
    commune: Commune, sealed: Sealed, operator: Device, merchant: Device
) -> None:
    other = commune.device("commercant", commune.shop)
    wire = _resign(sealed.wire, other, lambda h: None)
    wire["sender_chain"] = [d.to_wire() for d in other.chain]
    assert _error(commune, wire, sealed.attachments, operator.opener()) == "wrong_sender"


def test_sender_chain_not_to_the_root(
    commune: Commune, sealed: Sealed, operator: Device, merchant: Device
) -> None:
    rogue = commune.device("commercant", commune.shop, issuer_key=Ed25519PrivateKey.generate())
    wire = {**sealed.wire, "sender_chain": [d.to_wire() for d in rogue.chain]}
    assert _error(commune, wire, sealed.attachments, operator.opener()) == "broken_chain"


def test_sender_certified_for_another_commune(
    commune: Commune, sealed: Sealed, operator: Device
) -> None:
    """Our root signed it, but for another commune: the chain check says so."""
    stranger = commune.device("commercant", commune.shop, commune="another-commune")
    wire = _resign(
        sealed.wire,
        stranger,
        lambda h: h.update(sender={"device": stranger.id, "serial": stranger.serial}),
    )
    wire["sender_chain"] = [d.to_wire() for d in stranger.chain]
    assert _error(commune, wire, sealed.attachments, operator.opener()) == "wrong_commune"


def test_opener_not_a_recipient(commune: Commune, sealed: Sealed) -> None:
    outsider = commune.device("agent")
    assert _error(commune, sealed.wire, sealed.attachments, outsider.opener()) == "not_a_recipient"


def test_opener_with_the_right_id_but_another_key(
    commune: Commune, sealed: Sealed, operator: Device
) -> None:
    impostor = Opener("device", operator.id, X25519PrivateKey.generate())
    assert _error(commune, sealed.wire, sealed.attachments, impostor) == "not_a_recipient"


def test_wrapped_keys_swapped_and_resigned(
    commune: Commune, sealed: Sealed, operator: Device, merchant: Device
) -> None:
    def swap(header: dict[str, Any]) -> None:
        a, b = (r for r in header["recipients"] if r["kind"] == "device")
        for name in ("enc", "wrapped"):
            a[name], b[name] = b[name], a[name]

    wire = _resign(sealed.wire, merchant, swap)
    assert _error(commune, wire, sealed.attachments, operator.opener()) == "undecryptable"
    assert _error(commune, wire, sealed.attachments, merchant.opener()) == "undecryptable"


def test_unknown_version(
    commune: Commune, sealed: Sealed, operator: Device, merchant: Device
) -> None:
    def v2(header: dict[str, Any]) -> None:
        header["v"] = 2
        header["future"] = True

    wire = _resign(sealed.wire, merchant, v2)
    assert _error(commune, wire, sealed.attachments, operator.opener()) == "unsupported_version"


def test_non_canonical_header(
    commune: Commune, sealed: Sealed, operator: Device, merchant: Device
) -> None:
    body = json.dumps(json.loads(sealed.wire["body"]), indent=1, sort_keys=True, ensure_ascii=False)
    signature = chain.b64url_encode(merchant.sign.sign(body.encode()))
    wire = {**sealed.wire, "body": body, "signature": signature}
    assert _error(commune, wire, sealed.attachments, operator.opener()) == "not_canonical"


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (lambda h: h.update(type="maillage.other"), "malformed"),
        (lambda h: h.update(v=True), "malformed"),
        (lambda h: h.update(extra=1), "malformed"),
        (lambda h: h.pop("sent_at"), "malformed"),
        (lambda h: h.update(recipients=list(reversed(h["recipients"]))), "malformed"),
        (lambda h: h.update(recipients=[]), "malformed"),
        (lambda h: h["recipients"].append(dict(h["recipients"][-1])), "malformed"),
        (lambda h: h["recipients"][0].update(kind="group"), "malformed"),
        (lambda h: h["recipients"][0].update(wrapped=h["recipients"][0]["enc"]), "malformed"),
        (lambda h: h.update(incident="a b"), "malformed"),
        (lambda h: h.update(attachments=h["attachments"] * 3), "malformed"),
        (lambda h: h["content"].update(size=envelope.MAX_CONTENT_BYTES + 1), "too_large"),
        (lambda h: h["attachments"][0].update(size=envelope.MAX_ATTACHMENT_BYTES + 1), "too_large"),
    ],
)
def test_header_shape(edit: Any, code: str, sealed: Sealed, merchant: Device) -> None:
    wire = _resign(sealed.wire, merchant, edit)
    with pytest.raises(EnvelopeError) as caught:
        envelope.parse_wire(wire)
    assert caught.value.code == code


@pytest.mark.parametrize(
    "edit",
    [
        lambda w: w.update(extra="x"),
        lambda w: w.pop("sender_chain"),
        lambda w: w.update(sender_chain=[]),
        lambda w: w.update(signature=w["signature"][:-2]),
        lambda w: w.update(content=w["content"] + "="),
        lambda w: w.update(body=7),
    ],
)
def test_wire_shape(edit: Any, sealed: Sealed) -> None:
    wire = dict(sealed.wire)
    edit(wire)
    with pytest.raises(EnvelopeError) as caught:
        envelope.parse_wire(wire)
    assert caught.value.code == "malformed"


def test_content_over_the_limit_is_refused_before_decoding(sealed: Sealed) -> None:
    wire = {**sealed.wire, "content": "A" * (envelope.MAX_CONTENT_BYTES * 2)}
    with pytest.raises(EnvelopeError) as caught:
        envelope.parse_wire(wire)
    assert caught.value.code == "too_large"


def test_check_parts_refuses_an_oversized_attachment(sealed: Sealed) -> None:
    header, content = envelope.parse_wire(sealed.wire)
    big = bytes(envelope.MAX_ATTACHMENT_BYTES + 1)
    with pytest.raises(EnvelopeError) as caught:
        envelope.check_parts(header, content, [sealed.attachments[0], big])
    assert caught.value.code == "too_large"


# --- revocation as of sent_at ---------------------------------------------------------


def test_revoked_after_sending_still_opens_revoked_before_does_not() -> None:
    commune = Commune()
    sender = commune.device("commercant", commune.shop)
    reader = commune.device("operateur")
    commune.revoke(sender, at=NOW)

    def sent(at: int) -> Sealed:
        return seal(
            _binding(commune),
            sender.sender(),
            text="t",
            fields={},
            attachments=[],
            recipients=[reader.recipient()],
            sent_at=at,
        )

    before = sent(NOW - 1)
    assert _open(commune, before.wire, [], reader.opener()).text == "t"
    exactly = sent(NOW)
    assert _error(commune, exactly.wire, [], reader.opener()) == "revoked"


# --- sealing refuses what openers would refuse ----------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"text": "x" * 4001}, "malformed"),
        ({"fields": {"x": 1.5}}, "not_canonical"),
        ({"attachments": [PHOTO] * 5}, "malformed"),
        ({"attachments": [Attachment(b"x", "text/html", 1, 1)]}, "malformed"),
        ({"recipients": []}, "malformed"),
        ({"fields": {"blob": "x" * 70000}}, "too_large"),
        (
            {"attachments": [Attachment(bytes(envelope.MAX_ATTACHMENT_BYTES), "image/jpeg", 1, 1)]},
            "too_large",
        ),
    ],
)
def test_seal_refuses_bad_input(
    kwargs: dict[str, Any], code: str, commune: Commune, merchant: Device
) -> None:
    arguments: dict[str, Any] = {
        "text": "t",
        "fields": {},
        "attachments": [],
        "recipients": [merchant.recipient()],
        "sent_at": NOW,
        **kwargs,
    }
    with pytest.raises(EnvelopeError) as caught:
        seal(_binding(commune), merchant.sender(), **arguments)
    assert caught.value.code == code


def test_seal_refuses_duplicate_recipients(commune: Commune, merchant: Device) -> None:
    with pytest.raises(EnvelopeError) as caught:
        seal(
            _binding(commune),
            merchant.sender(),
            text="t",
            fields={},
            attachments=[],
            recipients=[merchant.recipient(), merchant.recipient()],
            sent_at=NOW,
        )
    assert caught.value.code == "malformed"


def test_text_limit_counts_code_points(commune: Commune, merchant: Device) -> None:
    s = seal(
        _binding(commune),
        merchant.sender(),
        text="🧥" * 4000,
        fields={},
        attachments=[],
        recipients=[merchant.recipient()],
        sent_at=NOW,
    )
    assert _open(commune, s.wire, [], merchant.opener()).text == "🧥" * 4000


# --- property: any single flipped byte fails with an EnvelopeError --------------------

_TARGETS = ["body", "signature", "content", "attachment0", "attachment1"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(target=st.sampled_from(_TARGETS), position=st.integers(min_value=0), bit=st.integers(0, 7))
def test_any_flipped_byte_fails_cleanly(
    target: str, position: int, bit: int, commune: Commune, sealed: Sealed, operator: Device
) -> None:
    wire = dict(sealed.wire)
    attachments = list(sealed.attachments)
    if target == "body":
        raw = wire["body"].encode("utf-8")
        index = position % len(raw)
        flipped = raw[:index] + bytes([raw[index] ^ (1 << bit)]) + raw[index + 1 :]
        wire["body"] = flipped.decode("utf-8", errors="surrogateescape")
    elif target in ("signature", "content"):
        raw = chain.b64url_decode(wire[target])
        index = position % len(raw)
        wire[target] = chain.b64url_encode(
            raw[:index] + bytes([raw[index] ^ (1 << bit)]) + raw[index + 1 :]
        )
    else:
        part = int(target[-1])
        raw = attachments[part]
        index = position % len(raw)
        attachments[part] = raw[:index] + bytes([raw[index] ^ (1 << bit)]) + raw[index + 1 :]
    with pytest.raises(EnvelopeError):
        _open(commune, wire, attachments, operator.opener())

"""Broadcasts sealed once to a group-key generation: sizes, rotation, removed members."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from maillage.wire import broadcast, group_key, hpke, sealing
from maillage.wire.envelope import Binding, EnvelopeError
from maillage.wire.tests.factory import NOW, Commune, Device

TEXT = "Colis suspect devant la mairie : évitez la place jusqu'à nouvel ordre."


@pytest.fixture
def commune() -> Commune:
    return Commune()


def _publish(
    commune: Commune,
    signer: Device,
    number: int,
    previous: group_key.GroupKeyDocument | None,
    issued_at: int,
) -> tuple[X25519PrivateKey, dict[str, Any]]:
    private = group_key.generate_group_key()
    doc = group_key.issue_group_key(
        signer.sign,
        commune=commune.id,
        scope="commune",
        number=number,
        previous=previous.digest if previous else None,
        public_key=hpke.x25519_public_of(private),
        issued_at=issued_at,
    )
    return private, {**doc.to_wire(), "chain": [d.to_wire() for d in signer.chain]}


def _grant_and_open(
    commune: Commune,
    granter: Device,
    member: Device,
    private: X25519PrivateKey,
    document: group_key.GroupKeyDocument,
) -> X25519PrivateKey:
    grant = group_key.seal_group_grant(
        granter.sign,
        commune=commune.id,
        scope=document.scope,
        number=document.number,
        recipient_device=member.id,
        recipient_key=member.enc_public,
        group_private_key=private,
        issued_at=document.issued_at + 1,
    )
    return group_key.open_group_grant(
        grant, granter.chain, member.id, member.enc, document, commune.trust()
    )


def _broadcast(
    commune: Commune, sender: Device, document: group_key.GroupKeyDocument, sent_at: int
) -> dict[str, Any]:
    binding = broadcast.BroadcastBinding(commune.id, "commune", "b-1")
    sealed = broadcast.seal_broadcast(
        binding,
        sender.sender(),
        document,
        text=TEXT,
        fields={},
        attachments=[],
        sent_at=sent_at,
    )
    return sealed.wire


def _size(wire: dict[str, Any]) -> int:
    return len(json.dumps(wire, separators=(",", ":")).encode())


def test_broadcast_bytes_do_not_grow_with_the_audience(commune: Commune) -> None:
    """One wrap to the group key: 1 or 1,000 holders receive the same bytes, where an
    envelope wrapped per device grows by about 260 bytes a recipient. The figures are
    those of docs/envelope.md ("Broadcasts and group keys"): ids are uuid4s, so sizes
    are exact."""
    operator = commune.device("operateur")
    private, wire = _publish(commune, operator, 1, None, NOW - 600)
    document = group_key.verify_group_key(wire, commune.trust(), NOW, "commune")
    binding = broadcast.BroadcastBinding(commune.id, "commune", str(uuid.uuid4()))
    sizes = {}
    for audience in (1, 1000):
        members = [commune.device("commercant", commune.shop) for _ in range(audience)]
        keys = [_grant_and_open(commune, operator, m, private, document) for m in members]
        sealed = broadcast.seal_broadcast(
            binding, operator.sender(), document, text=TEXT, fields={}, attachments=[], sent_at=NOW
        ).wire
        for key in keys[::100]:  # every holder opens alike; a sample keeps the test short
            opener = broadcast.GroupOpener("commune", 1, key)
            opened = broadcast.open_broadcast(sealed, [], binding, opener, commune.trust())
            assert opened.text == TEXT
        sizes[audience] = _size(sealed)
    assert sizes == {1: 2316, 1000: 2316}

    incident = Binding(commune.id, str(uuid.uuid4()), str(uuid.uuid4()))
    per_device = {}
    for count in (1, 500):  # 500 is the envelope's limit: 1,000 devices take two of them
        recipients = [commune.device("commercant", commune.shop).recipient() for _ in range(count)]
        sealed_envelope = sealing.seal(
            incident,
            operator.sender(),
            text=TEXT,
            fields={},
            attachments=[],
            recipients=recipients,
            sent_at=NOW,
        )
        per_device[count] = _size(sealed_envelope.wire)
    assert per_device == {1: 2407, 500: 133644}


def test_a_removed_member_reads_past_generations_not_the_next(commune: Commune) -> None:
    operator = commune.device("operateur")
    kept = commune.device("commercant", commune.shop)
    removed = commune.device("commercant", commune.shop)
    private1, wire1 = _publish(commune, operator, 1, None, NOW - 3600)
    gen1 = group_key.verify_group_key(wire1, commune.trust(), NOW, "commune")
    removed_key1 = _grant_and_open(commune, operator, removed, private1, gen1)
    before = _broadcast(commune, operator, gen1, NOW - 3000)

    commune.revoke(removed, NOW - 2000)
    private2, wire2 = _publish(commune, operator, 2, gen1, NOW - 1900)
    trust = commune.trust()
    gen2 = group_key.verify_group_key(wire2, trust, NOW, "commune", gen1)
    kept_key2 = _grant_and_open(commune, operator, kept, private2, gen2)
    after = _broadcast(commune, operator, gen2, NOW - 100)
    binding = broadcast.BroadcastBinding(commune.id, "commune", "b-1")

    old = broadcast.GroupOpener("commune", 1, removed_key1, superseded_at=gen2.issued_at)
    assert broadcast.open_broadcast(before, [], binding, old, trust).text == TEXT
    with pytest.raises(EnvelopeError) as caught:
        broadcast.open_broadcast(after, [], binding, old, trust)
    assert caught.value.code == "not_a_recipient"
    new = broadcast.GroupOpener("commune", 2, kept_key2)
    assert broadcast.open_broadcast(after, [], binding, new, trust).text == TEXT

    # A sender who only knows generation 1 is told it is stale once it has seen 2.
    with pytest.raises(EnvelopeError) as caught:
        group_key.verify_group_key(wire1, trust, NOW, "commune", gen2)
    assert caught.value.code == "stale_group_key"


def test_sealing_to_another_scope_s_generation_is_refused(commune: Commune) -> None:
    operator = commune.device("operateur")
    _, wire = _publish(commune, operator, 1, None, NOW - 600)
    document = group_key.verify_group_key(wire, commune.trust(), NOW, "commune")
    binding = broadcast.BroadcastBinding(commune.id, "sector:s-1", "b-1")
    with pytest.raises(EnvelopeError) as caught:
        broadcast.seal_broadcast(
            binding, operator.sender(), document, text="x", fields={}, attachments=[], sent_at=NOW
        )
    assert caught.value.code == "wrong_scope"


@pytest.mark.parametrize(
    ("scope", "valid"),
    [
        ("commune", True),
        ("sector:3c9a1f0e-2b4d-4e6f-8a1b-7c2d3e4f5a06", True),
        ("sector:", False),
        ("sector:a:b", False),
        ("communes", False),
        ("region:1", False),
        ("sector:" + "a" * 58, False),
    ],
)
def test_scope_rule(scope: str, valid: bool) -> None:
    assert group_key.is_scope(scope) is valid

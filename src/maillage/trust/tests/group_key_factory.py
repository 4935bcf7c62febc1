"""What an operator's console does with broadcast group keys, and what a device sends,
done with the Python wire code: real key pairs, signatures, HPKE and sealed broadcasts."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from maillage.members.tests import factory
from maillage.trust import directory
from maillage.trust.models import Device, GroupKey
from maillage.wire import broadcast, chain, group_key
from maillage.wire.envelope import Attachment, Sealed, Sender
from maillage.wire.hpke import x25519_public_of

COMMUNE = "commune"


def now() -> int:
    return int(time.time())


@dataclass
class Generation:
    scope: str
    number: int
    private_key: X25519PrivateKey
    document: chain.SignedDocument

    @property
    def public_key(self) -> str:
        return x25519_public_of(self.private_key)

    @property
    def parsed(self) -> group_key.GroupKeyDocument:
        return group_key.parse_group_key_document(self.document)


def previous_digest(operator: factory.Persona, scope: str, number: int) -> str | None:
    """The digest of generation number − 1 as stored (None for generation 1)."""
    if number == 1:
        return None
    stored = GroupKey.objects.filter(commune=operator.commune, scope=scope, number=number - 1)
    body = stored.values_list("body", flat=True).first()
    return group_key.body_digest(body) if body is not None else None


def new_generation(
    operator: factory.Persona, number: int = 1, scope: str = COMMUNE, **overrides: Any
) -> Generation:
    private_key = group_key.generate_group_key()
    fields: dict[str, Any] = {
        "commune": str(operator.commune.public_id),
        "scope": scope,
        "number": number,
        "previous": previous_digest(operator, scope, number),
        "public_key": x25519_public_of(private_key),
        "issued_at": now(),
    }
    fields.update(overrides)
    document = group_key.issue_group_key(operator.sign_key, **fields)
    return Generation(scope, number, private_key, document)


def grant(
    granter: factory.Persona, generation: Generation, recipient: Device, **overrides: Any
) -> chain.SignedDocument:
    fields: dict[str, Any] = {
        "commune": str(granter.commune.public_id),
        "scope": generation.scope,
        "number": generation.number,
        "recipient_device": str(recipient.public_id),
        "recipient_key": recipient.enc_public_key,
        "group_private_key": generation.private_key,
        "issued_at": now(),
    }
    fields.update(overrides)
    return group_key.seal_group_grant(granter.sign_key, **fields)


def publish_payload(generation: Generation, grants: list[chain.SignedDocument]) -> dict[str, Any]:
    return {
        "data": {
            "document": generation.document.to_wire(),
            "grants": [g.to_wire() for g in grants],
        },
        "content_type": "application/json",
    }


def publish(
    operator: factory.Persona,
    number: int = 1,
    others: tuple[Device, ...] = (),
    scope: str = COMMUNE,
    client: Client | None = None,
) -> Generation:
    """Publish generation `number` of `scope` through the API, granted to the operator's
    own device and to `others`; fails the test if the server refuses."""
    generation = new_generation(operator, number, scope)
    grants = [grant(operator, generation, device) for device in (operator.device, *others)]
    response = (client or operator.client()).post(
        "/api/v1/group-keys", **publish_payload(generation, grants)
    )
    assert response.status_code == 201, response.content
    return generation


def sender_of(persona: factory.Persona) -> Sender:
    certificate = directory.current_certificate(persona.device)
    assert certificate is not None, "persona without a current certificate"
    return Sender(
        sign_key=persona.sign_key,
        device=str(persona.device.public_id),
        serial=certificate.serial,
        chain=directory.device_chain(persona.device),
    )


def seal(
    sender: factory.Persona,
    generation: Generation,
    text: str = "Message à tous les commerces : fermeture de la rue du Marché à 18 h.",
    *,
    attachments: list[bytes] | None = None,
    broadcast_id: str | None = None,
    sent_at: int | None = None,
    commune: str | None = None,
) -> Sealed:
    binding = broadcast.BroadcastBinding(
        commune or str(sender.commune.public_id),
        generation.scope,
        broadcast_id or str(uuid.uuid4()),
    )
    return broadcast.seal_broadcast(
        binding,
        sender_of(sender),
        generation.parsed,
        text=text,
        fields={},
        attachments=[
            Attachment(data=data, media="image/jpeg", width=64, height=48)
            for data in attachments or []
        ],
        sent_at=sent_at if sent_at is not None else now(),
    )


def multipart(sealed: Sealed, wire: dict[str, Any] | None = None) -> dict[str, Any]:
    """The form a device uploads to POST /broadcasts."""
    data: dict[str, Any] = {"envelope": json.dumps(wire or sealed.wire)}
    for index, part in enumerate(sealed.attachments):
        data[f"attachment_{index}"] = SimpleUploadedFile(
            f"part-{index + 1}.bin", part, "application/octet-stream"
        )
    return {"data": data}


def broadcast_id(sealed: Sealed) -> str:
    return str(json.loads(sealed.wire["body"])["broadcast"])

"""What an operator's browser does with the police service key, done by the Python client.

Real key pairs, real signatures, real HPKE (`maillage.wire.service_key`): the tests and
the authorisation matrix publish generations and grants exactly as a device would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.test import Client
from django.utils import timezone

from maillage.members.tests import factory
from maillage.trust.models import Device
from maillage.wire import chain, service_key
from maillage.wire.hpke import x25519_public_of


def now() -> int:
    return int(timezone.now().timestamp())


@dataclass
class Generation:
    number: int
    private_key: X25519PrivateKey
    document: chain.SignedDocument

    @property
    def public_key(self) -> str:
        return x25519_public_of(self.private_key)


def new_generation(operator: factory.Persona, number: int, **overrides: Any) -> Generation:
    """A fresh key pair and its document signed by the operator's device."""
    private_key = service_key.generate_service_key()
    fields: dict[str, Any] = {
        "commune": str(operator.commune.public_id),
        "number": number,
        "public_key": x25519_public_of(private_key),
        "issued_at": now(),
    }
    fields.update(overrides)
    document = service_key.issue_service_key(operator.sign_key, **fields)
    return Generation(number=number, private_key=private_key, document=document)


def grant(
    granter: factory.Persona, generation: Generation, recipient: Device, **overrides: Any
) -> chain.SignedDocument:
    """The generation's private key wrapped for `recipient`, signed by `granter`'s device."""
    fields: dict[str, Any] = {
        "commune": str(granter.commune.public_id),
        "number": generation.number,
        "recipient_device": str(recipient.public_id),
        "recipient_key": recipient.enc_public_key,
        "service_private_key": generation.private_key,
        "issued_at": now(),
    }
    fields.update(overrides)
    return service_key.seal_grant(granter.sign_key, **fields)


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
    client: Client | None = None,
) -> Generation:
    """Publish generation `number` through the API with a grant to the operator's own
    device (and to `others`); fails the test if the server refuses."""
    generation = new_generation(operator, number)
    grants = [grant(operator, generation, device) for device in (operator.device, *others)]
    response = (client or operator.client()).post(
        "/api/v1/trust/service-keys", **publish_payload(generation, grants)
    )
    assert response.status_code == 201, response.content
    return generation

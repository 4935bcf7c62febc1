"""What the server checks alike for the police service key and the broadcast group keys:
the operator device that signs a generation or its grants, its signature, the issue time
(docs/envelope.md; the client-side twin is `maillage.wire.generations`).

Each key module keeps its own words (« clé de service », « clé de diffusion ») and codes;
the rules are here once.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from django.utils import timezone

from maillage.errors import ApiError, Forbidden
from maillage.members.models import Membership
from maillage.stream.action import Actor
from maillage.territory.models import Commune
from maillage.trust import directory
from maillage.trust.models import Device, DeviceCertificate
from maillage.wire import chain
from maillage.wire.envelope import EnvelopeError, TrustContext


class Invalid(ApiError):
    status = 422


class Addressed(Protocol):
    """A grant's body as far as its recipient goes (service, broadcast, content key)."""

    @property
    def recipient(self) -> str: ...

    @property
    def recipient_key(self) -> str: ...


Once = TypeVar("Once", bound=Hashable)


@dataclass(frozen=True)
class Holder:
    """The caller's session device as the signer of a generation or of grants."""

    device: Device
    certificate: DeviceCertificate


@dataclass(frozen=True)
class CheckedGrant:
    document: chain.SignedDocument
    recipient: Device


def holder_of(actor: Actor, key_name: str) -> Holder:
    """The acting member's certified device; the action has already asked the policy."""
    device = actor.device
    certificate = directory.current_certificate(device) if device is not None else None
    if device is None or certificate is None:
        raise Forbidden(f"Cet appareil n'a pas de certificat valide pour gérer {key_name}.")
    return Holder(device=device, certificate=certificate)


def member_of(actor: Actor, key_name: str) -> Membership:
    """Only an operator's device handles these keys: never the CLI or the demo."""
    if actor.membership is None:
        raise Forbidden(f"Seul un opérateur connecté gère {key_name}.")
    return actor.membership


def epoch() -> int:
    return int(timezone.now().timestamp())


def check_issued_at(issued_at: int, field: str, code: str) -> None:
    if abs(issued_at - epoch()) > chain.CLOCK_SKEW:
        raise Invalid(
            code,
            "La date d'émission est éloignée de l'heure du serveur : vérifiez l'horloge "
            "de votre appareil.",
            field=field,
        )


def verify_signature(holder: Holder, document: chain.SignedDocument, field: str) -> None:
    """Signed by the caller's own device key (the chain was checked by the caller)."""
    try:
        valid = chain.signature_valid(
            chain.b64url_decode(holder.device.sign_public_key),
            document.body,
            chain.b64url_decode(document.signature),
        )
    except chain.TrustError:
        valid = False
    if not valid:
        raise Invalid("bad_signature", chain.TRUST_MESSAGES["bad_signature"], field=field)


def check_granter(
    holder: Holder,
    document: chain.SignedDocument,
    *,
    issuer: str,
    issued_at: int,
    field: str,
    time_code: str,
) -> None:
    """A grant the caller hands over is its own device's: its `issuer` names that device's
    key, it was issued near the server's clock, and that key signed it."""
    if issuer != holder.device.sign_key_fingerprint:
        raise Invalid(
            "grant_mismatch",
            "L'attribution doit être signée par l'appareil avec lequel vous êtes connecté.",
            field=field,
        )
    check_issued_at(issued_at, field, time_code)
    verify_signature(holder, document, field)


def check_recipient(
    grant: Addressed,
    allowed: Mapping[str, Device],
    *,
    field: str,
    not_allowed: str,
    seen: set[Once],
    once: Once,
    duplicate: str = "Deux attributions pour le même appareil.",
) -> Device:
    """The device a grant is for: one of `allowed` (public id → device), named with the
    encryption key it holds, and `once` (what no two grants may share) not yet `seen`;
    each refusal in the caller's words where they differ."""
    device = allowed.get(grant.recipient)
    if device is None:
        raise Invalid("not_allowed_recipient", not_allowed, field=field)
    if grant.recipient_key != device.enc_public_key:
        raise Invalid(
            "grant_mismatch",
            "La clé de chiffrement visée n'est pas celle de l'appareil destinataire.",
            field=field,
        )
    if once in seen:
        raise Invalid("grant_mismatch", duplicate, field=field)
    seen.add(once)
    return device


def refused(error: EnvelopeError | chain.TrustError, field: str) -> ApiError:
    return Invalid(error.code, error.message, field=field)


def trust_context(commune: Commune) -> TrustContext:
    """The commune's root and today's revocation list, to verify a generation as a client
    would."""
    root = directory.root_of(commune)
    _, revocations = directory.parsed_revocations(commune)
    return TrustContext(
        root_public_key=root.public_key,
        pinned_fingerprint=root.fingerprint,
        commune=str(commune.public_id),
        revocations=revocations,
    )

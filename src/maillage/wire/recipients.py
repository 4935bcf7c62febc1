"""Choosing recipients from the key directory without trusting it (docs/envelope.md).

The server proposes devices and the police service key; the sending device checks each
one against its pinned root and the newest revocation list it can verify, and wraps
only to keys read from verified certificates. One bad entry is refused and reported,
never fatal, because a shopkeeper in danger must still reach the police; but with no
verifiable police recipient the send is refused (`no_police_recipient`: call 17).
Twin of `frontend/src/envelope/recipients.ts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from maillage.wire import chain
from maillage.wire.envelope import EnvelopeError, Recipient, TrustContext
from maillage.wire.errors import TrustError
from maillage.wire.service_key import (
    ServiceKeyDocument,
    service_recipient,
    verify_service_key,
)

__all__ = [
    "PURPOSES",
    "SERVICE_ENTRY",
    "Purpose",
    "Resolution",
    "TrustState",
    "resolve_recipients",
    "verify_revocations",
]

Purpose = Literal["incident", "report", "sector"]
PURPOSES: Final = ("incident", "report", "sector")
# How a refused service key shows in `Resolution.refused` (it has no device id).
SERVICE_ENTRY: Final = "service:police"
_DIRECTORY_KEYS: Final = frozenset({"purpose", "shop", "revocations", "devices", "service_key"})
_POLICE_ROLES: Final = frozenset({"operateur", "agent"})
# The commune's fallback recipients (a partner supervision centre): a new report may be
# sealed to them too, while the police municipale is not reachable. Never a sector alert
# nor a message in an incident; never a substitute for the police recipient below.
_FALLBACK_ROLES: Final = frozenset({"partenaire"})


@dataclass(frozen=True, slots=True)
class TrustState:
    """What a device remembers between sends so that a server cannot roll it back."""

    root_public_key: str
    pinned_fingerprint: str
    commune: str
    last_revocation_number: int = 0
    known_revoked_serials: frozenset[str] = field(default_factory=frozenset)
    last_service_key_number: int = 0


@dataclass(frozen=True, slots=True)
class Resolution:
    recipients: list[Recipient]
    refused: list[tuple[str, str]]
    revocations: chain.RevocationList
    service_key: ServiceKeyDocument | None
    state: TrustState
    # The verified role of each device recipient: a police note keeps the police ones.
    roles: dict[str, str] = field(default_factory=dict)


_POLICE_NOTE_ROLES: Final = frozenset({"operateur", "agent"})


def police_recipients(resolution: Resolution) -> list[Recipient]:
    """The recipients a police note is sealed to: the service key and the devices of
    operators and agents, never a shop's (docs/decisions.md, « Police notes »)."""
    return [
        r
        for r in resolution.recipients
        if r.kind == "service" or resolution.roles.get(r.id) in _POLICE_NOTE_ROLES
    ]


def _allowed(leaf: chain.CertificateBody, purpose: Purpose, shop: str | None) -> bool:
    if purpose == "sector":
        return leaf.role == "commercant"
    if leaf.role in _POLICE_ROLES:
        return True
    if leaf.role in _FALLBACK_ROLES:
        return purpose == "report"
    return leaf.role == "commercant" and shop is not None and leaf.shop == shop


def verify_revocations(
    wire: object, state: TrustState, now: int
) -> tuple[chain.RevocationList, TrustState]:
    """Verify a served revocation list against what this device already saw (no
    rollback, no forgotten serial); return it with the state that remembers it."""
    revocations = _verify_revocations(wire, state, now)
    return revocations, replace(
        state,
        last_revocation_number=revocations.number,
        known_revoked_serials=state.known_revoked_serials | revocations.serials,
    )


def _verify_revocations(wire: object, state: TrustState, now: int) -> chain.RevocationList:
    try:
        document, signer_chain = chain.parse_revocation_document(wire)
        return chain.verify_revocation_list(
            document,
            signer_chain,
            state.root_public_key,
            state.pinned_fingerprint,
            state.commune,
            state.last_revocation_number,
            now,
            known_serials=state.known_revoked_serials,
        )
    except TrustError as exc:
        raise EnvelopeError.from_trust(exc, "revocations") from exc


def _check_entry(
    entry: object, trust: TrustContext, purpose: Purpose, shop: str | None, now: int
) -> tuple[chain.CertificateBody | None, str, str]:
    """(verified leaf or None, device id as listed, refusal code) for one entry."""
    if not isinstance(entry, dict) or not isinstance(entry.get("device"), str):
        return None, "", "malformed"
    device = str(entry["device"])
    try:
        leaf = chain.verify_chain(
            chain.parse_chain(entry.get("chain")),
            trust.root_public_key,
            trust.pinned_fingerprint,
            trust.commune,
            trust.revocations,
            now,
        )
    except TrustError as exc:
        return None, device, exc.code
    if leaf.device != device:
        return None, device, "malformed"
    if not _allowed(leaf, purpose, shop):
        return None, device, "not_allowed_recipient"
    return leaf, device, ""


def resolve_recipients(directory: dict[str, Any], state: TrustState, now: int) -> Resolution:
    """Verify the directory's answer and keep the recipients that pass every check.

    Raises `EnvelopeError` only for what makes the whole send unsafe: a directory that is
    not one, a revocation list that does not verify or rolls back (`stale_revocations`),
    and no verifiable police recipient for a report or an incident.
    """
    if not isinstance(directory, dict) or set(directory) != _DIRECTORY_KEYS:
        raise EnvelopeError("malformed", "Réponse de l'annuaire des clés mal formée.")
    purpose, shop, devices = directory["purpose"], directory["shop"], directory["devices"]
    if purpose not in PURPOSES or not isinstance(devices, list):
        raise EnvelopeError("malformed", "Réponse de l'annuaire des clés mal formée.")
    if shop is not None and not isinstance(shop, str):
        raise EnvelopeError("malformed", "Réponse de l'annuaire des clés mal formée.")

    revocations, verified_state = verify_revocations(directory["revocations"], state, now)
    trust = TrustContext(
        state.root_public_key, state.pinned_fingerprint, state.commune, revocations
    )

    chosen: dict[str, Recipient] = {}
    refused: list[tuple[str, str]] = []
    police_device = False
    roles: dict[str, str] = {}
    for entry in devices:
        leaf, device, code = _check_entry(entry, trust, purpose, shop, now)
        if leaf is None:
            refused.append((device, code))
            continue
        if leaf.device in chosen:
            refused.append((device, "malformed"))
            continue
        # Keys only ever come from the verified leaf, never from the entry itself.
        chosen[leaf.device] = Recipient(kind="device", id=leaf.device, key=leaf.enc_key)
        roles[leaf.device] = str(leaf.role)
        police_device = police_device or leaf.role == "operateur"

    service_key: ServiceKeyDocument | None = None
    last_service_number = state.last_service_key_number
    offered = directory["service_key"]
    if offered is not None:
        if purpose == "sector":
            refused.append((SERVICE_ENTRY, "not_allowed_recipient"))
        else:
            try:
                service_key = verify_service_key(offered, trust, now, last_service_number)
            except EnvelopeError as exc:
                refused.append((SERVICE_ENTRY, exc.code))
            else:
                last_service_number = service_key.number

    recipients = sorted(chosen.values(), key=lambda r: (r.kind, r.id))
    if service_key is not None:
        recipients.append(service_recipient(service_key))
    if purpose != "sector" and not police_device and service_key is None:
        raise EnvelopeError("no_police_recipient")
    new_state = replace(verified_state, last_service_key_number=last_service_number)
    return Resolution(recipients, refused, revocations, service_key, new_state, roles)

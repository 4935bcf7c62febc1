"""Who should receive: a sealed message (the key directory) or the police service key.

The server proposes, the sender's device disposes (docs/envelope.md, "Key directory"):
every device entry travels with its certificate chain exactly as signed, and the client's
`resolve_recipients` verifies each one against the pinned root before wrapping a key to it.
So this module only has to be complete and cheap, never trusted.

An incident's directory is its shop's merchants, the commune's operators (no duty roster
yet: every active operator), the agents dispatched to it and not released
(incidents/dispatch.py), and the police service key.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from maillage.access.policy import (
    DISPATCHED_RECIPIENT_ROLES,
    FALLBACK_RECIPIENT_ROLES,
    POLICE_RECIPIENT_ROLES,
    SERVICE_KEY_HOLDER_ROLES,
    SHOP_RECIPIENT_ROLES,
    Action,
    require,
    visible,
)
from maillage.errors import ApiError, NotFound
from maillage.members.models import Membership, MembershipStatus
from maillage.territory.models import Commune, Sector, Shop
from maillage.trust import directory
from maillage.trust.models import DeviceCertificate, DeviceStatus, RevocationList, ServiceKey
from maillage.wire import chain
from maillage.wire.recipients import Purpose
from maillage.wire.service_key import SERVICE

# Bumped whenever the answer's shape changes, so that no device keeps an old one.
DIRECTORY_FORMAT = "1"


@dataclass(frozen=True)
class DirectoryRows:
    """What one directory answer is made of, read but not yet turned into documents.

    Every document served is immutable once stored (certificates, revocation lists and
    service key generations are signed once and never rewritten; a revocation sets
    `revoked_at`, which is not served, and publishes a new list), so the answer is a pure
    function of which rows were chosen: `etag` hashes their ids, and the check costs the
    three queries that choose them, not the chains nor the serialisation.
    """

    purpose: Purpose
    shop: Shop | None
    certificates: list[DeviceCertificate]
    revocations: RevocationList
    service_key: ServiceKey | None
    # The certificates listed as fallback recipients (police not reachable, a report).
    fallback: frozenset[int] = frozenset()

    @property
    def etag(self) -> str:
        """A strong validator: equal only when the answer's bytes are equal."""
        summary = {
            "format": DIRECTORY_FORMAT,
            "purpose": self.purpose,
            "shop": str(self.shop.public_id) if self.shop is not None else None,
            "certificates": [c.pk for c in self.certificates],
            "revocations": self.revocations.pk,
            "service_key": self.service_key.pk if self.service_key is not None else None,
            "fallback": sorted(self.fallback),
        }
        digest = hashlib.sha256(json.dumps(summary, sort_keys=True).encode()).hexdigest()
        return f'"{digest[:40]}"'


def recipients_directory(
    actor: Membership,
    *,
    incident: uuid.UUID | None = None,
    sector: int | None = None,
    fallback: Iterable[int] = (),
) -> dict[str, Any]:
    """The directory for one send, after checking the caller may send it."""
    return directory_answer(
        directory_rows(actor, incident=incident, sector=sector, fallback=fallback)
    )


def directory_rows(
    actor: Membership,
    *,
    incident: uuid.UUID | None = None,
    sector: int | None = None,
    fallback: Iterable[int] = (),
) -> DirectoryRows:
    """The rows of the directory for one send, after checking the caller may send it.

    `incident`: a message in an existing incident (operator, agent, merchant of its
    shop); `sector`: a neighbour alert (operators, merchants of that sector); neither: a
    new report by the caller's own shop (merchants). `fallback`: memberships a new report
    is also sealed to (the interface asks maillage.duty, which sits above trust/: the
    commune's fallback recipients while its police is not reachable); ignored otherwise.
    """
    require(actor, Action.VIEW_RECIPIENTS, actor.commune)
    if incident is not None and sector is not None:
        raise ApiError(
            "invalid",
            "Indiquez soit un signalement, soit un secteur, pas les deux.",
            field="sector",
            status=422,
        )
    commune = actor.commune
    among = visible(actor, DeviceCertificate, Action.VIEW_RECIPIENTS)
    purpose: Purpose
    if sector is not None:
        target_sector = Sector.objects.filter(pk=sector, commune=commune).first()
        if target_sector is None:
            raise NotFound("Secteur introuvable.")
        require(actor, Action.ALERT_SECTOR, target_sector)
        purpose, shop = "sector", None
        certificates = current_certificates(
            among,
            Q(
                device__membership__role__in=SHOP_RECIPIENT_ROLES,
                device__membership__shop__sector=target_sector,
                device__membership__shop__is_active=True,
            ),
        )
    else:
        if incident is not None:
            # The incident, with its shop, through the commune's reverse relation: trust/
            # sits below incidents/ and imports nothing of it. One read, and the policy is
            # asked of that incident (an agent may post only where it was sent).
            found = commune.incidents.select_related("shop").filter(public_id=incident).first()
            if found is None:
                raise NotFound("Signalement introuvable.")
            require(actor, Action.POST_MESSAGE, found)
            purpose, shop = "incident", found.shop
        else:
            require(actor, Action.REPORT_INCIDENT, actor.shop)
            assert actor.shop is not None
            purpose, shop = "report", actor.shop
        who = _police_and_shop(shop)
        if incident is not None:
            who |= _dispatched_agents(incident)
        certificates = current_certificates(among, who)
    fallback_ids = list(fallback) if purpose == "report" else []
    fallback_pks: frozenset[int] = frozenset()
    if fallback_ids:
        extra = current_certificates(
            among,
            Q(
                device__membership__in=fallback_ids,
                device__membership__role__in=FALLBACK_RECIPIENT_ROLES,
            ),
        )
        listed = {c.pk for c in certificates}
        fallback_pks = frozenset(c.pk for c in extra)
        certificates = sorted(
            [*certificates, *(c for c in extra if c.pk not in listed)],
            key=lambda c: str(c.device.public_id),
        )

    latest = commune.revocation_lists.select_related("signer_certificate").order_by("-number")
    revocations = latest.first()
    if revocations is None:
        raise directory.NoRoot
    service_key = (
        None
        if purpose == "sector"
        # Only what the answer serves: the document and its signer's certificate.
        else ServiceKey.objects.select_related("signer_certificate")
        .filter(commune=commune, service=SERVICE)
        .order_by("-number")
        .first()
    )
    return DirectoryRows(purpose, shop, certificates, revocations, service_key, fallback_pks)


def directory_answer(rows: DirectoryRows) -> dict[str, Any]:
    """The documents: every chain (leaves, the revocation list's signer, the service
    key's signer) fetched together, one query per chain level."""
    revocations, service_key = rows.revocations, rows.service_key
    signers = [
        certificate
        for certificate in (
            revocations.signer_certificate,  # None: the root signed the list
            service_key.signer_certificate if service_key is not None else None,
        )
        if certificate is not None
    ]
    chains = with_chains([*rows.certificates, *signers])
    by_pk = {leaf.pk: documents for leaf, documents in chains}
    signer = revocations.signer_certificate
    revocation_chain = by_pk[signer.pk] if signer is not None else []
    return {
        "purpose": rows.purpose,
        "shop": rows.shop.public_id if rows.shop is not None else None,
        "revocations": {
            "number": revocations.number,
            "body": revocations.body,
            "signature": revocations.signature,
            "chain": revocation_chain,
        },
        "devices": [
            {"device": certificate.device.public_id, "chain": documents}
            | ({"fallback": True} if certificate.pk in rows.fallback else {})
            for certificate, documents in chains[: len(rows.certificates)]
        ],
        "service_key": (
            {
                "body": service_key.body,
                "signature": service_key.signature,
                "chain": by_pk[service_key.signer_certificate.pk],
            }
            if service_key is not None
            else None
        ),
    }


def _police_and_shop(shop: Shop) -> Q:
    return Q(device__membership__role__in=POLICE_RECIPIENT_ROLES) | Q(
        device__membership__role__in=SHOP_RECIPIENT_ROLES, device__membership__shop=shop
    )


def _dispatched_agents(incident: uuid.UUID) -> Q:
    """The agents sent to this incident and not released (incidents/dispatch.py): what is
    posted after the dispatch is sealed to their devices directly. One Q, so that the role,
    the incident and the release are those of the same dispatch row."""
    return Q(
        device__membership__role__in=DISPATCHED_RECIPIENT_ROLES,
        device__membership__dispatches__incident__public_id=incident,
        device__membership__dispatches__released_at__isnull=True,
    )


def in_commune(commune: Commune) -> QuerySet[DeviceCertificate]:
    """Every certificate of the commune, for the server's own checks (no caller to scope)."""
    return DeviceCertificate.objects.filter(device__membership__commune=commune)


def current_certificates(among: QuerySet[DeviceCertificate], who: Q) -> list[DeviceCertificate]:
    """Each matching active device's newest valid certificate, in one query.

    `among` is what the caller may see (`policy.visible`) or, for the server's own checks,
    `in_commune(commune)`. Mirrors `directory.current_certificate` (active device,
    certificate neither revoked nor expired) for many devices at once; the member must be
    active too.
    """
    rows: QuerySet[DeviceCertificate] = (
        among.filter(
            who,
            device__status=DeviceStatus.ACTIVE,
            device__membership__status=MembershipStatus.ACTIVE,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("device")
        .order_by("device_id", "-issued_at", "-pk")
    )
    newest: dict[int, DeviceCertificate] = {}
    for certificate in rows:
        newest.setdefault(certificate.device_id, certificate)
    return sorted(newest.values(), key=lambda c: str(c.device.public_id))


def with_chains(
    certificates: Iterable[DeviceCertificate],
) -> list[tuple[DeviceCertificate, list[dict[str, str]]]]:
    """Attach each certificate's chain (leaf first), fetching issuers one level per query.

    A sector can hold a few hundred devices, but they share a handful of issuing
    coordinator certificates: this costs one query per chain level, not one per device.
    """
    leaves = list(certificates)
    known: dict[int, DeviceCertificate] = {c.pk: c for c in leaves}
    for _ in range(chain.MAX_CHAIN_LENGTH):
        missing = {
            c.issuer_certificate_id
            for c in known.values()
            if c.issuer_certificate_id is not None and c.issuer_certificate_id not in known
        }
        if not missing:
            break
        known.update((c.pk, c) for c in DeviceCertificate.objects.filter(pk__in=missing))
    result = []
    for leaf in leaves:
        documents = [leaf]
        while (
            documents[-1].issuer_certificate_id in known and len(documents) < chain.MAX_CHAIN_LENGTH
        ):
            issuer_id = documents[-1].issuer_certificate_id
            assert issuer_id is not None
            documents.append(known[issuer_id])
        result.append((leaf, [directory.signed(c).to_wire() for c in documents]))
    return result


def operator_certificates(among: QuerySet[DeviceCertificate]) -> list[DeviceCertificate]:
    """Who may hold the police service key: active operator devices, newest certificate."""
    return current_certificates(among, Q(device__membership__role__in=SERVICE_KEY_HOLDER_ROLES))


def pending_devices(actor: Membership, number: int | None = None) -> dict[str, Any]:
    """Active operator devices without a grant for generation `number` (the latest by
    default), with chains, so a holder can verify each one before wrapping the key for it.

    Older generations matter too: content sealed before a rotation stays wrapped to the
    generation of its day, so a new operator device needs those to read the history.
    """
    require(actor, Action.MANAGE_SERVICE_KEY, actor.commune)
    keys = ServiceKey.objects.filter(commune=actor.commune, service=SERVICE)
    if number is not None:
        keys = keys.filter(number=number)
    latest = keys.order_by("-number").first()
    if latest is None:
        raise NoServiceKey
    granted = set(latest.grants.values_list("recipient_device_id", flat=True))
    among = visible(actor, DeviceCertificate, Action.MANAGE_SERVICE_KEY)
    waiting = [c for c in operator_certificates(among) if c.device_id not in granted]
    return {
        "number": latest.number,
        "devices": [
            {"device": certificate.device.public_id, "chain": documents}
            for certificate, documents in with_chains(waiting)
        ],
    }


# --- the police service key as it travels ---------------------------------------------


class NoServiceKey(ApiError):
    status = 404

    def __init__(self) -> None:
        super().__init__(
            "no_service_key",
            "La police de cette commune n'a pas encore de clé de service : le premier "
            "appareil d'opérateur connecté la crée.",
        )


def latest_service_key(commune: Commune) -> ServiceKey | None:
    return (
        ServiceKey.objects.select_related("signer_certificate", "signer_device", "commune")
        .filter(commune=commune, service=SERVICE)
        .order_by("-number")
        .first()
    )


def signed_chain(certificate: DeviceCertificate) -> list[dict[str, str]]:
    return [directory.signed(c).to_wire() for c in directory.certificate_chain(certificate)]


def service_key_document(service_key: ServiceKey) -> dict[str, Any]:
    """The key as it travels: `{body, signature, chain}`, the chain as it stood when the
    key was published (clients re-check it against today's revocation list)."""
    return {
        "body": service_key.body,
        "signature": service_key.signature,
        "chain": signed_chain(service_key.signer_certificate),
    }

"""The commune's police service key: generations and grants, checked and stored as signed.

Operator devices generate the key pair, sign the public half and wrap the private half
for each other (docs/envelope.md, "Police service key"). The server never holds the
private key: it checks that what it stores names the right commune, generation, signer
and recipients, so that a confused or malicious browser cannot publish garbage, and it
tells operators when a generation must be rotated.

Publishing a generation and adding grants are actions: each leaves one event
(`service_key.published`, `service_key.grants_added`) naming the operator and device who
did it; an identical retry of grants stores nothing and records nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from maillage.access.policy import Action, require
from maillage.errors import ApiError, Conflict, Forbidden, NotFound
from maillage.members.models import Membership
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.territory.models import Commune
from maillage.trust import recipients, signed_keys
from maillage.trust.models import (
    CommuneRoot,
    Device,
    DeviceStatus,
    ServiceKey,
    ServiceKeyGrant,
)
from maillage.trust.recipients import (
    NoServiceKey,
    latest_service_key,
    service_key_document,
    signed_chain,
)
from maillage.trust.signed_keys import Invalid
from maillage.wire import chain
from maillage.wire import service_key as wire_service_key
from maillage.wire.envelope import EnvelopeError

SERVICE = recipients.SERVICE


class NoGrant(ApiError):
    status = 404

    def __init__(self) -> None:
        super().__init__(
            "no_grant",
            "Cet appareil n'a pas encore reçu la clé de service : un autre appareil "
            "d'opérateur doit la lui transmettre.",
        )


# --- reading --------------------------------------------------------------------------


def rotation_needed(service_key: ServiceKey) -> bool:
    """True when a generation must be replaced: a device that held it is no longer
    active, or its signer's certificate stopped verifying (revoked or expired), which
    makes every sender refuse it."""
    signer = service_key.signer_certificate
    if signer.revoked_at is not None or signer.expires_at <= timezone.now():
        return True
    # A holder withdrawn since its grant keeps the key even if reinstated later (with a
    # new certificate): only a new generation shuts it out.
    withdrawn_since_grant = service_key.grants.filter(
        recipient_device__certificates__revoked_at__gt=F("created_at")
    )
    return (
        service_key.grants.exclude(recipient_device__status=DeviceStatus.ACTIVE).exists()
        or withdrawn_since_grant.exists()
        or service_key.signer_device.status != DeviceStatus.ACTIVE
    )


def current_service_key(actor: Membership, number: int | None = None) -> dict[str, Any]:
    """The latest generation, or generation `number`: an operator device that receives an
    older generation checks its grant against that generation's document."""
    require(actor, Action.VIEW_RECIPIENTS, actor.commune)
    latest = latest_service_key(actor.commune)
    if latest is None:
        raise NoServiceKey
    wanted = latest
    if number is not None and number != latest.number:
        older = (
            ServiceKey.objects.select_related("signer_certificate", "signer_device", "commune")
            .filter(commune=actor.commune, service=SERVICE, number=number)
            .first()
        )
        if older is None:
            raise NoServiceKey
        wanted = older
    return {
        "number": wanted.number,
        **service_key_document(wanted),
        "rotation_needed": wanted is latest and rotation_needed(latest),
    }


def grant_for(
    actor: Membership, device: Device | None, number: int | None = None
) -> dict[str, Any]:
    """This device's grant for generation `number` (the latest by default)."""
    require(actor, Action.MANAGE_SERVICE_KEY, actor.commune)
    keys = ServiceKey.objects.filter(commune=actor.commune, service=SERVICE)
    if number is not None:
        keys = keys.filter(number=number)
    service_key = keys.order_by("-number").first()
    if service_key is None:
        raise NoServiceKey
    if device is None:
        raise NoGrant
    grant = (
        ServiceKeyGrant.objects.select_related("granter_certificate")
        .filter(service_key=service_key, recipient_device=device)
        .first()
    )
    if grant is None:
        raise NoGrant
    return {
        "number": service_key.number,
        "grant": {"body": grant.body, "signature": grant.signature},
        "granter_chain": signed_chain(grant.granter_certificate),
    }


# --- writing --------------------------------------------------------------------------


def _number_conflict(expected: int) -> Conflict:
    return Conflict(
        "service_key_conflict",
        f"La clé de service doit porter la génération {expected} : une autre génération a "
        "été publiée entre-temps, recommencez.",
        field="document",
    )


def _check_grants(
    holder: signed_keys.Holder, service_key: ServiceKey, documents: Sequence[chain.SignedDocument]
) -> list[signed_keys.CheckedGrant]:
    """Each grant names this generation, comes from the caller's device and targets an
    active operator device of the commune with its own encryption key, once."""
    if not documents:
        raise Invalid("grants_required", "Aucune attribution de clé transmise.", field="grants")
    operators = {
        str(certificate.device.public_id): certificate.device
        for certificate in recipients.operator_certificates(
            recipients.in_commune(service_key.commune)
        )
    }
    checked: list[signed_keys.CheckedGrant] = []
    seen: set[str] = set()
    for index, document in enumerate(documents):
        field = f"grants.{index}"
        try:
            grant = wire_service_key.parse_grant(document)
        except (EnvelopeError, chain.TrustError) as exc:
            raise signed_keys.refused(exc, field) from exc
        if (
            grant.commune != str(service_key.commune.public_id)
            or grant.service != service_key.service
            or grant.number != service_key.number
        ):
            raise Invalid(
                "grant_mismatch",
                f"Cette attribution ne vise pas la génération {service_key.number} de la clé "
                "de service de la commune.",
                field=field,
            )
        signed_keys.check_granter(
            holder,
            document,
            issuer=grant.issuer,
            issued_at=grant.issued_at,
            field=field,
            time_code="service_key_time",
        )
        recipient = signed_keys.check_recipient(
            grant,
            operators,
            field=field,
            not_allowed="La clé de service ne peut être transmise qu'à un appareil certifié "
            "d'un opérateur actif de la commune.",
            seen=seen,
            once=grant.recipient,
        )
        checked.append(signed_keys.CheckedGrant(document=document, recipient=recipient))
    return checked


def _store_grants(
    holder: signed_keys.Holder, service_key: ServiceKey, grants: list[signed_keys.CheckedGrant]
) -> int:
    """Insert new grants; an identical one already stored is a harmless retry, a
    different one for the same device is a conflict. Returns how many were new."""
    existing = {
        grant.recipient_device_id: grant
        for grant in ServiceKeyGrant.objects.filter(
            service_key=service_key, recipient_device__in=[g.recipient for g in grants]
        )
    }
    created = 0
    for grant in grants:
        stored = existing.get(grant.recipient.pk)
        if stored is not None:
            if (stored.body, stored.signature) != (grant.document.body, grant.document.signature):
                raise Conflict(
                    "grant_exists",
                    "Cet appareil a déjà reçu cette génération de la clé de service.",
                    field="grants",
                )
            continue
        try:
            with transaction.atomic():
                ServiceKeyGrant.objects.create(
                    service_key=service_key,
                    recipient_device=grant.recipient,
                    granter_device=holder.device,
                    granter_certificate=holder.certificate,
                    body=grant.document.body,
                    signature=grant.document.signature,
                )
        except IntegrityError as exc:
            raise Conflict(
                "grant_exists",
                "Cet appareil a déjà reçu cette génération de la clé de service.",
                field="grants",
            ) from exc
        created += 1
    return created


def _refuse_outdated(document: chain.SignedDocument, expected: int) -> None:
    """A generation prepared before someone else published one: "start again" (409), not
    "invalid". Only picks the error; every check still runs afterwards."""
    try:
        number = json.loads(document.body).get("number")
    except (ValueError, AttributeError):
        return
    if isinstance(number, int) and not isinstance(number, bool) and number != expected:
        raise _number_conflict(expected)


def publish(
    actor: Actor,
    document: chain.SignedDocument,
    grants: Sequence[chain.SignedDocument],
) -> tuple[ServiceKey, int]:
    """Store generation latest + 1 and its first grants, all or nothing.

    The document is verified as a client would (chain to the root with today's
    revocation list, operator leaf, issuer, signature) and must come from the caller's
    session device; one grant must go to that device, or nobody could use the key.
    """
    member = signed_keys.member_of(actor, "la clé de service")
    with action(
        actor, Action.MANAGE_SERVICE_KEY, member.commune, kind=Kind.SERVICE_KEY_PUBLISHED
    ) as act:
        service_key, created = _publish(
            signed_keys.holder_of(actor, "la clé de service"), member.commune, document, grants
        )
        act.record(service_key, {"number": service_key.number, "grants": created})
    return service_key, created


def _publish(
    holder: signed_keys.Holder,
    commune: Commune,
    document: chain.SignedDocument,
    grants: Sequence[chain.SignedDocument],
) -> tuple[ServiceKey, int]:
    CommuneRoot.objects.select_for_update().get(commune=commune)
    latest = latest_service_key(commune)
    expected = (latest.number if latest else 0) + 1
    _refuse_outdated(document, expected)
    wire = {**document.to_wire(), "chain": signed_chain(holder.certificate)}
    now = signed_keys.epoch()
    try:
        body = wire_service_key.verify_service_key(
            wire, signed_keys.trust_context(commune), now, latest.number if latest else 0
        )
    except (EnvelopeError, chain.TrustError) as exc:
        raise signed_keys.refused(exc, "document") from exc
    if body.issuer != holder.device.sign_key_fingerprint:
        raise Invalid(
            "service_key_mismatch",
            "La clé de service doit être signée par l'appareil avec lequel vous êtes connecté.",
            field="document",
        )
    if body.commune != str(commune.public_id) or body.service != SERVICE:
        raise Invalid(
            "service_key_mismatch",
            "Cette clé de service ne vise pas la police de votre commune.",
            field="document",
        )
    if body.number != expected:
        raise _number_conflict(expected)
    signed_keys.check_issued_at(body.issued_at, "document", "service_key_time")
    if ServiceKey.objects.filter(commune=commune, public_key=body.key).exists():
        raise Invalid(
            "service_key_reused",
            "Cette clé publique a déjà servi : une nouvelle génération exige une nouvelle clé.",
            field="document",
        )
    try:
        with transaction.atomic():
            service_key = ServiceKey.objects.create(
                commune=commune,
                service=SERVICE,
                number=body.number,
                public_key=body.key,
                body=document.body,
                signature=document.signature,
                signer_device=holder.device,
                signer_certificate=holder.certificate,
            )
    except IntegrityError as exc:
        raise _number_conflict(expected) from exc
    checked = _check_grants(holder, service_key, grants)
    if not any(grant.recipient.pk == holder.device.pk for grant in checked):
        raise Invalid(
            "grant_required",
            "Joignez l'attribution de la clé à votre propre appareil.",
            field="grants",
        )
    return service_key, _store_grants(holder, service_key, checked)


def add_grants(actor: Actor, grants: Sequence[chain.SignedDocument]) -> tuple[ServiceKey, int]:
    """Store grants signed by a device that itself holds the generation they name."""
    member = signed_keys.member_of(actor, "la clé de service")
    with action(
        actor, Action.MANAGE_SERVICE_KEY, member.commune, kind=Kind.SERVICE_KEY_GRANTS_ADDED
    ) as act:
        service_key, created = _add_grants(
            signed_keys.holder_of(actor, "la clé de service"), member.commune, grants
        )
        if created:
            act.record(service_key, {"number": service_key.number, "grants": created})
        else:
            act.unchanged()
    return service_key, created


def _add_grants(
    holder: signed_keys.Holder, commune: Commune, grants: Sequence[chain.SignedDocument]
) -> tuple[ServiceKey, int]:
    if not grants:
        raise Invalid("grants_required", "Aucune attribution de clé transmise.", field="grants")
    numbers = set()
    for index, document in enumerate(grants):
        try:
            numbers.add(wire_service_key.parse_grant(document).number)
        except (EnvelopeError, chain.TrustError) as exc:
            raise signed_keys.refused(exc, f"grants.{index}") from exc
    if len(numbers) != 1:
        raise Invalid(
            "grant_mismatch",
            "Toutes les attributions d'un envoi doivent viser la même génération.",
            field="grants",
        )
    service_key = (
        ServiceKey.objects.select_related("commune")
        .filter(commune=commune, service=SERVICE, number=numbers.pop())
        .first()
    )
    if service_key is None:
        raise NotFound("Génération de clé de service introuvable.")
    if not service_key.grants.filter(recipient_device=holder.device).exists():
        raise Forbidden(
            "Cet appareil ne détient pas cette génération de la clé de service : il ne peut "
            "pas la transmettre."
        )
    created = _store_grants(holder, service_key, _check_grants(holder, service_key, grants))
    return service_key, created

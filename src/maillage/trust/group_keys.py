"""Broadcast group keys: generations per scope and their grants, checked and stored as
signed (docs/envelope.md, "Broadcasts and group keys").

The police service key's twin (`service_keys.py`): operator devices generate a scope's key
pair, sign its public half and wrap the private half for every member device entitled to
it; the server never holds a private half. It checks that what it stores names the right
commune, scope, generation, signer and recipients, lists the entitled devices still
without a grant, and says when a generation must be rotated (a holder left).

Scopes: `commune` (every active merchant and operator device of the commune) and
`sector:<id>` (the merchants of the sector's shops and of its neighbouring sectors', and
the operators), `<id>` being the sector's API id. Publishing a generation and adding
grants are actions, one event each (`group_key.published`, `group_key.grants_added`); an
identical retry of grants stores nothing and records nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from maillage.access.policy import (
    COMMUNE_SCOPE,
    GROUP_KEY_POLICE_ROLES,
    GROUP_KEY_SHOP_ROLES,
    Action,
    require,
    sector_of_scope,
)
from maillage.errors import ApiError, Conflict, Forbidden, NotFound
from maillage.members.models import Membership
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.territory.models import Commune, Sector
from maillage.trust import recipients, signed_keys
from maillage.trust.models import (
    CommuneRoot,
    Device,
    DeviceCertificate,
    DeviceStatus,
    GroupKey,
    GroupKeyGrant,
)
from maillage.trust.recipients import signed_chain, with_chains
from maillage.trust.signed_keys import Invalid
from maillage.wire import chain
from maillage.wire import group_key as wire_group_key
from maillage.wire.envelope import EnvelopeError


class NoGroupKey(ApiError):
    status = 404

    def __init__(self) -> None:
        super().__init__(
            "no_group_key",
            "Aucune clé de diffusion n'a encore été publiée pour ce périmètre : la console "
            "d'un opérateur la crée.",
        )


class NoGroupGrant(ApiError):
    status = 404

    def __init__(self) -> None:
        super().__init__(
            "no_grant",
            "Cet appareil n'a pas encore reçu la clé de diffusion : la console d'un opérateur "
            "doit la lui transmettre.",
        )


# --- scopes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """A scope of the commune: `commune`, or a sector of it."""

    commune: Commune
    name: str
    sector: Sector | None

    @property
    def target(self) -> Commune | Sector:
        """What the policy is asked about (scope-bound actions)."""
        return self.sector if self.sector is not None else self.commune


def scope_of(commune: Commune, name: str, field: str = "scope") -> Scope:
    """`commune` or `sector:<id>` of a sector of this commune (another commune's, or an
    unknown one, looks absent)."""
    if not wire_group_key.is_scope(name):
        raise Invalid(
            "invalid_scope",
            "Périmètre de diffusion invalide : « commune » ou « sector:<id> » attendu.",
            field=field,
        )
    sector_id = sector_of_scope(name)
    if sector_id is None:
        return Scope(commune, COMMUNE_SCOPE, None)
    sector = Sector.objects.filter(pk=sector_id, commune=commune).first() if sector_id > 0 else None
    if sector is None or name != f"{wire_group_key.SECTOR_PREFIX}{sector.pk}":
        raise NotFound("Secteur introuvable.")
    return Scope(commune, name, sector)


def entitled_certificates(
    scope: Scope, devices: Collection[uuid.UUID] | None = None
) -> list[DeviceCertificate]:
    """Who must hold the scope's key: each active device's newest valid certificate of an
    active operator of the commune, or merchant (of an open shop of the sector, for a
    sector's key); only among `devices` when given (a request's grants name at most 500,
    and reading the whole scope for each batch made 10,000 grants quadratic). One query."""
    who = Q(device__membership__role__in=GROUP_KEY_POLICE_ROLES) | _shop_holders(scope)
    if devices is not None:
        who &= Q(device__public_id__in=list(devices))
    return recipients.current_certificates(recipients.in_commune(scope.commune), who)


def _shop_holders(scope: Scope) -> Q:
    """The merchants among a scope's holders: for a sector, of an open shop of the sector
    or of a sector the mairie declared its neighbour (territory.Sector.neighbours)."""
    shops = Q(device__membership__role__in=GROUP_KEY_SHOP_ROLES)
    if scope.sector is not None:
        reached = [scope.sector.pk, *scope.sector.neighbours.values_list("pk", flat=True)]
        shops &= Q(
            device__membership__shop__sector__in=reached,
            device__membership__shop__is_active=True,
        )
    return shops


# --- reading --------------------------------------------------------------------------


def _generations(scope: Scope) -> Any:
    return GroupKey.objects.select_related("signer_certificate", "signer_device").filter(
        commune=scope.commune, scope=scope.name
    )


def latest(scope: Scope) -> GroupKey | None:
    return _generations(scope).order_by("-number").first()


def _generation(scope: Scope, number: int | None) -> GroupKey:
    keys = _generations(scope)
    if number is not None:
        keys = keys.filter(number=number)
    found = keys.order_by("-number").first()
    if found is None:
        raise NoGroupKey
    return found


def document(group_key: GroupKey) -> dict[str, Any]:
    """A generation as it travels: `{number, body, signature, chain}`, the signer's chain as
    it stood when it published (clients re-check it against today's revocation list)."""
    return {
        "number": group_key.number,
        "body": group_key.body,
        "signature": group_key.signature,
        "chain": signed_chain(group_key.signer_certificate),
    }


def rotation_needed(group_key: GroupKey, scope: Scope) -> bool:
    """True when a generation must be replaced: a device granted it is no longer entitled
    to the scope (its device or member suspended or revoked, its shop left the sector) or
    was withdrawn since its grant, or the signer's certificate stopped verifying."""
    signer = group_key.signer_certificate
    if signer.revoked_at is not None or signer.expires_at <= timezone.now():
        return True
    if group_key.signer_device.status != DeviceStatus.ACTIVE:
        return True
    # A holder withdrawn since its grant keeps the key even if reinstated later (with a
    # new certificate): only a new generation shuts it out.
    if group_key.grants.filter(
        recipient_device__certificates__revoked_at__gt=F("created_at")
    ).exists():
        return True
    holders = set(group_key.grants.values_list("recipient_device_id", flat=True))
    entitled = {certificate.device_id for certificate in entitled_certificates(scope)}
    return not holders <= entitled


def merchant_holders(group_key: GroupKey, scope: Scope) -> int:
    """How many merchant devices entitled to the scope today hold a grant of this
    generation: what « message à tous les commerces » reaches (the console shows it)."""
    entitled = {
        c.device_id
        for c in recipients.current_certificates(
            recipients.in_commune(scope.commune), _shop_holders(scope)
        )
    }
    granted = set(group_key.grants.values_list("recipient_device_id", flat=True))
    return len(entitled & granted)


def current(actor: Membership, name: str, number: int | None = None) -> dict[str, Any]:
    """The latest generation of a scope, or generation `number`."""
    scope = scope_of(actor.commune, name)
    require(actor, Action.VIEW_GROUP_KEY, scope.target)
    newest = latest(scope)
    if newest is None:
        raise NoGroupKey
    wanted = newest if number is None or number == newest.number else _generation(scope, number)
    return {
        **document(wanted),
        "rotation_needed": wanted.pk == newest.pk and rotation_needed(newest, scope),
        "merchant_holders": merchant_holders(wanted, scope),
    }


def generations(actor: Membership, name: str) -> dict[str, Any]:
    """Every generation of a scope, oldest first: a device verifies 1..n in order."""
    scope = scope_of(actor.commune, name)
    require(actor, Action.VIEW_GROUP_KEY, scope.target)
    return {"generations": [document(k) for k in _generations(scope).order_by("number")]}


def grant_for(
    actor: Membership, device: Device | None, name: str, number: int | None = None
) -> dict[str, Any]:
    """This device's grant of generation `number` (the latest by default)."""
    scope = scope_of(actor.commune, name)
    require(actor, Action.VIEW_GROUP_KEY, scope.target)
    group_key = _generation(scope, number)
    grant = (
        GroupKeyGrant.objects.select_related("granter_certificate")
        .filter(group_key=group_key, recipient_device=device)
        .first()
        if device is not None
        else None
    )
    if grant is None:
        raise NoGroupGrant
    return {
        "number": group_key.number,
        "grant": {"body": grant.body, "signature": grant.signature},
        "granter_chain": signed_chain(grant.granter_certificate),
    }


def pending(actor: Membership, name: str, number: int | None = None) -> dict[str, Any]:
    """Entitled devices without a grant of generation `number` (the latest by default),
    with their chains, so a holder verifies each one before wrapping the key for it."""
    scope = scope_of(actor.commune, name)
    require(actor, Action.MANAGE_GROUP_KEY, scope.commune)
    group_key = _generation(scope, number)
    granted = set(group_key.grants.values_list("recipient_device_id", flat=True))
    waiting = [c for c in entitled_certificates(scope) if c.device_id not in granted]
    members = {
        m.pk: m
        for m in Membership.objects.filter(pk__in={c.device.membership_id for c in waiting}).only(
            "public_id", "role"
        )
    }
    devices = []
    for certificate, documents in with_chains(waiting):
        member = members[certificate.device.membership_id]
        devices.append(
            {
                "device": certificate.device.public_id,
                "enc_public_key": certificate.device.enc_public_key,
                "chain": documents,
                "member": member.public_id,
                "role": member.role,
            }
        )
    return {"number": group_key.number, "devices": devices}


# --- writing --------------------------------------------------------------------------


def _number_conflict(expected: int) -> Conflict:
    return Conflict(
        "group_key_conflict",
        f"La clé de diffusion doit porter la génération {expected} : une autre génération a "
        "été publiée entre-temps, recommencez.",
        field="document",
    )


def _check_grants(
    holder: signed_keys.Holder,
    group_key: GroupKey,
    scope: Scope,
    documents: Sequence[chain.SignedDocument],
) -> list[signed_keys.CheckedGrant]:
    """Each grant names this generation, comes from the caller's device and targets a
    device entitled to the scope with its own encryption key, once."""
    if not documents:
        raise Invalid("grants_required", "Aucune attribution de clé transmise.", field="grants")
    entitled = {
        str(c.device.public_id): c.device
        for c in entitled_certificates(scope, _named_devices(documents))
    }
    checked: list[signed_keys.CheckedGrant] = []
    seen: set[str] = set()
    for index, signed in enumerate(documents):
        field = f"grants.{index}"
        try:
            grant = wire_group_key.parse_group_grant(signed)
        except (EnvelopeError, chain.TrustError) as exc:
            raise signed_keys.refused(exc, field) from exc
        if (
            grant.commune != str(group_key.commune.public_id)
            or grant.scope != group_key.scope
            or grant.number != group_key.number
        ):
            raise Invalid(
                "grant_mismatch",
                f"Cette attribution ne vise pas la génération {group_key.number} de cette clé "
                "de diffusion.",
                field=field,
            )
        signed_keys.check_granter(
            holder,
            signed,
            issuer=grant.issuer,
            issued_at=grant.issued_at,
            field=field,
            time_code="group_key_time",
        )
        recipient = signed_keys.check_recipient(
            grant,
            entitled,
            field=field,
            not_allowed="La clé de diffusion ne peut être transmise qu'à un appareil certifié "
            "d'un commerçant ou d'un opérateur actif de ce périmètre.",
            seen=seen,
            once=grant.recipient,
        )
        checked.append(signed_keys.CheckedGrant(document=signed, recipient=recipient))
    return checked


def _named_devices(documents: Sequence[chain.SignedDocument]) -> set[uuid.UUID]:
    """The devices the grants name; one that does not parse is refused in the checks,
    with its index, and one that is not a uuid matches no entitled device there."""
    named = set()
    for signed in documents:
        try:
            named.add(uuid.UUID(wire_group_key.parse_group_grant(signed).recipient))
        except (EnvelopeError, chain.TrustError, ValueError):
            continue
    return named


def _grant_exists() -> Conflict:
    return Conflict(
        "grant_exists",
        "Cet appareil a déjà reçu cette génération de la clé de diffusion.",
        field="grants",
    )


def _store_grants(
    holder: signed_keys.Holder, group_key: GroupKey, grants: list[signed_keys.CheckedGrant]
) -> int:
    """Insert new grants in one statement; an identical one already stored is a harmless
    retry, a different one for the same device a conflict. Returns how many were new."""
    existing = {
        grant.recipient_device_id: grant
        for grant in GroupKeyGrant.objects.filter(
            group_key=group_key, recipient_device__in=[g.recipient for g in grants]
        )
    }
    new = []
    for grant in grants:
        stored = existing.get(grant.recipient.pk)
        if stored is not None:
            if (stored.body, stored.signature) != (grant.document.body, grant.document.signature):
                raise _grant_exists()
            continue
        new.append(
            GroupKeyGrant(
                group_key=group_key,
                recipient_device=grant.recipient,
                granter_device=holder.device,
                granter_certificate=holder.certificate,
                body=grant.document.body,
                signature=grant.document.signature,
            )
        )
    try:
        with transaction.atomic():
            GroupKeyGrant.objects.bulk_create(new)
    except IntegrityError as exc:
        raise _grant_exists() from exc
    return len(new)


def _declared(signed: chain.SignedDocument) -> dict[str, Any]:
    """The body's fields before any check, to pick the scope and the 409; {} if unreadable."""
    try:
        fields = json.loads(signed.body)
    except ValueError:
        return {}
    return fields if isinstance(fields, dict) else {}


def publish(
    actor: Actor,
    signed: chain.SignedDocument,
    grants: Sequence[chain.SignedDocument],
) -> tuple[GroupKey, int]:
    """Store generation latest + 1 of the document's scope and its first grants, all or
    nothing. Verified as a client would (the caller's chain to the root with today's
    revocation list, operator leaf, issuer, signature, link to the latest generation); one
    grant must go to the caller's own device, or nobody could use the key."""
    member = signed_keys.member_of(actor, "les clés de diffusion")
    # Refused before the document is read; the action asks again in its transaction.
    require(member, Action.MANAGE_GROUP_KEY, member.commune)
    try:
        body = wire_group_key.parse_group_key_document(signed)
    except (EnvelopeError, chain.TrustError) as exc:
        raise signed_keys.refused(exc, "document") from exc
    scope = scope_of(member.commune, body.scope, "document")
    with action(
        actor, Action.MANAGE_GROUP_KEY, member.commune, kind=Kind.GROUP_KEY_PUBLISHED
    ) as act:
        group_key, created = _publish(
            signed_keys.holder_of(actor, "les clés de diffusion"), scope, signed, grants
        )
        act.record(group_key, {"scope": scope.name, "number": group_key.number, "grants": created})
    return group_key, created


def _publish(
    holder: signed_keys.Holder,
    scope: Scope,
    signed: chain.SignedDocument,
    grants: Sequence[chain.SignedDocument],
) -> tuple[GroupKey, int]:
    commune = scope.commune
    CommuneRoot.objects.select_for_update().get(commune=commune)
    newest = latest(scope)
    expected = (newest.number if newest else 0) + 1
    number = _declared(signed).get("number")
    if isinstance(number, int) and not isinstance(number, bool) and number != expected:
        raise _number_conflict(expected)
    last = (
        wire_group_key.parse_group_key_document(chain.SignedDocument(newest.body, newest.signature))
        if newest is not None
        else None
    )
    wire = {**signed.to_wire(), "chain": signed_chain(holder.certificate)}
    try:
        body = wire_group_key.verify_group_key(
            wire, signed_keys.trust_context(commune), signed_keys.epoch(), scope.name, last
        )
    except (EnvelopeError, chain.TrustError) as exc:
        raise signed_keys.refused(exc, "document") from exc
    if body.issuer != holder.device.sign_key_fingerprint:
        raise Invalid(
            "group_key_mismatch",
            "La clé de diffusion doit être signée par l'appareil avec lequel vous êtes connecté.",
            field="document",
        )
    if body.number != expected:
        raise _number_conflict(expected)
    signed_keys.check_issued_at(body.issued_at, "document", "group_key_time")
    if GroupKey.objects.filter(commune=commune, public_key=body.key).exists():
        raise Invalid(
            "group_key_reused",
            "Cette clé publique a déjà servi : une nouvelle génération exige une nouvelle clé.",
            field="document",
        )
    try:
        with transaction.atomic():
            group_key = GroupKey.objects.create(
                commune=commune,
                scope=scope.name,
                sector=scope.sector,
                number=body.number,
                public_key=body.key,
                body=signed.body,
                signature=signed.signature,
                signer_device=holder.device,
                signer_certificate=holder.certificate,
            )
    except IntegrityError as exc:
        raise _number_conflict(expected) from exc
    checked = _check_grants(holder, group_key, scope, grants)
    if not any(grant.recipient.pk == holder.device.pk for grant in checked):
        raise Invalid(
            "grant_required",
            "Joignez l'attribution de la clé à votre propre appareil.",
            field="grants",
        )
    return group_key, _store_grants(holder, group_key, checked)


def add_grants(actor: Actor, grants: Sequence[chain.SignedDocument]) -> tuple[GroupKey, int]:
    """Store grants signed by a device that itself holds the generation they name."""
    member = signed_keys.member_of(actor, "les clés de diffusion")
    with action(
        actor, Action.MANAGE_GROUP_KEY, member.commune, kind=Kind.GROUP_KEY_GRANTS_ADDED
    ) as act:
        group_key, created = _add_grants(
            signed_keys.holder_of(actor, "les clés de diffusion"), member.commune, grants
        )
        if created:
            act.record(
                group_key, {"scope": group_key.scope, "number": group_key.number, "grants": created}
            )
        else:
            act.unchanged()
    return group_key, created


def _add_grants(
    holder: signed_keys.Holder, commune: Commune, grants: Sequence[chain.SignedDocument]
) -> tuple[GroupKey, int]:
    if not grants:
        raise Invalid("grants_required", "Aucune attribution de clé transmise.", field="grants")
    named = set()
    for index, signed in enumerate(grants):
        try:
            grant = wire_group_key.parse_group_grant(signed)
        except (EnvelopeError, chain.TrustError) as exc:
            raise signed_keys.refused(exc, f"grants.{index}") from exc
        named.add((grant.scope, grant.number))
    if len(named) != 1:
        raise Invalid(
            "grant_mismatch",
            "Toutes les attributions d'un envoi doivent viser la même génération.",
            field="grants",
        )
    name, number = named.pop()
    scope = scope_of(commune, name, "grants")
    group_key = _generation(scope, number)
    if not group_key.grants.filter(recipient_device=holder.device).exists():
        raise Forbidden(
            "Cet appareil ne détient pas cette génération de la clé de diffusion : il ne peut "
            "pas la transmettre."
        )
    checked = _check_grants(holder, group_key, scope, grants)
    return group_key, _store_grants(holder, group_key, checked)

"""Revocation lists: list n+1 signed by a coordinator's device or by the root.

Lists only grow (clients refuse one that drops a serial they saw), so every withdrawal
is one more signed list; the certificates it names are marked withdrawn with it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction
from django.utils import timezone

from maillage.errors import Conflict, Forbidden
from maillage.members.models import Membership
from maillage.members.sessions import end_sessions
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.territory.models import Commune
from maillage.trust import directory
from maillage.trust.common import Invalid, TrustRefused
from maillage.trust.common import epoch as _epoch
from maillage.trust.models import (
    CommuneRoot,
    Device,
    DeviceCertificate,
    DeviceStatus,
    RevocationList,
)
from maillage.trust.roots import check_root_key
from maillage.wire import chain

_MAY_NOT_REVOKE = frozenset({DeviceStatus.REVOKED})
# The root's event names every device it revokes, within the log's 1 KiB payload bound.
MAX_ROOT_REVOCATIONS = 16


@dataclass(frozen=True)
class Withdrawal:
    """One certificate a new revocation list must name."""

    serial: str
    device: str
    reason: str

    def entry(self, at: int) -> chain.RevocationEntry:
        return chain.RevocationEntry(
            serial=self.serial,
            device=self.device,
            reason=self.reason,  # type: ignore[arg-type]
            at=at,
        )


def withdrawals(devices: Iterable[Device], reason: str) -> list[Withdrawal]:
    """The live certificates of these devices: what a revocation list has to name."""
    return [
        Withdrawal(serial=c.serial, device=str(c.device.public_id), reason=reason)
        for c in directory.live_certificates(devices).order_by("pk")
    ]


def draft_revocation_list(
    commune: Commune, signer: Device | None, needed: Sequence[Withdrawal]
) -> str:
    """The canonical body the signer should sign: the previous entries plus the new ones.

    A convenience for the browser, which must still check the draft against the last list
    it verified before signing it (see docs/trust.md).
    """
    root = directory.root_of(commune)
    _, previous = directory.parsed_revocations(commune)
    now = _epoch(timezone.now())
    body = chain.RevocationList(
        commune=str(commune.public_id),
        number=previous.number + 1,
        issued_at=now,
        entries=(*previous.entries, *(w.entry(now) for w in needed)),
        issuer=signer.sign_key_fingerprint if signer is not None else root.fingerprint,
    )
    return chain.canonical_json(body.to_json()).decode("utf-8")


def _check_additions(
    previous: chain.RevocationList, proposed: chain.RevocationList, needed: Sequence[Withdrawal]
) -> None:
    if proposed.number != previous.number + 1:
        raise _number_conflict(previous.number + 1)
    before = set(previous.entries)
    if not before.issubset(proposed.entries):
        raise Invalid(
            "revocation_mismatch",
            "La nouvelle liste doit reprendre toutes les révocations précédentes.",
            field="revocation_list",
        )
    added = [entry for entry in proposed.entries if entry not in before]
    serials = [entry.serial for entry in proposed.entries]
    if len(serials) != len(set(serials)):
        raise Invalid(
            "revocation_mismatch",
            "Un certificat figure deux fois dans la liste.",
            field="revocation_list",
        )
    wanted = sorted((w.serial, w.device, w.reason) for w in needed)
    if sorted((e.serial, e.device, e.reason) for e in added) != wanted:
        raise Invalid(
            "revocation_mismatch",
            "La liste signée ne correspond pas aux certificats à retirer.",
            field="revocation_list",
        )
    now = _epoch(timezone.now())
    if abs(proposed.issued_at - now) > chain.CLOCK_SKEW or any(
        entry.at > now + chain.CLOCK_SKEW for entry in added
    ):
        raise Invalid(
            "revocation_time",
            "La date de la liste de révocation est éloignée de l'heure du serveur : "
            "vérifiez l'horloge de votre appareil.",
            field="revocation_list",
        )


def _number_conflict(expected: int) -> Conflict:
    return Conflict(
        "revocation_number",
        f"La liste de révocation doit porter le numéro {expected} : une autre liste a été "
        "publiée entre-temps, recommencez.",
        field="revocation_list",
    )


def _refuse_outdated(document: chain.SignedDocument, latest_number: int) -> None:
    """A list drafted before someone else published one: say "start again" (409), not
    "invalid" — the signer did nothing wrong. Only picks the error; trust comes later."""
    try:
        number = json.loads(document.body).get("number")
    except (ValueError, AttributeError):
        return
    if isinstance(number, int) and number <= latest_number:
        raise _number_conflict(latest_number + 1)


def _mark_withdrawn(needed: Sequence[Withdrawal]) -> None:
    now = timezone.now()
    for withdrawal in needed:
        DeviceCertificate.objects.filter(serial=withdrawal.serial, revoked_at__isnull=True).update(
            revoked_at=now, revocation_reason=withdrawal.reason
        )


@transaction.atomic
def record_signed_revocation_list(
    actor: Membership,
    actor_device: Device,
    commune: Commune,
    document: chain.SignedDocument | None,
    needed: Sequence[Withdrawal],
) -> RevocationList | None:
    """Check and store list n+1 signed by the coordinator's device; mark its certificates.

    Nothing to withdraw, nothing to sign: returns None (e.g. a member never approved).
    An inner step: the action that withdraws (suspend, revoke a member or a device)
    names the list in its own event.
    """
    if not needed:
        return None
    if document is None:
        raise Invalid(
            "revocation_list_required",
            "Cette action retire des certificats : la liste de révocation signée par votre "
            "appareil est requise.",
            field="revocation_list",
        )
    root = CommuneRoot.objects.select_for_update().get(commune=commune)
    signer_certificate = directory.current_certificate(actor_device)
    if actor_device.membership_id != actor.pk or signer_certificate is None:
        raise Forbidden("Cet appareil n'a pas de certificat valide pour signer une révocation.")
    latest, previous = directory.parsed_revocations(commune)
    _refuse_outdated(document, latest.number)
    signer_chain = [directory.signed(c) for c in directory.certificate_chain(signer_certificate)]
    now = _epoch(timezone.now())
    try:
        proposed = chain.verify_revocation_list(
            document,
            signer_chain,
            root.public_key,
            root.fingerprint,
            str(commune.public_id),
            latest.number,
            now,
            known_serials=previous.serials,
        )
    except chain.TrustError as exc:
        raise TrustRefused(exc, field="revocation_list") from exc
    _check_additions(previous, proposed, needed)
    stored = RevocationList.objects.create(
        commune=commune,
        number=proposed.number,
        body=document.body,
        signature=document.signature,
        signer_fingerprint=proposed.issuer,
        signer_certificate=signer_certificate,
        created_by=actor,
    )
    _mark_withdrawn(needed)
    return stored


@transaction.atomic
def revoke_with_root(
    commune: Commune, root_key: Ed25519PrivateKey, needed: Sequence[Withdrawal]
) -> RevocationList | None:
    """Publish list n+1 signed by the root; marks the certificates withdrawn. An inner step
    of `revoke_devices_with_root`, which records the event."""
    if not needed:
        return None
    check_root_key(commune, root_key)
    CommuneRoot.objects.select_for_update().get(commune=commune)
    _, previous = directory.parsed_revocations(commune)
    now = _epoch(timezone.now())
    known = previous.serials
    document = chain.issue_revocation_list(
        root_key,
        commune=str(commune.public_id),
        number=previous.number + 1,
        issued_at=now,
        entries=[*previous.entries, *(w.entry(now) for w in needed if w.serial not in known)],
    )
    stored = RevocationList.objects.create(
        commune=commune,
        number=previous.number + 1,
        body=document.body,
        signature=document.signature,
        signer_fingerprint=directory.root_of(commune).fingerprint,
    )
    _mark_withdrawn(needed)
    return stored


def revoke_devices_with_root(
    actor: Actor, commune: Commune, root_key: Ed25519PrivateKey, devices: Sequence[Device]
) -> RevocationList | None:
    """Revoke devices with the root (e.g. a lost coordinator phone); sessions end at once.

    One action for all of them, as one list names them all: `revocation_list.published`,
    whose `number` is null when none had a live certificate (nothing to sign).
    """
    if len(devices) > MAX_ROOT_REVOCATIONS:
        raise Invalid(
            "too_many_devices",
            f"Révoquez au plus {MAX_ROOT_REVOCATIONS} appareils à la fois.",
            field="device",
        )
    with action(actor, None, kind=Kind.REVOCATION_LIST_PUBLISHED) as act:
        for device in devices:
            if device.membership.commune_id != commune.pk:
                raise Forbidden("Cet appareil n'appartient pas à cette commune.")
        targets = list(
            Device.objects.select_for_update(of=("self",))
            .filter(pk__in=[d.pk for d in devices])
            .exclude(status__in=_MAY_NOT_REVOKE)
            .order_by("pk")
        )
        needed = withdrawals(targets, "revoked")
        published = revoke_with_root(commune, root_key, needed)
        now = timezone.now()
        for device in targets:
            Device.objects.filter(pk=device.pk).update(status=DeviceStatus.REVOKED, revoked_at=now)
            end_sessions(device=device)
        if not targets:
            act.unchanged()
        else:
            act.record(
                commune,
                {
                    "number": published.number if published else None,
                    "withdrawn": len(needed),
                    "devices": sorted(str(device.public_id) for device in targets),
                },
            )
    return published

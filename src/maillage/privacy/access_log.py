"""The content access log: one hash-chained entry per fetch of sealed content.

Entry n of a commune stores `entry_hash = SHA-256(prev_hash || canonical_json(fields))`
with `prev_hash` the hash of entry n − 1 (64 zeros for the first). Changing, removing or
reordering a row breaks the chain at that row, and the per-commune head row (the last
number and hash) also reveals entries cut off at the end. Appends lock the head row, so
two concurrent reads never fork the chain; they are written before the content is
answered, so a fetch that is not logged never leaves the server.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from maillage.members.models import Membership
from maillage.privacy.models import AccessLogHead, ContentAccess
from maillage.territory.models import Commune
from maillage.trust.models import Device
from maillage.wire import chain

GENESIS = "0" * 64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _microseconds(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)


def entry_hash(entry: ContentAccess, commune: Commune) -> str:
    """The hash an entry must carry, recomputed from its stored fields."""
    fields = {
        "commune": str(commune.public_id),
        "number": entry.number,
        "at": _microseconds(entry.at),
        "membership": str(entry.membership.public_id),
        "device": str(entry.device.public_id) if entry.device is not None else None,
        "incident": str(entry.incident_public_id),
        "message": str(entry.message_public_id),
        "what": entry.what,
        "part": entry.part,
        "reason": entry.reason,
    }
    return hashlib.sha256(entry.prev_hash.encode() + chain.canonical_json(fields)).hexdigest()


@dataclass(frozen=True)
class Access:
    """One read to log: which message, and which part for an attachment."""

    message_public_id: str
    what: str
    part: int | None = None


def record_content_access(
    *,
    membership: Membership,
    device: Device | None,
    incident_public_id: str,
    message_public_id: str,
    what: str,
    part: int | None = None,
    reason: str = "",
) -> ContentAccess:
    """Append one entry to the membership's commune chain."""
    return record_content_accesses(
        membership=membership,
        device=device,
        incident_public_id=incident_public_id,
        accesses=[Access(message_public_id, what, part)],
        reason=reason,
    )[0]


def record_content_accesses(
    *,
    membership: Membership,
    device: Device | None,
    incident_public_id: str,
    accesses: list[Access],
    reason: str = "",
) -> list[ContentAccess]:
    """Append entries to the membership's commune chain (the only way entries are made).

    One lock of the head row and one write per batch: a console reading an incident's
    twenty messages must not queue twenty times behind every other reader of the commune.
    """
    commune = membership.commune
    with transaction.atomic():
        head, _ = AccessLogHead.objects.select_for_update().get_or_create(commune=commune)
        number, prev_hash = head.number, head.entry_hash or GENESIS
        at = timezone.now()
        entries = []
        for access in accesses:
            number += 1
            entry = ContentAccess(
                commune=commune,
                number=number,
                at=at,
                membership=membership,
                device=device,
                incident_public_id=incident_public_id,
                message_public_id=access.message_public_id,
                what=access.what,
                part=access.part,
                reason=reason,
                prev_hash=prev_hash,
            )
            entry.entry_hash = prev_hash = entry_hash(entry, commune)
            entries.append(entry)
        ContentAccess.objects.bulk_create(entries)
        head.number, head.entry_hash = number, prev_hash
        head.save(update_fields=["number", "entry_hash"])
    return entries


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    first_broken: int | None


def verify_chain(commune: Commune) -> Verification:
    """Recompute the commune's whole chain; `first_broken` is the first bad entry number."""
    expected_prev = GENESIS
    expected_number = 1
    entries = (
        ContentAccess.objects.filter(commune=commune)
        .select_related("membership", "device")
        .order_by("number")
    )
    count = 0
    for entry in entries.iterator(chunk_size=500):
        count += 1
        if (
            entry.number != expected_number
            or entry.prev_hash != expected_prev
            or entry.entry_hash != entry_hash(entry, commune)
        ):
            return Verification(False, count, expected_number)
        expected_prev = entry.entry_hash
        expected_number += 1
    head = AccessLogHead.objects.filter(commune=commune).first()
    head_number = head.number if head is not None else 0
    head_hash = (head.entry_hash or GENESIS) if head is not None else GENESIS
    if head_number != count or head_hash != expected_prev:
        return Verification(False, count, expected_number)
    return Verification(True, count, None)

"""The content access log: one hash-chained entry per fetch of sealed content.

Entry n of a commune stores `entry_hash = SHA-256(prev_hash || canonical_json(fields))`
with `prev_hash` the hash of entry n − 1 (64 zeros for the first). Changing, removing or
reordering a row breaks the chain at that row, and the per-commune head row (the last
number and hash) also reveals entries cut off at the end. Appends lock the head row, so
two concurrent reads never fork the chain; they are written before the content is
answered, so a fetch that is not logged never leaves the server.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from maillage.hashchain import GENESIS, Link, Verification, link_hash, microseconds, verify_links
from maillage.members.models import Membership
from maillage.privacy.models import AccessLogHead, ContentAccess
from maillage.territory.models import Commune
from maillage.trust.models import Device


def entry_hash(entry: ContentAccess, commune: Commune) -> str:
    """The hash an entry must carry, recomputed from its stored fields."""
    fields = {
        "commune": str(commune.public_id),
        "number": entry.number,
        "at": microseconds(entry.at),
        "membership": str(entry.membership.public_id),
        "device": str(entry.device.public_id) if entry.device is not None else None,
        "incident": str(entry.incident_public_id),
        "message": str(entry.message_public_id),
        "what": entry.what,
        "part": entry.part,
        "reason": entry.reason,
    }
    return link_hash(entry.prev_hash, fields)


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


@dataclass(frozen=True)
class Read:
    """One member's device reading one part of one message (a fetch or a stream delivery)."""

    membership: Membership
    device: Device | None
    incident_public_id: str
    access: Access
    reason: str = ""


def record_content_accesses(
    *,
    membership: Membership,
    device: Device | None,
    incident_public_id: str,
    accesses: list[Access],
    reason: str = "",
) -> list[ContentAccess]:
    """Append one member's reads to its commune chain.

    One lock of the head row and one write per batch: a console reading an incident's
    twenty messages must not queue twenty times behind every other reader of the commune.
    """
    return record_reads(
        [Read(membership, device, incident_public_id, access, reason) for access in accesses]
    )


def record_reads(reads: list[Read]) -> list[ContentAccess]:
    """Append reads, in order, to their communes' chains (the only way entries are made):
    one head lock and one bulk insert per commune, whoever the readers are. The stream
    logs one event's delivery to 140 consoles with one append, not 140 queued on the lock.
    """
    by_commune: dict[int, list[Read]] = {}
    for read in reads:
        by_commune.setdefault(read.membership.commune_id, []).append(read)
    entries: list[ContentAccess] = []
    with transaction.atomic():
        for commune_id in sorted(by_commune):  # one lock order: no deadlock between batches
            entries += _append(by_commune[commune_id])
    return entries


def _append(reads: list[Read]) -> list[ContentAccess]:
    commune = reads[0].membership.commune
    head, _ = AccessLogHead.objects.select_for_update().get_or_create(commune=commune)
    number, prev_hash = head.number, head.entry_hash or GENESIS
    at = timezone.now()
    entries = []
    for read in reads:
        number += 1
        entry = ContentAccess(
            commune=commune,
            number=number,
            at=at,
            membership=read.membership,
            device=read.device,
            incident_public_id=read.incident_public_id,
            message_public_id=read.access.message_public_id,
            what=read.access.what,
            part=read.access.part,
            reason=read.reason,
            prev_hash=prev_hash,
        )
        entry.entry_hash = prev_hash = entry_hash(entry, commune)
        entries.append(entry)
    ContentAccess.objects.bulk_create(entries)
    head.number, head.entry_hash = number, prev_hash
    head.save(update_fields=["number", "entry_hash"])
    return entries


def verify_chain(commune: Commune) -> Verification:
    """Recompute the commune's whole chain; `first_broken` is the first bad entry number."""
    entries = (
        ContentAccess.objects.filter(commune=commune)
        .select_related("membership", "device")
        .order_by("number")
    )
    links = (
        Link(entry.number, entry.prev_hash, entry.entry_hash, entry_hash(entry, commune))
        for entry in entries.iterator(chunk_size=500)
    )
    head = AccessLogHead.objects.filter(commune=commune).first()
    if head is None:
        return verify_links(links, 0, GENESIS)
    return verify_links(links, head.number, head.entry_hash)

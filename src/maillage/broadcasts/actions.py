"""Receiving broadcasts: every check the server can make without reading content.

The server cannot open a broadcast and does not have to trust one: every holder verifies
the sender's chain itself. What it checks keeps its records honest and enforces what only
it can (docs/envelope.md, "Broadcasts and group keys"): the broadcast is well formed and
names the caller's commune and a scope of it; it comes from the session's own certified
device, whose role may send to that scope; its parts are those the signed header lists,
none a photo in clear; its `sent_at` is near the server's clock; and it is sealed to the
LATEST generation of its scope's group key (an older one is `stale_group_key`, 409): a
removed member, which holds only older generations, cannot reach the others through the
server. A request stores everything (row, files, its one event) or nothing; an identical
retry stores nothing, appends nothing and gets the same answer.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from maillage.access.policy import Action, require
from maillage.broadcasts.models import Broadcast, BroadcastAttachment
from maillage.errors import ApiError, Conflict
from maillage.incidents.actions import (
    PHOTO_NOT_SEALED_MESSAGE,
    SENT_AT_MAX_AGE,
    SENT_AT_MAX_AHEAD,
    UploadRefused,
    looks_like_plain_image,
    multipart_required,
)
from maillage.members.models import Membership
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.trust import directory, group_keys
from maillage.trust.models import CommuneRoot, Device, GroupKey
from maillage.wire import broadcast as wire_broadcast
from maillage.wire import envelope

__all__ = [
    "Prepared",
    "Received",
    "Upload",
    "delete",
    "discard",
    "multipart_required",
    "prepare",
    "send_broadcast",
    "store",
]


@dataclass(frozen=True)
class Upload:
    """A multipart upload as received: the broadcast's JSON text and the sealed parts."""

    envelope_text: str | None
    attachments: list[bytes]


@dataclass(frozen=True)
class Received:
    """The stored broadcast; `created` is False for an identical retry."""

    broadcast: Broadcast
    created: bool


@dataclass(frozen=True)
class _Checked:
    header: wire_broadcast.BroadcastHeader
    wire: dict[str, Any]
    content: bytes
    attachments: list[bytes]
    digest: str


class StaleGroupKey(ApiError):
    status = 409

    def __init__(self, number: int) -> None:
        super().__init__(
            "stale_group_key",
            f"Cette diffusion est scellée avec une génération dépassée de la clé de diffusion "
            f"(la génération en cours est la {number}) : rechargez la clé, puis renvoyez.",
            field="envelope",
        )


def _refuse(error: envelope.EnvelopeError, default: str = "envelope") -> UploadRefused:
    status = 413 if error.code == "too_large" else 400
    if error.field in (None, "envelope"):
        field = default
    elif error.field == "attachments":
        field = "attachments"
    else:
        field = f"envelope.{error.field}"
    return UploadRefused(error.code, error.message, field, status)


def _digest(wire: dict[str, Any], attachments: list[bytes]) -> str:
    """What makes a retry identical: the whole wire object and every attachment byte."""
    summary = {
        "wire": wire,
        "attachments": [hashlib.sha256(part).hexdigest() for part in attachments],
    }
    return hashlib.sha256(json.dumps(summary, sort_keys=True).encode()).hexdigest()


def _check_upload(upload: Upload, commune_id: str) -> _Checked:
    """Shape, commune, id, sizes and hashes; no key is needed and none is used."""
    if upload.envelope_text is None:
        raise multipart_required()
    try:
        wire = json.loads(upload.envelope_text)
    except ValueError as error:
        raise UploadRefused(
            "malformed", "Le champ « envelope » n'est pas un JSON valide."
        ) from error
    try:
        parsed = wire_broadcast.parse_broadcast(wire)
    except envelope.EnvelopeError as error:
        raise _refuse(error) from error
    header = parsed.header
    if header.commune != commune_id:
        raise UploadRefused("wrong_context", envelope.ENVELOPE_MESSAGES["wrong_context"])
    try:
        canonical = str(uuid.UUID(header.broadcast)) == header.broadcast
    except ValueError:
        canonical = False
    if not canonical:
        raise UploadRefused(
            "invalid_id",
            "Identifiant de diffusion invalide : un UUID en minuscules est attendu.",
            "envelope.broadcast",
        )
    if len(upload.attachments) > envelope.MAX_ATTACHMENTS:
        raise UploadRefused(
            "too_many_attachments",
            f"Au plus {envelope.MAX_ATTACHMENTS} pièces jointes par diffusion.",
            "attachments",
        )
    for part in upload.attachments:
        if len(part) > envelope.MAX_ATTACHMENT_BYTES:
            raise UploadRefused(
                "too_large", envelope.ENVELOPE_MESSAGES["too_large"], "attachments", 413
            )
        if looks_like_plain_image(part):
            raise UploadRefused("photo_not_sealed", PHOTO_NOT_SEALED_MESSAGE, "attachments")
    try:
        envelope.check_parts(header, parsed.content, upload.attachments)
    except envelope.EnvelopeError as error:
        raise _refuse(error, "attachments") from error
    return _Checked(
        header, wire, parsed.content, upload.attachments, _digest(wire, upload.attachments)
    )


def _check_sender(header: wire_broadcast.BroadcastHeader, device: Device | None) -> None:
    """`sent_at` near the server's clock (as for envelopes: docs/envelope.md, "Server-side
    bounds"), and the header names the session's own device and its current certificate."""
    now = int(time.time())
    if not now - SENT_AT_MAX_AGE <= header.sent_at <= now + SENT_AT_MAX_AHEAD:
        raise UploadRefused(
            "clock_skew",
            "L'heure indiquée par l'appareil est trop éloignée de celle du serveur : "
            "vérifiez la date et l'heure de l'appareil, puis renvoyez la diffusion.",
        )
    if device is None or header.sender_device != str(device.public_id):
        raise UploadRefused(
            "wrong_sender", "La diffusion doit être signée par l'appareil de cette session."
        )
    certificate = directory.current_certificate(device)
    if certificate is None or certificate.serial != header.sender_serial:
        raise UploadRefused(
            "stale_certificate",
            "Le certificat annoncé n'est pas le certificat en cours de cet appareil : "
            "rechargez l'application puis renvoyez.",
        )


def _conflict() -> Conflict:
    return Conflict(
        "broadcast_conflict", "Une autre diffusion porte déjà cet identifiant.", field="envelope"
    )


def _retry(existing: Broadcast, device: Device, checked: _Checked) -> Received:
    if existing.wire_sha256 != checked.digest or existing.sender_device_id != device.pk:
        raise _conflict()
    return Received(existing, created=False)


def _latest_generation(scope: group_keys.Scope, header: wire_broadcast.BroadcastHeader) -> GroupKey:
    """The generation the broadcast is sealed to, which must be the scope's latest."""
    newest = group_keys.latest(scope)
    if newest is None:
        raise group_keys.NoGroupKey
    if header.number != newest.number or header.key != newest.public_key:
        raise StaleGroupKey(newest.number)
    return newest


def _store(
    actor: Membership,
    device: Device,
    scope: group_keys.Scope,
    group_key: GroupKey,
    checked: _Checked,
    written: list[str],
    held: bool = False,
) -> Broadcast:
    """Row and files, inside the caller's transaction; every file name goes to `written`
    so that a failed transaction can remove it."""
    header, wire = checked.header, checked.wire
    broadcast = Broadcast.objects.create(
        public_id=uuid.UUID(header.broadcast),
        commune=actor.commune,
        scope=scope.name,
        sector=scope.sector,
        group_key=group_key,
        sender_membership=actor,
        sender_device=device,
        sent_at=header.sent_at,
        header=wire["body"],
        signature=wire["signature"],
        sender_chain=json.dumps(wire["sender_chain"], separators=(",", ":")),
        content=wire["content"],
        content_size=len(checked.content),
        wire_sha256=checked.digest,
        held=held,
    )
    for index, (data, (size, sha256)) in enumerate(
        zip(checked.attachments, header.attachments, strict=True), start=1
    ):
        attachment = BroadcastAttachment(broadcast=broadcast, index=index, size=size, sha256=sha256)
        attachment.file.save("sealed.bin", ContentFile(data), save=False)
        written.append(attachment.file.name)
        attachment.save()
    return broadcast


@dataclass(frozen=True)
class Prepared:
    """An upload that passed every check made before the transaction: its scope of the
    caller's commune, the sender's device and clock, the parts against the header."""

    scope: group_keys.Scope
    checked: _Checked

    @property
    def public_id(self) -> str:
        return self.checked.header.broadcast

    @property
    def attachments(self) -> int:
        return len(self.checked.attachments)


def prepare(
    actor: Membership,
    device: Device | None,
    upload: Upload,
    permission: Action = Action.SEND_BROADCAST,
) -> Prepared:
    """Every check that needs no lock; `permission` is asked with the scope's target (the
    commune or the sector): a neighbour alert asks its own action."""
    checked = _check_upload(upload, str(actor.commune.public_id))
    header = checked.header
    scope = group_keys.scope_of(actor.commune, header.scope, "envelope.scope")
    require(actor, permission, scope.target)
    _check_sender(header, device)
    return Prepared(scope, checked)


def retried(prepared: Prepared, device: Device) -> Received | None:
    """The stored broadcast if this id exists: an identical retry, or a 409."""
    existing = Broadcast.objects.filter(public_id=prepared.public_id).first()
    return _retry(existing, device, prepared.checked) if existing is not None else None


def store(
    actor: Membership,
    device: Device,
    prepared: Prepared,
    written: list[str],
    *,
    held: bool = False,
) -> Broadcast:
    """Inside the caller's action: the row and its files, sealed to the scope's latest
    generation (checked under the lock publication takes). Every file name goes to
    `written`, for `discard` if the transaction fails."""
    # Serialises with the publication of a next generation (group_keys.publish takes the
    # same lock): no broadcast is stored to n once n + 1 is committed.
    CommuneRoot.objects.select_for_update().get(commune=actor.commune)
    group_key = _latest_generation(prepared.scope, prepared.checked.header)
    return _store(actor, device, prepared.scope, group_key, prepared.checked, written, held)


def discard(written: list[str]) -> None:
    for name in written:
        default_storage.delete(name)


def after_conflict(prepared: Prepared, device: Device) -> Received:
    """A concurrent request took the id first (IntegrityError): answer as for a retry."""
    found = retried(prepared, device)
    if found is None:
        raise _conflict()
    return found


def delete(broadcast: Broadcast) -> None:
    """Remove a broadcast, row and sealed files (a refused neighbour alert: nothing is
    kept aside). Inside the caller's action; the files go once it commits."""
    names = [part.file.name for part in broadcast.attachments.all()]
    broadcast.delete()
    transaction.on_commit(lambda: discard(names))


def send_broadcast(actor: Membership, device: Device | None, upload: Upload) -> Received:
    """Store one broadcast to a scope of the caller's commune, sealed to its latest
    generation, and append `broadcast.sent`; or refuse and store nothing."""
    # Refused before the body is read; the action asks the policy again, for the scope.
    require(actor, Action.SEND_BROADCAST)
    prepared = prepare(actor, device, upload)
    scope = prepared.scope
    assert device is not None
    found = retried(prepared, device)
    if found is not None:
        return found

    written: list[str] = []
    try:
        with action(
            Actor.member(actor, device),
            Action.SEND_BROADCAST,
            scope.target,
            kind=Kind.BROADCAST_SENT,
        ) as act:
            broadcast = store(actor, device, prepared, written)
            act.record(
                broadcast,
                {
                    "scope": scope.name,
                    "number": broadcast.group_key.number,
                    "attachments": prepared.attachments,
                },
            )
    except IntegrityError:
        discard(written)
        return after_conflict(prepared, device)
    except BaseException:
        discard(written)
        raise
    return Received(broadcast, created=True)

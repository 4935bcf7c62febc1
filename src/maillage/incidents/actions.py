"""Receiving sealed messages: every check the server can make without reading content.

The server cannot open an envelope (docs/envelope.md) and does not have to trust one:
recipients verify the signature chain themselves. What it checks here keeps its own
records honest: the envelope is well formed and filed under the incident and commune it
names, it comes from the session's own certified device, its parts are exactly those the
signed header lists, and nothing that looks like a photo in clear is stored. A request
either stores everything (incident, message, attachment files, its one event) or nothing;
an identical retry stores nothing and leaves no event.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError
from django.utils import timezone

from maillage.access.policy import Action, require
from maillage.duty import reachability
from maillage.errors import ApiError, Conflict, NotFound
from maillage.incidents import alert_limits, alert_settings, escalation, exercises
from maillage.incidents.catalogue import SEVERITIES
from maillage.incidents.models import Incident, SealedAttachment, SealedMessage
from maillage.members.models import Membership, Role
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.trust import directory
from maillage.trust.models import Device
from maillage.wire import envelope

PHOTO_NOT_SEALED_MESSAGE = (
    "Cette pièce jointe ressemble à une photo en clair : l'application doit la chiffrer "
    "avant l'envoi. Rien n'a été enregistré."
)


class UploadRefused(ApiError):
    """A refused upload: nothing was stored."""

    def __init__(self, code: str, message: str, field: str = "envelope", status: int = 400):
        super().__init__(code, message, field=field, status=status)


@dataclass(frozen=True)
class Upload:
    """A multipart upload as received: the envelope's JSON text and the sealed parts."""

    envelope_text: str | None
    attachments: list[bytes]


@dataclass(frozen=True)
class ReportFields:
    """The report's clear form fields as received (docs/privacy.md): checked here against
    the commune's lists, never free text."""

    category: str | None = None
    severity: str | None = None
    neighbours: str | None = None
    exercise: str | None = None


@dataclass(frozen=True)
class Metadata:
    category: str
    category_label: str
    severity: str
    neighbours: bool
    exercise: bool = False


SEVERITY_LABELS = {"low": "faible", "medium": "moyenne", "high": "élevée", "critical": "critique"}


def check_metadata(settings: alert_settings.Settings, fields: ReportFields) -> Metadata:
    """Category, severity and the neighbours switch, against the commune's lists."""
    category = settings.category(fields.category or "")
    if category is None:
        names = ", ".join(f"« {c.label} »" for c in settings.enabled())
        raise UploadRefused(
            "invalid_category",
            f"Catégorie inconnue : choisissez l'une des catégories de la commune ({names}). "
            "Rien n'a été enregistré.",
            "category",
        )
    severity = fields.severity or category.severity
    if severity not in SEVERITIES:
        raise UploadRefused(
            "invalid_severity",
            "Gravité inconnue : faible, moyenne, élevée ou critique. Rien n'a été enregistré.",
            "severity",
        )
    switch = {None: False, "": False, "false": False, "true": True}
    if fields.neighbours not in switch:
        raise UploadRefused(
            "invalid_neighbours",
            "« Prévenir les commerces voisins » attend oui (true) ou non (false). "
            "Rien n'a été enregistré.",
            "neighbours",
        )
    if fields.exercise not in switch:
        raise UploadRefused(
            "invalid_exercise",
            "« Exercice » attend oui (true) ou non (false). Rien n'a été enregistré.",
            "exercise",
        )
    return Metadata(
        category.slug,
        category.label,
        severity,
        switch[fields.neighbours],
        switch[fields.exercise],
    )


@dataclass(frozen=True)
class Received:
    """The stored message; `created` is False for an identical retry. `attachments`: the
    parts just stored (empty for a retry, whose parts stay in the database)."""

    incident: Incident
    message: SealedMessage
    created: bool
    attachments: list[SealedAttachment] = field(default_factory=list)


@dataclass(frozen=True)
class _Checked:
    header: envelope.Header
    wire: dict[str, Any]
    content: bytes
    attachments: list[bytes]
    digest: str


def looks_like_plain_image(data: bytes) -> bool:
    """JPEG, PNG, GIF, WebP or HEIF/AVIF signatures: what a camera or gallery hands over."""
    return (
        data.startswith(b"\xff\xd8\xff")
        or data.startswith(b"\x89PNG")
        or data.startswith(b"GIF8")
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
        or data[4:8] == b"ftyp"
    )


def multipart_required() -> UploadRefused:
    return UploadRefused(
        "multipart_required",
        "Envoi invalide : un formulaire multipart avec le champ « envelope » est attendu.",
    )


def _refuse_envelope(error: envelope.EnvelopeError, default: str = "envelope") -> UploadRefused:
    status = 413 if error.code == "too_large" else 400
    if error.field in (None, "envelope"):
        field = default
    elif error.field == "attachments":
        field = "attachments"
    else:
        field = f"envelope.{error.field}"
    return UploadRefused(error.code, error.message, field, status)


def _canonical_uuid(value: str, field: str) -> uuid.UUID:
    """The id as the server will write it back, so the opener's expected binding matches."""
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        parsed = None
    if parsed is None or str(parsed) != value:
        raise UploadRefused(
            "invalid_id",
            "Identifiant invalide : un UUID en minuscules est attendu.",
            field,
        )
    return parsed


def _digest(wire: dict[str, Any], attachments: list[bytes]) -> str:
    """What makes a retry identical: the whole wire envelope and every attachment byte."""
    summary = {
        "wire": wire,
        "attachments": [hashlib.sha256(part).hexdigest() for part in attachments],
    }
    return hashlib.sha256(json.dumps(summary, sort_keys=True).encode()).hexdigest()


def _check_upload(upload: Upload, commune_id: str, incident_id: uuid.UUID) -> _Checked:
    """Shape, binding, sizes and hashes; no key is needed and none is used."""
    if upload.envelope_text is None:
        raise multipart_required()
    try:
        wire = json.loads(upload.envelope_text)
    except ValueError as error:
        raise UploadRefused(
            "malformed", "Le champ « envelope » n'est pas un JSON valide."
        ) from error
    try:
        header, content = envelope.parse_wire(wire)
    except envelope.EnvelopeError as error:
        raise _refuse_envelope(error) from error
    if header.commune != commune_id or header.incident != str(incident_id):
        raise UploadRefused("wrong_context", envelope.ENVELOPE_MESSAGES["wrong_context"])
    _canonical_uuid(header.message, "envelope")
    if len(upload.attachments) > envelope.MAX_ATTACHMENTS:
        raise UploadRefused(
            "too_many_attachments",
            f"Au plus {envelope.MAX_ATTACHMENTS} pièces jointes par message.",
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
        envelope.check_parts(header, content, upload.attachments)
    except envelope.EnvelopeError as error:
        raise _refuse_envelope(error, "attachments") from error
    return _Checked(header, wire, content, upload.attachments, _digest(wire, upload.attachments))


# Openers check the sender's chain as of the header's `sent_at`, which the sender
# chooses: the server keeps it near its own clock so that a key revoked (or a device
# withdrawn) cannot sign messages dated from before. Phones that queued a report
# offline get an hour; clocks ahead get the certificates' skew.
SENT_AT_MAX_AGE = 3600
SENT_AT_MAX_AHEAD = 300


def _check_sent_at(header: envelope.Header) -> None:
    now = int(time.time())
    if not now - SENT_AT_MAX_AGE <= header.sent_at <= now + SENT_AT_MAX_AHEAD:
        raise UploadRefused(
            "clock_skew",
            "L'heure indiquée par l'appareil est trop éloignée de celle du serveur : "
            "vérifiez la date et l'heure du téléphone, puis renvoyez le message.",
        )


def _check_sender(header: envelope.Header, device: Device | None) -> None:
    """The header names the session's own device and its current certificate."""
    _check_sent_at(header)
    if device is None or header.sender_device != str(device.public_id):
        raise UploadRefused(
            "wrong_sender",
            "L'enveloppe doit être signée par l'appareil de cette session.",
        )
    certificate = directory.current_certificate(device)
    if certificate is None or certificate.serial != header.sender_serial:
        raise UploadRefused(
            "stale_certificate",
            "Le certificat annoncé n'est pas le certificat en cours de cet appareil : "
            "rechargez l'application puis renvoyez.",
        )


def _same_message(message: SealedMessage, incident: Incident, checked: _Checked) -> bool:
    return message.incident_id == incident.pk and message.wire_sha256 == checked.digest


def _message_conflict() -> Conflict:
    return Conflict(
        "message_conflict",
        "Un autre message porte déjà cet identifiant.",
        field="envelope",
    )


def _store(
    incident: Incident,
    actor: Membership,
    device: Device,
    checked: _Checked,
    written: list[str],
    *,
    police_only: bool = False,
) -> tuple[SealedMessage, list[SealedAttachment]]:
    """Rows and files, inside the caller's transaction; every file name goes to `written`
    so that a failed transaction can remove it."""
    header, wire = checked.header, checked.wire
    message = SealedMessage.objects.create(
        public_id=uuid.UUID(header.message),
        incident=incident,
        sender_device=device,
        sender_membership=actor,
        sent_at=header.sent_at,
        header=wire["body"],
        signature=wire["signature"],
        sender_chain=json.dumps(wire["sender_chain"], separators=(",", ":")),
        content=wire["content"],
        content_size=len(checked.content),
        wire_sha256=checked.digest,
        police_only=police_only,
    )
    attachments = []
    for index, (data, (size, sha256)) in enumerate(
        zip(checked.attachments, header.attachments, strict=True), start=1
    ):
        attachment = SealedAttachment(message=message, index=index, size=size, sha256=sha256)
        attachment.file.save("sealed.bin", ContentFile(data), save=False)
        written.append(attachment.file.name)
        attachment.save()
        attachments.append(attachment)
    return message, attachments


def _action_with_files(
    actor: Actor,
    permission: Action,
    target: Incident | None,
    kind: Kind,
    checked: _Checked,
    work: Callable[[list[str]], Received],
) -> Received:
    """Run `work` as one action; if it fails (its commit included), delete every file it
    wrote. The event names the stored message and counts its parts, never content."""
    written: list[str] = []
    try:
        with action(actor, permission, target, kind=kind) as act:
            received = work(written)
            payload: dict[str, Any] = {
                "message": str(received.message.public_id),
                "attachments": len(checked.attachments),
            }
            if kind == Kind.INCIDENT_REPORTED:
                incident = received.incident
                payload |= {
                    "category": incident.category,
                    "severity": incident.severity,
                    "neighbours": incident.neighbours,
                    "unreachable": incident.reported_unreachable,
                    "exercise": (
                        str(incident.exercise.public_id) if incident.exercise is not None else None
                    ),
                }
            act.record(received.incident, payload)
            return received
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise


def report_incident(
    actor: Membership,
    device: Device | None,
    incident_id: str | None,
    upload: Upload,
    fields: ReportFields,
) -> Received:
    """A merchant's new report: the incident and its first sealed message, atomically.

    Checked in this order, each refusal storing nothing: the ids, the envelope, its
    sender, the clear metadata, then the commune's limits (an identical retry of a stored
    report is answered as such, whatever these checks or the limits say now)."""
    # Refused before the body is read; the action asks the policy again in its transaction.
    require(actor, Action.REPORT_INCIDENT)
    shop = actor.shop if actor.shop_id is not None else None
    if shop is None:
        raise NotFound("Commerce introuvable.")
    if not incident_id:
        raise UploadRefused(
            "invalid_id", "L'identifiant du signalement (champ « incident ») manque.", "incident"
        )
    public_id = _canonical_uuid(incident_id, "incident")
    checked = _check_upload(upload, str(actor.commune.public_id), public_id)
    try:
        _check_sender(checked.header, device)
        settings = alert_settings.for_commune(actor.commune_id)
        metadata = check_metadata(settings, fields)
        # A drill's report only while a drill runs (one query, for drill reports only).
        exercise = exercises.running(actor.commune_id) if metadata.exercise else None
        if metadata.exercise and exercise is None:
            raise exercises.NoExercise()
    except ApiError:
        stored = _stored_report(public_id, actor, checked, fields)
        if stored is None:
            raise
        return stored
    assert device is not None
    # Read before the transaction: nobody watching is what the console must show later
    # (« arrivé hors service »), and the reporter was told so before sending.
    unreachable = not reachability.reachable(actor.commune)

    # No look-up first: the unique ids decide. A retry or a taken id fails the insert
    # (before any file is written) and is answered below, so a new report, the common
    # case, costs no query for it.
    def work(written: list[str]) -> Received:
        alert_limits.count_alert(settings, actor, device, ("report_device", "report_shop"))
        incident = Incident.objects.create(
            public_id=public_id,
            commune=actor.commune,
            shop=shop,
            reported_by=actor,
            category=metadata.category,
            category_label=metadata.category_label,
            severity=metadata.severity,
            neighbours=metadata.neighbours,
            photos=len(checked.attachments),
            reported_unreachable=unreachable,
            escalation_due_at=escalation.first_due(settings, timezone.now()),
            exercise=exercise,
        )
        message, attachments = _store(incident, actor, device, checked, written)
        return Received(incident, message, created=True, attachments=attachments)

    try:
        return _action_with_files(
            Actor.member(actor, device),
            Action.REPORT_INCIDENT,
            None,
            Kind.INCIDENT_REPORTED,
            checked,
            work,
        )
    except alert_limits.AlertLimited as refusal:
        existing = Incident.objects.filter(public_id=public_id).first()
        if existing is not None:  # a retry of a stored report is answered, not counted
            return _retry_of_report(existing, actor, checked, metadata)
        alert_limits.refused(actor, device, refusal)
        raise
    except IntegrityError:
        # The incident's id is taken (a retry, or a concurrent request first), or only the
        # message's (another message has it): answer as for a retry, or refuse.
        existing = (
            Incident.objects.select_related("commune", "shop", "reported_by")
            .filter(public_id=public_id)
            .first()
        )
        if existing is None:
            raise _message_conflict() from None
        return _retry_of_report(existing, actor, checked, metadata)


def _stored_report(
    public_id: uuid.UUID, actor: Membership, checked: _Checked, fields: ReportFields
) -> Received | None:
    """An identical retry of a report already stored, when a check a new report must pass
    refuses it now: a phone's offline queue (docs/decisions.md, « Offline queue ») may send
    again an hour later, its `sent_at` past the window, the category disabled, the drill
    over, because the first answer was lost. Only a refusal pays this query."""
    incident = (
        Incident.objects.select_related("commune", "shop", "reported_by")
        .filter(public_id=public_id)
        .first()
    )
    if incident is None or incident.reported_by_id != actor.pk:
        return None
    first = incident.messages.order_by("pk").first()
    if (
        first is None
        or str(first.public_id) != checked.header.message
        or not _same_message(first, incident, checked)
        or incident.category != fields.category
        or (fields.severity or incident.severity) != incident.severity
        or incident.neighbours != (fields.neighbours == "true")
    ):
        return None
    return Received(incident, first, created=False)


def _retry_of_report(
    incident: Incident, actor: Membership, checked: _Checked, metadata: Metadata
) -> Received:
    first = incident.messages.order_by("pk").first()
    if (
        incident.reported_by_id != actor.pk
        or (incident.category, incident.severity, incident.neighbours)
        != (metadata.category, metadata.severity, metadata.neighbours)
        or first is None
        or str(first.public_id) != checked.header.message
        or not _same_message(first, incident, checked)
    ):
        raise Conflict(
            "incident_conflict",
            "Un autre signalement porte déjà cet identifiant.",
            field="incident",
        )
    return Received(incident, first, created=False)


def visible_incident(actor: Membership, incident_id: uuid.UUID, action: Action) -> Incident:
    """The incident if the actor may act on it; another commune's looks absent."""
    incident = (
        Incident.objects.select_related("commune", "shop", "reported_by")
        .filter(public_id=incident_id)
        .first()
    )
    if incident is None:
        raise NotFound("Signalement introuvable.")
    require(actor, action, incident)
    return incident


NOT_POLICE_RECIPIENT = (
    "Une note de police n'est scellée qu'aux appareils de la police (opérateurs, agents "
    "envoyés, clé de service) : retirez les autres destinataires."
)


def _check_police_recipients(incident: Incident, header: envelope.Header) -> None:
    """A note's envelope names police recipients only: the service key, and devices of
    operators or of agents of this commune. The shop's devices could open it otherwise."""
    devices = [r.id for r in header.recipients if r.kind == "device"]
    if any(r.kind != "device" and not r.id.startswith("police:") for r in header.recipients):
        raise UploadRefused("not_police_recipient", NOT_POLICE_RECIPIENT, "envelope")
    police = Device.objects.filter(
        public_id__in=devices,
        membership__commune_id=incident.commune_id,
        membership__role__in=[Role.OPERATOR, Role.AGENT],
    ).count()
    if police != len(set(devices)):
        raise UploadRefused("not_police_recipient", NOT_POLICE_RECIPIENT, "envelope")


def post_message(
    actor: Membership,
    device: Device | None,
    target: Incident | uuid.UUID,
    upload: Upload,
    *,
    police_only: bool = False,
) -> Received:
    """A further sealed message in an existing incident (given as `visible_incident`
    found it for this actor, or by id). `police_only`: a police note, whose envelope must
    be sealed to police devices only (the service key, operators, dispatched agents)."""
    permission = Action.POST_POLICE_NOTE if police_only else Action.POST_MESSAGE
    incident = (
        target if isinstance(target, Incident) else visible_incident(actor, target, permission)
    )
    if isinstance(target, Incident):
        require(actor, permission, incident)
    checked = _check_upload(upload, str(actor.commune.public_id), incident.public_id)
    _check_sender(checked.header, device)
    assert device is not None
    if police_only:
        _check_police_recipients(incident, checked.header)

    def retry() -> Received:
        existing = SealedMessage.objects.filter(public_id=checked.header.message).first()
        if existing is None:
            raise _message_conflict()
        if not _same_message(existing, incident, checked) or existing.sender_device_id != device.pk:
            raise _message_conflict()
        return Received(incident, existing, created=False)

    # As for a report: the message's unique id decides, a retry fails the insert.
    def work(written: list[str]) -> Received:
        message, attachments = _store(
            incident, actor, device, checked, written, police_only=police_only
        )
        return Received(incident, message, created=True, attachments=attachments)

    try:
        return _action_with_files(
            Actor.member(actor, device),
            permission,
            incident,
            Kind.NOTE_POSTED if police_only else Kind.MESSAGE_POSTED,
            checked,
            work,
        )
    except IntegrityError:
        return retry()

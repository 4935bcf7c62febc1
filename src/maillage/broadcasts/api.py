"""JSON API of broadcasts (/api/v1/broadcasts): sealed to a scope's group key, listed and
fetched by its holders (docs/envelope.md, "Broadcasts and group keys").

The upload is multipart like POST /incidents: the broadcast as JSON text in the
`envelope` field, its sealed attachments as files `attachment_0` … `attachment_3` (part
1 … 4, in order). Reads are not written to the content access log (docs/decisions.md,
"Broadcasts on the server").
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from ninja import Router, Status

from maillage.access.policy import Action, require, visible
from maillage.broadcasts import actions
from maillage.broadcasts.models import Broadcast, BroadcastAttachment
from maillage.broadcasts.schemas import BroadcastOut, BroadcastSentOut, broadcast_out, sent_out
from maillage.errors import ApiError, NotFound, Unauthenticated
from maillage.members.auth import member_auth, session_device
from maillage.members.models import Membership
from maillage.members.schemas import errors
from maillage.trust import group_keys
from maillage.wire.envelope import MAX_ATTACHMENTS

router = Router(tags=["broadcasts"], auth=member_auth)

FILE_FIELDS = tuple(f"attachment_{index}" for index in range(MAX_ATTACHMENTS))
MAX_LIMIT = 200


def _actor(request: HttpRequest) -> Membership:
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Membership):
        raise Unauthenticated()
    return actor


def _multipart() -> dict[str, Any]:
    """The request body for the OpenAPI schema (the view reads the form itself, so that
    a missing or broken field gets our own error rather than a generic 422)."""
    properties: dict[str, Any] = {
        "envelope": {"type": "string", "description": "Diffusion scellée (JSON, docs/envelope.md)"},
    }
    for index, name in enumerate(FILE_FIELDS, start=1):
        properties[name] = {
            "type": "string",
            "format": "binary",
            "description": f"Pièce jointe scellée, partie {index}",
        }
    schema = {"type": "object", "properties": properties, "required": ["envelope"]}
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": schema}},
        }
    }


def _upload(request: HttpRequest) -> actions.Upload:
    """The form's envelope and files `attachment_0..3`, in order and without gaps."""
    if request.content_type != "multipart/form-data":
        raise actions.multipart_required()
    form, files = request.POST, request.FILES  # parsed by incidents.middleware.SealedUploadLimit
    unknown = sorted(set(files) - set(FILE_FIELDS))
    if unknown:
        raise actions.UploadRefused(
            "unexpected_file",
            "Fichier inattendu : les pièces jointes s'appellent attachment_0 à attachment_3.",
            unknown[0][:40],
        )
    parts: list[bytes] = []
    for name in FILE_FIELDS:
        uploads = files.getlist(name)
        if len(uploads) > 1 or (uploads and len(parts) != FILE_FIELDS.index(name)):
            raise actions.UploadRefused(
                "unexpected_file",
                "Les pièces jointes vont de attachment_0 à attachment_3, une par champ, sans trou.",
                name,
            )
        if uploads:
            parts.append(uploads[0].read())
    return actions.Upload(envelope_text=form.get("envelope"), attachments=parts)


@router.post(
    "",
    response={201: BroadcastSentOut, **errors(400, 403, 404, 409, 413)},
    summary="Diffuser un message scellé à tout un périmètre (« message à tous les commerces »)",
    openapi_extra=_multipart(),
)
def send(request: HttpRequest) -> Status[dict[str, Any]]:
    """409 `stale_group_key` if not sealed to the latest generation of its scope; an
    identical retry gets the same 201; another broadcast with the same id, 409."""
    actor = _actor(request)
    require(actor, Action.SEND_BROADCAST)
    received = actions.send_broadcast(actor, session_device(request), _upload(request))
    broadcast = Broadcast.objects.select_related("group_key").get(pk=received.broadcast.pk)
    return Status(201, sent_out(broadcast))


def _listed() -> Any:
    return Broadcast.objects.select_related(
        "group_key", "sender_device", "sender_membership", "sender_membership__shop"
    ).prefetch_related(Prefetch("attachments", BroadcastAttachment.objects.order_by("index")))


def _cursor(among: Any, value: str, field: str) -> Q:
    """`after` / `before`: a broadcast id (of this list) or an ISO 8601 instant."""
    try:
        public_id = uuid.UUID(value)
    except ValueError:
        public_id = None
    if public_id is not None:
        found = among.filter(public_id=public_id).values_list("created_at", "pk")
        row = found.first()
        if row is None:
            raise NotFound("Diffusion introuvable.")
        created_at, pk = row
        if field == "after":
            return Q(created_at__gt=created_at) | Q(created_at=created_at, pk__gt=pk)
        return Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk)
    try:
        instant: datetime | None = parse_datetime(value)
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise ApiError(
            "invalid",
            "Indiquez un identifiant de diffusion ou une date ISO 8601 avec fuseau.",
            field=field,
            status=422,
        )
    return Q(created_at__gt=instant) if field == "after" else Q(created_at__lt=instant)


@router.get(
    "",
    response={200: list[BroadcastOut], **errors(403, 404, 422)},
    summary="Diffusions reçues (les plus récentes d'abord), scellées telles qu'envoyées",
)
def list_broadcasts(
    request: HttpRequest,
    scope: str | None = None,
    after: str | None = None,
    before: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """`scope`: only that one (« commune » ou « sector:<id> »), else every scope the caller
    holds; `after`: only newer than that broadcast id or ISO instant; `before`: only
    older (the next page); `limit`: 1 to 200."""
    actor = _actor(request)
    require(actor, Action.VIEW_BROADCASTS)
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError("invalid", f"`limit` va de 1 à {MAX_LIMIT}.", field="limit", status=422)
    # Neighbour alerts and their end messages are the neighbours API's (a held one is
    # served to no holder here).
    among = visible(actor, Broadcast).filter(
        held=False, neighbour_alert__isnull=True, ended_alert__isnull=True
    )
    rows = among
    if scope is not None:
        found = group_keys.scope_of(actor.commune, scope)
        require(actor, Action.VIEW_BROADCASTS, found.target)
        rows = rows.filter(scope=found.name)
    for field, value in (("after", after), ("before", before)):
        if value is not None:
            rows = rows.filter(_cursor(among, value[:100], field))
    listed = _listed().filter(pk__in=rows.values("pk")).order_by("-created_at", "-pk")[:limit]
    return [broadcast_out(broadcast) for broadcast in listed]


@router.get(
    "/{broadcast_id}/attachments/{index}",
    response={200: None, **errors(403, 404)},
    summary="Une pièce jointe scellée d'une diffusion (octets opaques)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "Octets scellés",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        }
    },
)
def get_attachment(request: HttpRequest, broadcast_id: uuid.UUID, index: int) -> HttpResponse:
    actor = _actor(request)
    broadcast = Broadcast.objects.filter(public_id=broadcast_id, held=False).first()
    if broadcast is None:
        raise NotFound("Diffusion introuvable.")
    require(actor, Action.VIEW_BROADCASTS, broadcast)
    attachment = BroadcastAttachment.objects.filter(broadcast=broadcast, index=index).first()
    if attachment is None:
        raise NotFound("Pièce jointe introuvable.")
    with attachment.file.open("rb") as handle:
        data = handle.read()
    response = HttpResponse(data, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="part-{index}.bin"'
    response["Cache-Control"] = "no-store"
    return response

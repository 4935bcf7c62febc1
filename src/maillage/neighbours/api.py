"""JSON API of neighbour alerts (/api/v1/neighbours): a shop or the police warns the
shops of one sector with a broadcast sealed to the sector's group key; the police
validate, refuse and end them (docs/decisions.md, "Neighbour alerts").

The upload is the broadcasts' multipart (`envelope`, `attachment_0..3`) plus an optional
clear `incident` field. Reads are not written to the content access log, as for
broadcasts.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from maillage.access.policy import Action, require, visible
from maillage.broadcasts.api import _multipart, _upload
from maillage.broadcasts.models import BroadcastAttachment
from maillage.errors import NotFound, Unauthenticated
from maillage.members.auth import member_auth, session_device
from maillage.members.models import Membership
from maillage.members.schemas import errors
from maillage.neighbours import actions
from maillage.neighbours.models import NeighbourAlert
from maillage.neighbours.models import Status as AlertStatus
from maillage.neighbours.schemas import AlertOut, RefusedOut, alert_out

router = Router(tags=["neighbours"], auth=member_auth)


def _actor(request: HttpRequest) -> Membership:
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Membership):
        raise Unauthenticated()
    return actor


def _with_parts() -> QuerySet[NeighbourAlert]:
    parts = Prefetch("attachments", BroadcastAttachment.objects.order_by("index"))
    return NeighbourAlert.objects.select_related(
        "sector",
        "shop",
        "incident",
        "broadcast__group_key",
        "broadcast__sender_device",
        "broadcast__sender_membership__shop",
        "end_broadcast__group_key",
        "end_broadcast__sender_device",
        "end_broadcast__sender_membership__shop",
    ).prefetch_related(
        Prefetch("broadcast__attachments", BroadcastAttachment.objects.order_by("index")),
        Prefetch("end_broadcast__attachments", parts.queryset),
    )


def _out(alert: NeighbourAlert) -> dict[str, Any]:
    return alert_out(_with_parts().get(pk=alert.pk))


def _send_doc() -> dict[str, Any]:
    extra = _multipart()
    schema = extra["requestBody"]["content"]["multipart/form-data"]["schema"]
    schema["properties"]["incident"] = {
        "type": "string",
        "description": "Le signalement lié (facultatif), identifiant en clair",
    }
    return extra


@router.post(
    "/alerts",
    response={201: AlertOut, **errors(400, 403, 404, 409, 413, 429)},
    summary="Alerter les commerces d'un secteur (scellé avec la clé de diffusion du secteur)",
    openapi_extra=_send_doc(),
)
def send(request: HttpRequest) -> Status[dict[str, Any]]:
    """Held « en attente de validation » (a shop's alert, when the commune validates) or
    out at once; 409 `stale_group_key` if not sealed to the sector's latest generation."""
    actor = _actor(request)
    require(actor, Action.SEND_NEIGHBOUR_ALERT)
    upload = _upload(request)
    incident = request.POST.get("incident") or None
    sent = actions.submit(actor, session_device(request), upload, incident)
    return Status(201, _out(sent.alert))


@router.get(
    "/alerts",
    response={200: list[AlertOut], **errors(403)},
    summary="Alertes en cours : en attente de validation (police, commerce auteur) puis actives",
)
def list_alerts(request: HttpRequest) -> list[dict[str, Any]]:
    """Awaiting validation first (oldest first: the first to check), then active ones
    (newest first). Ended alerts leave this list."""
    actor = _actor(request)
    require(actor, Action.VIEW_NEIGHBOUR_ALERTS)
    active = visible(actor, NeighbourAlert).filter(status=AlertStatus.ACTIVE)
    pending = visible(actor, NeighbourAlert, Action.VIEW_PENDING_NEIGHBOUR_ALERT).filter(
        status=AlertStatus.PENDING
    )
    rows = _with_parts()
    waiting = rows.filter(pk__in=pending.values("pk")).order_by("created_at", "pk")[:200]
    out = rows.filter(pk__in=active.values("pk")).order_by("-activated_at", "-pk")[:200]
    return [alert_out(alert) for alert in [*waiting, *out]]


@router.get(
    "/alerts/{alert_id}",
    response={200: AlertOut, **errors(403, 404)},
    summary="Une alerte aux commerces voisins (même terminée)",
)
def get_alert(request: HttpRequest, alert_id: uuid.UUID) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.VIEW_NEIGHBOUR_ALERTS)
    return _out(actions.lookup(actor, alert_id))


@router.post(
    "/alerts/{alert_id}/validate",
    response={200: AlertOut, **errors(403, 404, 409)},
    summary="Valider une alerte en attente : elle part aux commerces du secteur",
)
def validate(request: HttpRequest, alert_id: uuid.UUID) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.VALIDATE_NEIGHBOUR_ALERT)
    return _out(actions.validate(actor, session_device(request), alert_id))


@router.post(
    "/alerts/{alert_id}/refuse",
    response={200: RefusedOut, **errors(403, 404, 409)},
    summary="Refuser une alerte en attente : elle est supprimée, contenu compris",
)
def refuse(request: HttpRequest, alert_id: uuid.UUID) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.VALIDATE_NEIGHBOUR_ALERT)
    actions.refuse(actor, session_device(request), alert_id)
    return {"id": alert_id, "status": "refused"}


def _end_doc() -> dict[str, Any]:
    extra = _multipart()
    body = extra["requestBody"]
    body["required"] = False
    body["content"]["multipart/form-data"]["schema"]["required"] = []
    return extra


@router.post(
    "/alerts/{alert_id}/end",
    response={200: AlertOut, **errors(400, 403, 404, 409, 413)},
    summary="« Fin d'alerte » : l'alerte se termine pour tous ceux qui l'ont reçue",
    openapi_extra=_end_doc(),
)
def end(request: HttpRequest, alert_id: uuid.UUID) -> dict[str, Any]:
    """Optionally with a short message sealed to the same sector (multipart `envelope`)."""
    actor = _actor(request)
    require(actor, Action.END_NEIGHBOUR_ALERT)
    upload = None
    if request.content_type == "multipart/form-data" and (
        "envelope" in request.POST or request.FILES
    ):
        upload = _upload(request)
    return _out(actions.end(actor, session_device(request), alert_id, upload))


@router.get(
    "/alerts/{alert_id}/attachments/{index}",
    response={200: None, **errors(403, 404)},
    summary="Une pièce jointe scellée d'une alerte (octets opaques)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "Octets scellés",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        }
    },
)
def get_attachment(request: HttpRequest, alert_id: uuid.UUID, index: int) -> HttpResponse:
    actor = _actor(request)
    require(actor, Action.VIEW_NEIGHBOUR_ALERTS)
    alert = actions.lookup(actor, alert_id)
    attachment = BroadcastAttachment.objects.filter(
        broadcast=alert.broadcast_id, index=index
    ).first()
    if attachment is None:
        raise NotFound("Pièce jointe introuvable.")
    with attachment.file.open("rb") as handle:
        data = handle.read()
    response = HttpResponse(data, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="part-{index}.bin"'
    response["Cache-Control"] = "no-store"
    return response

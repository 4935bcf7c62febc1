"""JSON API of « mode crise » (/api/v1/crisis): its state for every member of the commune,
and the police's switch (docs/decisions.md, « Mode crise »).

The start and the change of instructions upload the broadcasts' multipart (`envelope`: a
broadcast sealed to the commune's latest generation, `attachment_0..3`); the end takes
the same, optionally (a closing message).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Router, Status

from maillage.access.policy import Action, require
from maillage.broadcasts.api import _multipart, _upload
from maillage.broadcasts.models import BroadcastAttachment
from maillage.crisis import actions
from maillage.crisis.models import CrisisMode
from maillage.crisis.schemas import CrisisOut, crisis_out
from maillage.errors import Unauthenticated
from maillage.members.auth import member_auth, session_device
from maillage.members.models import Membership
from maillage.members.schemas import errors

router = Router(tags=["crisis"], auth=member_auth)

_SENDER = ("group_key", "sender_device", "sender_membership", "sender_membership__shop")


def _actor(request: HttpRequest) -> Membership:
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Membership):
        raise Unauthenticated()
    return actor


def _state(actor: Membership) -> dict[str, Any]:
    parts = BroadcastAttachment.objects.order_by("index")
    crisis = (
        CrisisMode.objects.select_related(
            *(f"instructions__{name}" for name in _SENDER),
            *(f"end_message__{name}" for name in _SENDER),
        )
        .prefetch_related(
            Prefetch("instructions__attachments", parts),
            Prefetch("end_message__attachments", parts),
        )
        .filter(commune=actor.commune)
        .first()
    )
    return crisis_out(actor, crisis)


def _optional() -> dict[str, Any]:
    extra = _multipart()
    body = extra["requestBody"]
    body["required"] = False
    body["content"]["multipart/form-data"]["schema"]["required"] = []
    return extra


@router.get(
    "",
    response={200: CrisisOut, **errors(403)},
    summary="Le mode crise de la commune : activé ou non, depuis quand, ses consignes scellées",
)
def get_crisis(request: HttpRequest) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.VIEW_CRISIS)
    return _state(actor)


@router.post(
    "/start",
    response={201: CrisisOut, **errors(400, 403, 404, 409, 413)},
    summary="Activer le mode crise avec ses consignes, scellées pour tous les commerces",
    openapi_extra=_multipart(),
)
def start(request: HttpRequest) -> Status[dict[str, Any]]:
    """409 `crisis_active` if it is already on; an identical retry gets the same 201."""
    actor = _actor(request)
    require(actor, Action.MANAGE_CRISIS)
    actions.start(actor, session_device(request), _upload(request))
    return Status(201, _state(actor))


@router.post(
    "/instructions",
    response={200: CrisisOut, **errors(400, 403, 404, 409, 413)},
    summary="Changer les consignes du mode crise en cours",
    openapi_extra=_multipart(),
)
def change_instructions(request: HttpRequest) -> dict[str, Any]:
    """409 `crisis_not_active` if the mode is off."""
    actor = _actor(request)
    require(actor, Action.MANAGE_CRISIS)
    actions.change_instructions(actor, session_device(request), _upload(request))
    return _state(actor)


@router.post(
    "/end",
    response={200: CrisisOut, **errors(400, 403, 404, 409, 413)},
    summary="Désactiver le mode crise (avec un message de fin scellé, facultatif)",
    openapi_extra=_optional(),
)
def end(request: HttpRequest) -> dict[str, Any]:
    """409 `crisis_not_active` if the mode is off."""
    actor = _actor(request)
    require(actor, Action.MANAGE_CRISIS)
    upload = None
    if request.content_type == "multipart/form-data" and (
        "envelope" in request.POST or request.FILES
    ):
        upload = _upload(request)
    actions.end(actor, session_device(request), upload)
    return _state(actor)

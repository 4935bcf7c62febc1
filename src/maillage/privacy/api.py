"""JSON API of the DPO (/api/v1/privacy): who read which sealed content, never the content,
and which members' requests were refused (401, 403, 404)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from maillage.access.policy import Action, require, visible
from maillage.errors import Unauthenticated
from maillage.members.auth import member_auth
from maillage.members.models import Membership
from maillage.members.schemas import errors
from maillage.privacy.access_log import verify_chain
from maillage.privacy.models import ContentAccess, RefusedRequest

router = Router(tags=["privacy"], auth=member_auth)

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class ReaderOut(Schema):
    id: uuid.UUID
    display_name: str
    role: str


class AccessEntryOut(Schema):
    id: int = Field(description="Position in the commune's chain, from 1")
    at: datetime
    member: ReaderOut
    device: uuid.UUID | None
    incident: uuid.UUID
    message: uuid.UUID
    what: str
    part: int | None
    reason: str


class AccessLogOut(Schema):
    entries: list[AccessEntryOut]
    next_before: int | None = Field(description="Pass as `before` for the next (older) page")


class VerifyOut(Schema):
    ok: bool
    entries: int
    first_broken: int | None


def _actor(request: HttpRequest) -> Membership:
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Membership):
        raise Unauthenticated()
    return actor


def _reader_out(member: Membership) -> dict[str, Any]:
    return {"id": member.public_id, "display_name": member.person.display_name, "role": member.role}


def _entry_out(entry: ContentAccess) -> dict[str, Any]:
    return {
        "id": entry.number,
        "at": entry.at,
        "member": _reader_out(entry.membership),
        "device": entry.device.public_id if entry.device is not None else None,
        "incident": entry.incident_public_id,
        "message": entry.message_public_id,
        "what": entry.what,
        "part": entry.part,
        "reason": entry.reason,
    }


@router.get(
    "/access-log",
    response={200: AccessLogOut, **errors(403)},
    summary="Journal des lectures de contenus scellés, du plus récent au plus ancien (DPO)",
)
def access_log(
    request: HttpRequest,
    incident: uuid.UUID | None = None,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.VIEW_ACCESS_LOG, actor.commune)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    entries = visible(actor, ContentAccess).select_related(
        "membership", "membership__person", "device"
    )
    if incident is not None:
        entries = entries.filter(incident_public_id=incident)
    if before is not None:
        entries = entries.filter(number__lt=before)
    page = list(entries.order_by("-number")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "entries": [_entry_out(entry) for entry in page],
        "next_before": page[-1].number if more and page else None,
    }


@router.get(
    "/access-log/verify",
    response={200: VerifyOut, **errors(403)},
    summary="Recalculer la chaîne d'empreintes du journal (DPO)",
)
def verify(request: HttpRequest) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.VIEW_ACCESS_LOG, actor.commune)
    result = verify_chain(actor.commune)
    return {"ok": result.ok, "entries": result.entries, "first_broken": result.first_broken}


class RefusalOut(Schema):
    id: int
    at: datetime
    member: ReaderOut
    device: uuid.UUID | None
    status: int
    code: str
    method: str
    path: str


class RefusalsOut(Schema):
    entries: list[RefusalOut]
    next_before: int | None = Field(description="Pass as `before` for the next (older) page")


@router.get(
    "/refusals",
    response={200: RefusalsOut, **errors(401, 403, 422)},
    summary="Demandes refusées aux membres (401, 403, 404), de la plus récente (DPO)",
)
def refusals(
    request: HttpRequest, before: int | None = None, limit: int = PAGE_SIZE
) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.VIEW_ACCESS_LOG, actor.commune)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    entries = RefusedRequest.objects.filter(commune=actor.commune).select_related(
        "membership", "membership__person", "device"
    )
    if before is not None:
        entries = entries.filter(pk__lt=before)
    page = list(entries.order_by("-pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "entries": [
            {
                "id": entry.pk,
                "at": entry.at,
                "member": _reader_out(entry.membership),
                "device": entry.device.public_id if entry.device is not None else None,
                "status": entry.status,
                "code": entry.code,
                "method": entry.method,
                "path": entry.path,
            }
            for entry in page
        ],
        "next_before": page[-1].pk if more and page else None,
    }

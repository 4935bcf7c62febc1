"""`GET /stream/snapshot`: the state a device keeps live, with the cursor to stream from."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from maillage.errors import ApiError, Unauthenticated
from maillage.members.auth import pending_auth
from maillage.members.models import Membership
from maillage.members.schemas import errors
from maillage.stream import snapshot

router = Router(tags=["stream"], auth=pending_auth)


class MeOut(Schema):
    id: str
    status: str


class SnapshotOut(Schema):
    """Only the parts this member holds are present (docs/events.md, "The feed")."""

    cursor: int
    me: MeOut
    sectors: dict[str, dict[str, Any]] | None = None
    shops: dict[str, dict[str, Any]] | None = None
    members: dict[str, dict[str, Any]] | None = None
    invitations: dict[str, dict[str, Any]] | None = None
    charter: int | None = None
    devices: dict[str, dict[str, Any]] | None = None
    revocation_list: int | None = None
    service_key: int | None = None
    incidents: dict[str, dict[str, Any]] | None = None
    group_keys: dict[str, int] | None = None
    broadcasts: dict[str, dict[str, Any]] | None = None


@router.get(
    "/snapshot",
    response={200: SnapshotOut, **errors(401, 422)},
    exclude_unset=True,
    summary="État à tenir à jour en direct, avec le curseur du flux (parties demandées)",
)
def get_snapshot(request: HttpRequest, parts: str = "") -> dict[str, Any]:
    viewer = getattr(request, "auth", None)
    if not isinstance(viewer, Membership):
        raise Unauthenticated()
    wanted = [part for part in parts.split(",") if part] if parts else None
    unknown = sorted(set(wanted or ()) - set(snapshot.PARTS))
    if unknown:
        raise ApiError(
            "unknown_part",
            "Partie inconnue : " + ", ".join(unknown[:5])[:200] + ".",
            field="parts",
            status=422,
        )
    return snapshot.snapshot(viewer, wanted)

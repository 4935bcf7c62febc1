"""Recording refused requests for the DPO (models.RefusedRequest)."""

from __future__ import annotations

import json
import logging

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from maillage.members.models import Membership
from maillage.privacy.models import RefusedRequest

logger = logging.getLogger(__name__)
LOGGED_STATUSES = frozenset({401, 403, 404})


def _member(request: HttpRequest) -> tuple[Membership | None, int | None]:
    auth = getattr(request, "auth", None)
    access = getattr(request, "maillage_access", None)
    membership = auth if isinstance(auth, Membership) else getattr(access, "membership", None)
    device = getattr(access, "device", None)
    return membership, getattr(device, "pk", None)


def _code(response: HttpResponseBase) -> str:
    try:
        return str(json.loads(getattr(response, "content", b"{}")).get("code", ""))[:40]
    except (ValueError, AttributeError):
        return ""


def record_refusal(request: HttpRequest, response: HttpResponseBase) -> None:
    """Best effort: a failure to log is reported, never turned into a failed request."""
    if response.status_code not in LOGGED_STATUSES:
        return
    membership, device_id = _member(request)
    if membership is None:
        return
    try:
        RefusedRequest.objects.create(
            at=timezone.now(),
            commune_id=membership.commune_id,
            membership=membership,
            device_id=device_id,
            status=response.status_code,
            code=_code(response),
            method=(request.method or "")[:8],
            path=request.path_info[:300],
        )
    except DatabaseError:
        logger.warning("Refus non journalisé : %s %s", request.method, request.path_info)

"""JSON API of Web Push (/api/v1/push; docs/decisions.md, "Web Push"): the key a browser
subscribes with, this device's subscriptions (made with consent, withdrawn at will), and
for the police and the coordinator the devices no channel reaches and the attempt log."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from maillage.access.policy import Action, require
from maillage.errors import ApiError, NotFound, Unauthenticated
from maillage.members.auth import member_auth, session_device
from maillage.members.models import Membership
from maillage.push import channels, subscriptions, vapid
from maillage.push.models import Attempt, PushSubscription
from maillage.push.schemas import (
    AttemptOut,
    ChannelsOut,
    KeyOut,
    SubscriptionIn,
    SubscriptionOut,
    attempt_out,
    channel_out,
    subscription_out,
)
from maillage.schemas import errors
from maillage.trust.models import Device

router = Router(tags=["push"], auth=member_auth)

NOT_CERTIFIED = "Cet appareil doit être certifié par la mairie avant de recevoir des notifications."


def _actor(request: HttpRequest) -> Membership:
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Membership):
        raise Unauthenticated()
    return actor


def _certified_device(request: HttpRequest) -> Device:
    device = session_device(request)
    if device is None or not device.is_certified:
        raise ApiError("device_not_certified", NOT_CERTIFIED, status=403)
    return device


@router.get(
    "/key",
    response={200: KeyOut, **errors(403)},
    summary="Clé publique VAPID de ce serveur (applicationServerKey)",
)
def get_key(request: HttpRequest) -> dict[str, str]:
    require(_actor(request), Action.SUBSCRIBE_PUSH)
    return {"application_server_key": vapid.application_server_key()}


@router.get(
    "/subscriptions",
    response={200: list[SubscriptionOut], **errors(403)},
    summary="Les abonnements aux notifications de cet appareil",
)
def list_subscriptions(request: HttpRequest) -> list[dict[str, Any]]:
    actor = _actor(request)
    require(actor, Action.SUBSCRIBE_PUSH, actor.commune)
    device = session_device(request)
    if device is None:
        return []
    rows = PushSubscription.objects.filter(device=device).order_by("-created_at")[:20]
    return [subscription_out(row) for row in rows]


@router.post(
    "/subscriptions",
    response={200: SubscriptionOut, 201: SubscriptionOut, **errors(400, 403, 422)},
    summary="Recevoir les notifications sur cet appareil (avec l'accord de l'utilisateur)",
)
def subscribe(request: HttpRequest, payload: SubscriptionIn) -> Status[dict[str, Any]]:
    actor = _actor(request)
    require(actor, Action.SUBSCRIBE_PUSH, actor.commune)
    device = _certified_device(request)
    row, created = subscriptions.subscribe(
        actor, device, payload.endpoint, payload.keys.p256dh, payload.keys.auth, payload.consent
    )
    return Status(201 if created else 200, subscription_out(row))


@router.delete(
    "/subscriptions/{subscription_id}",
    response={200: SubscriptionOut, **errors(403, 404)},
    summary="Ne plus recevoir de notifications par cet abonnement",
)
def unsubscribe(request: HttpRequest, subscription_id: uuid.UUID) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.SUBSCRIBE_PUSH, actor.commune)
    device = session_device(request)
    row = PushSubscription.objects.filter(
        public_id=subscription_id, device=device, membership=actor
    ).first()
    if device is None or row is None:
        raise NotFound("Abonnement introuvable sur cet appareil.")
    subscriptions.unsubscribe(actor, device, row)
    row.refresh_from_db()
    return subscription_out(row)


@router.get(
    "/channels",
    response={200: ChannelsOut, **errors(403)},
    summary="Comment chaque appareil certifié est joignable (notifications, direct)",
)
def list_channels(request: HttpRequest) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.VIEW_PUSH_CHANNELS, actor.commune)
    found = channels.for_commune(actor.commune)
    return {
        "devices": [channel_out(c) for c in found],
        "unreachable": sum(1 for c in found if not c.reachable),
    }


@router.get(
    "/attempts",
    response={200: list[AttemptOut], **errors(403, 404)},
    summary="Les derniers essais de remise (résultat, durée), d'un appareil ou de tous",
)
def list_attempts(request: HttpRequest, device: uuid.UUID | None = None) -> list[dict[str, Any]]:
    actor = _actor(request)
    require(actor, Action.VIEW_PUSH_CHANNELS, actor.commune)
    rows = Attempt.objects.filter(commune=actor.commune).select_related("device")
    if device is not None:
        rows = rows.filter(device__public_id=device)
    return [attempt_out(row) for row in rows.order_by("-at", "-pk")[:100]]

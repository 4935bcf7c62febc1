"""Shapes of /api/v1/push: the VAPID key, a device's subscriptions, channel health and
the attempt log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema

from maillage.push.channels import DeviceChannels
from maillage.push.models import Attempt, PushSubscription
from maillage.schemas import Text


class KeyOut(Schema):
    application_server_key: str = Field(
        description="Clé VAPID publique (RFC 8292), base64url, pour pushManager.subscribe"
    )


class KeysIn(Schema):
    p256dh: Annotated[str, Text(120)]
    auth: Annotated[str, Text(40)]


class SubscriptionIn(Schema):
    endpoint: Annotated[str, Text(1024)]
    keys: KeysIn
    consent: bool = Field(
        description="L'utilisateur a accepté d'être prévenu sur cet appareil (obligatoire)"
    )


class SubscriptionOut(Schema):
    id: uuid.UUID
    service: str = Field(description="Le service de notification (jamais l'adresse entière)")
    consented_at: datetime
    disabled_at: datetime | None
    disabled_reason: str
    last_success_at: datetime | None
    last_failure_at: datetime | None


class ChannelOut(Schema):
    device: uuid.UUID
    member: uuid.UUID
    name: str
    role: str
    shop: str | None
    reachable: bool
    push_live: int
    push_working: bool
    push_disabled_reason: str | None
    last_push_success: datetime | None
    last_push_failure: datetime | None
    stream_connected: bool


class ChannelsOut(Schema):
    devices: list[ChannelOut]
    unreachable: int


class AttemptOut(Schema):
    at: datetime
    transport: str
    device: uuid.UUID
    seq: int
    number: int
    result: str
    status: int | None
    duration_ms: int
    detail: str


def subscription_out(row: PushSubscription) -> dict[str, Any]:
    return {
        "id": row.public_id,
        "service": row.service,
        "consented_at": row.consented_at,
        "disabled_at": row.disabled_at,
        "disabled_reason": row.disabled_reason,
        "last_success_at": row.last_success_at,
        "last_failure_at": row.last_failure_at,
    }


def channel_out(channels: DeviceChannels) -> dict[str, Any]:
    device = channels.device
    membership = device.membership
    return {
        "device": device.public_id,
        "member": membership.public_id,
        "name": membership.person.display_name,
        "role": membership.role,
        "shop": membership.shop.enseigne if membership.shop is not None else None,
        "reachable": channels.reachable,
        "push_live": channels.push_live,
        "push_working": channels.push_working,
        "push_disabled_reason": channels.push_disabled_reason,
        "last_push_success": channels.last_push_success,
        "last_push_failure": channels.last_push_failure,
        "stream_connected": channels.stream_connected,
    }


def attempt_out(row: Attempt) -> dict[str, Any]:
    return {
        "at": row.at,
        "transport": row.transport,
        "device": row.device.public_id,
        "seq": row.seq,
        "number": row.number,
        "result": row.result,
        "status": row.status,
        "duration_ms": row.duration_ms,
        "detail": row.detail,
    }

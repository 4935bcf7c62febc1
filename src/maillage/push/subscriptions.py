"""A device's push subscriptions: made with its user's consent, withdrawn by them, or
disabled when the push service says they are gone. One action, one event each.

A subscription is a URL this server will POST to, so it is checked before it is kept:
https to a known push service (settings.PUSH_SERVICES), or a loopback address outside
production (the tests' own RFC 8030 receiver); never any other internal address.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.utils import timezone

from maillage.access.policy import Action
from maillage.errors import ApiError
from maillage.members.models import Membership
from maillage.push.models import Cursor, PushSubscription
from maillage.stream.action import SYSTEM, Actor, action
from maillage.stream.kinds import Kind
from maillage.trust.models import Device

CONSENT_REQUIRED = (
    "Les notifications ne sont activées qu'avec votre accord : cochez la case pour accepter."
)


class PushRefused(ApiError):
    status = 422


def _decoded(value: str, field: str, size: int) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    valid = len(raw) == size
    if valid and size == 65:
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        except ValueError:
            valid = False
    if not valid:
        raise PushRefused(
            "bad_push_key",
            "Clé d'abonnement invalide : réactivez les notifications sur cet appareil.",
            field=field,
        )
    return raw


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_endpoint(endpoint: str) -> str:
    """The endpoint, if this server may POST to it; otherwise a refusal naming it."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    refused = PushRefused(
        "push_service_not_allowed",
        "Ce service de notification n'est pas accepté par la commune.",
        field="endpoint",
    )
    if parts.username or parts.password or not host:
        raise refused
    if _loopback(host):
        if not settings.PUSH_ALLOW_LOOPBACK or parts.scheme not in {"http", "https"}:
            raise refused
        return endpoint
    if parts.scheme != "https":
        raise refused
    for allowed in settings.PUSH_SERVICES:
        allowed = allowed.lower()
        if host == allowed.lstrip(".") or (allowed.startswith(".") and host.endswith(allowed)):
            return endpoint
    raise refused


def _payload(subscription: PushSubscription) -> dict[str, object]:
    return {"device": str(subscription.device.public_id), "service": subscription.service}


def subscribe(
    membership: Membership, device: Device, endpoint: str, p256dh: str, auth: str, consent: bool
) -> tuple[PushSubscription, bool]:
    """Keep the subscription; `(row, False)` when this device already had it (no event).

    The same endpoint held by another device is this browser changing hands (a shared
    tablet signed in as someone else): the old row is disabled in the same action."""
    if consent is not True:
        raise PushRefused("consent_required", CONSENT_REQUIRED, field="consent")
    endpoint = check_endpoint(endpoint)
    _decoded(p256dh, "keys.p256dh", 65)
    _decoded(auth, "keys.auth", 16)
    actor = Actor.member(membership, device)
    with action(actor, Action.SUBSCRIBE_PUSH, membership.commune, kind=Kind.PUSH_SUBSCRIBED) as act:
        existing = (
            PushSubscription.objects.select_for_update()
            .filter(endpoint=endpoint, disabled_at__isnull=True)
            .first()
        )
        if (
            existing is not None
            and existing.device_id == device.pk
            and (existing.p256dh, existing.auth) == (p256dh, auth)
        ):
            act.unchanged()
            return existing, False
        now = timezone.now()
        if existing is not None:
            existing.disabled_at = now
            existing.disabled_reason = "replaced"
            existing.save(update_fields=["disabled_at", "disabled_reason"])
        row = PushSubscription.objects.create(
            commune=membership.commune,
            membership=membership,
            device=device,
            endpoint=endpoint,
            p256dh=p256dh,
            auth=auth,
            consented_at=now,
        )
        event = act.record(row, _payload(row), member=membership)
        # The worker reads the log from here on for this commune (never its history).
        Cursor.objects.get_or_create(commune=membership.commune, defaults={"seq": event.seq})
    return row, True


def unsubscribe(membership: Membership, device: Device, subscription: PushSubscription) -> bool:
    actor = Actor.member(membership, device)
    with action(
        actor, Action.SUBSCRIBE_PUSH, membership.commune, kind=Kind.PUSH_UNSUBSCRIBED
    ) as act:
        row = PushSubscription.objects.select_for_update().get(pk=subscription.pk)
        if row.disabled_at is not None:
            act.unchanged()
            return False
        row.disabled_at = timezone.now()
        row.disabled_reason = "withdrawn"
        row.save(update_fields=["disabled_at", "disabled_reason"])
        act.record(row, _payload(row), member=row.membership)
    return True


def disable(subscription: PushSubscription, status: int | None, reason: str) -> bool:
    """The push service said the subscription is gone: the server's timer records it."""
    with action(SYSTEM, None, kind=Kind.PUSH_SUBSCRIPTION_DISABLED) as act:
        row = (
            PushSubscription.objects.select_for_update()
            .select_related("device", "membership")
            .get(pk=subscription.pk)
        )
        if row.disabled_at is not None:
            act.unchanged()
            return False
        row.disabled_at = timezone.now()
        row.disabled_reason = reason[:80]
        row.last_failure_at = row.disabled_at
        row.save(update_fields=["disabled_at", "disabled_reason", "last_failure_at"])
        act.record(
            row, {**_payload(row), "status": status, "reason": reason}, member=row.membership
        )
    return True

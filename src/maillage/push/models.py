"""Web Push: the platform's VAPID key, each device's subscriptions, the deliveries the log
asks for and every attempt made (docs/decisions.md, "Web Push")."""

from __future__ import annotations

import uuid

from django.db import models

from maillage.members.models import Membership
from maillage.territory.models import Commune
from maillage.trust.models import Device


class VapidKey(models.Model):
    """The one application-server key pair of this installation (RFC 8292), generated at
    first use and kept in the database, so every server process signs with the same key
    and it is never in the repository. Replacing it orphans every subscription (each push
    service binds a subscription to the key it was made with)."""

    private_pem = models.TextField(help_text="PKCS#8 PEM, P-256")
    public_key = models.CharField(
        max_length=100, help_text="Uncompressed point, base64url: the applicationServerKey"
    )
    created_at = models.DateTimeField(auto_now_add=True)


class PushSubscription(models.Model):
    """One browser push subscription of one certified device, made with its user's consent.

    `disabled_at` is set when the push service says the subscription is gone (404, 410) or
    refuses it for good; a disabled subscription is never tried again, and the device needs
    a new one (the app asks again)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1024)
    p256dh = models.CharField(max_length=120, help_text="The browser's ECDH key, base64url")
    auth = models.CharField(max_length=40, help_text="The browser's auth secret, base64url")
    consented_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=80, blank=True, default="")
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One live row per browser subscription; disabled ones stay for the attempt log.
            models.UniqueConstraint(
                fields=["endpoint"],
                condition=models.Q(disabled_at__isnull=True),
                name="push_subscription_live_endpoint",
            )
        ]
        indexes = [models.Index(fields=["commune", "disabled_at"], name="push_sub_live")]

    @property
    def service(self) -> str:
        """The push service's host: what the operator is shown, never the endpoint."""
        from urllib.parse import urlsplit

        return urlsplit(self.endpoint).hostname or ""


class Delivery(models.Model):
    """One event owed to one subscription: the outbox the worker drains.

    Not an event of the log (docs/decisions.md, "Web Push"): a delivery is the log read
    for a channel, as a stream connection is; its rows are the attempt log's subject."""

    class State(models.TextChoices):
        PENDING = "pending", "en attente"
        SENDING = "sending", "en cours"
        SENT = "sent", "remise"
        FAILED = "failed", "abandonnée"

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(
        PushSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    seq = models.PositiveBigIntegerField(help_text="The event's position in the log")
    kind = models.CharField(max_length=40)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "seq"], name="push_delivery_once")
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="push_delivery_due")]


class Attempt(models.Model):
    """One try of one transport for one device: its result and how long it took."""

    class Result(models.TextChoices):
        OK = "ok", "remis"
        TEMPORARY = "temporary", "erreur temporaire"
        PERMANENT = "permanent", "erreur définitive"

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    transport = models.CharField(max_length=20)
    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, null=True, blank=True, related_name="tries"
    )
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField()
    number = models.PositiveSmallIntegerField(help_text="1 for the first try")
    at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    result = models.CharField(max_length=10, choices=Result.choices)
    status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="HTTP status")
    detail = models.CharField(max_length=200, blank=True, default="")
    bytes_sent = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["device", "at"], name="push_attempt_device")]


class Cursor(models.Model):
    """How far the push worker has read each commune's log (its rows become deliveries).

    Moved forward under a row lock in the transaction that creates the deliveries, so two
    server processes never read the same events twice."""

    commune = models.OneToOneField(Commune, on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField(default=0)

"""Append-only, hash-chained log of who fetched sealed content (read by the DPO)."""

from __future__ import annotations

from django.db import models

from maillage.members.models import Membership
from maillage.territory.models import Commune
from maillage.trust.models import Device


class AccessLogHead(models.Model):
    """The last entry of a commune's chain; locking this row serialises appends."""

    commune = models.OneToOneField(Commune, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default="")


class ContentAccess(models.Model):
    """One fetch of an envelope or an attachment. Never updated, never deleted by the app."""

    class What(models.TextChoices):
        ENVELOPE = "envelope", "enveloppe"
        ATTACHMENT = "attachment", "pièce jointe"

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveBigIntegerField(help_text="Position in the commune's chain, from 1")
    at = models.DateTimeField()
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    incident_public_id = models.UUIDField()
    message_public_id = models.UUIDField()
    what = models.CharField(max_length=10, choices=What.choices)
    part = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commune", "number"], name="access_log_unique_number")
        ]
        indexes = [models.Index(fields=["commune", "incident_public_id"])]
        ordering = ["-number"]


class RefusedRequest(models.Model):
    """A signed-in member's request the API refused (401, 403, 404), for the DPO.

    Only who, when and which address: never a body, a query string or any content. Rows
    exist for members only; anonymous refusals are counted by the rate limits instead.
    """

    at = models.DateTimeField()
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    device = models.ForeignKey(
        Device, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=40)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)

    class Meta:
        indexes = [models.Index(fields=["commune", "-id"])]

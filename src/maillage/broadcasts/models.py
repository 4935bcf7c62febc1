"""Broadcasts: one sealed message to every holder of a scope's group key (« message à
tous les commerces », later the sector's neighbour alerts).

As for incident messages (incidents/models.py), the rows hold the broadcast exactly as the
sender signed it and what routing needs (who, which scope and generation, when, how
large); the server holds no key that opens it.
"""

from __future__ import annotations

import uuid

from django.db import models

from maillage.members.models import Membership
from maillage.territory.models import Commune, Sector
from maillage.trust.models import Device, GroupKey


class Broadcast(models.Model):
    """One broadcast, sealed once to generation `group_key` of its scope.

    `public_id` is chosen by the sending device (a uuid4): the associated data bind the
    sealed parts to it, and an identical retry is recognised by it.
    """

    public_id = models.UUIDField(unique=True, editable=False)
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="broadcasts")
    scope = models.CharField(max_length=80)
    sector = models.ForeignKey(
        Sector,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The scope's sector, for the access policy; empty for the commune",
    )
    group_key = models.ForeignKey(GroupKey, on_delete=models.PROTECT, related_name="broadcasts")
    sender_membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    sender_device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")
    sent_at = models.BigIntegerField(help_text="From the signed header (Unix seconds)")
    created_at = models.DateTimeField(auto_now_add=True)
    header = models.TextField(help_text="Canonical JSON, as signed")
    signature = models.CharField(max_length=128)
    sender_chain = models.TextField(help_text="JSON list of {body, signature}")
    content = models.TextField(help_text="Sealed content part, base64url")
    content_size = models.PositiveIntegerField()
    wire_sha256 = models.CharField(
        max_length=64, help_text="Hex SHA-256 of the broadcast and its parts, for retries"
    )
    held = models.BooleanField(
        default=False,
        help_text="Held back (a neighbour alert awaiting validation): listed and served to "
        "no holder by the broadcasts API, delivered by the neighbours domain only",
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return str(self.public_id)


def _sealed_name(instance: BroadcastAttachment, filename: str) -> str:
    """A random name: nothing about the broadcast leaks into the file system."""
    return f"sealed/{uuid.uuid4().hex}.bin"


class BroadcastAttachment(models.Model):
    """A sealed attachment part of a broadcast, stored as an opaque file in MEDIA_ROOT."""

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="attachments")
    index = models.PositiveSmallIntegerField(help_text="Part number, 1-based as in the spec")
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, help_text="b64url SHA-256 of the sealed bytes")
    file = models.FileField(upload_to=_sealed_name, max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["broadcast", "index"], name="broadcast_attachment_unique_index"
            )
        ]
        ordering = ["index"]

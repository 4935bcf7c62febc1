"""Neighbour alerts: a sector broadcast with the clear record the workflow needs (who,
which sector, which incident, its status and when it ends).

The content is the broadcast's (broadcasts.models), sealed once to the sector's group
key; this row holds only metadata. An alert awaiting validation holds its broadcast back
(`Broadcast.held`); a refused one is deleted with its broadcast and files, and the event
log keeps only the fact.
"""

from __future__ import annotations

from django.db import models

from maillage.broadcasts.models import Broadcast
from maillage.incidents.models import Incident
from maillage.members.models import Membership
from maillage.territory.models import Commune, Sector, Shop


class Status(models.TextChoices):
    PENDING = "pending", "En attente de validation"
    ACTIVE = "active", "Active"
    ENDED = "ended", "Terminée"


class EndReason(models.TextChoices):
    OPERATOR = "operator", "Fin d'alerte donnée par la police municipale"
    EXPIRED = "expired", "Fin d'alerte automatique (délai écoulé)"


class NeighbourAlert(models.Model):
    """One alert to the shops of a sector. `public_id` is its broadcast's."""

    public_id = models.UUIDField(unique=True, editable=False)
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="+")
    shop = models.ForeignKey(
        Shop,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The reporting shop; empty for an alert the police wrote",
    )
    broadcast = models.OneToOneField(
        Broadcast, on_delete=models.CASCADE, related_name="neighbour_alert"
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    validated_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=10, choices=EndReason.choices, blank=True)
    ended_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    end_broadcast = models.OneToOneField(
        Broadcast,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ended_alert",
        help_text="The police's sealed « fin d'alerte » message, if any",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "expires_at"], name="neighbour_alert_due")]

    def __str__(self) -> str:
        return str(self.public_id)

    @property
    def scope(self) -> str:
        return f"sector:{self.sector_id}"

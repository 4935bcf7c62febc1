"""The commune's event log: append-only, gapless per commune, hash-chained."""

from __future__ import annotations

from django.db import models


class ActorKind(models.TextChoices):
    """Who acted: a member, or the mairie's own machine (trusted: it holds the root key)."""

    MEMBER = "member", "membre"
    CLI = "cli", "ligne de commande de la mairie"
    DEMO = "demo", "génération de la démonstration"
    INVITEE = "invitee", "personne invitée (lien d'invitation)"
    SYSTEM = "system", "serveur (minuteries)"


class EventHead(models.Model):
    """The last event of a commune; locking this row serialises appends in commit order."""

    commune = models.OneToOneField("territory.Commune", on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="")


class Event(models.Model):
    """One state change. Never updated, never deleted by the app; `seq` is the stream cursor.

    The actor's device is kept as its public id rather than a foreign key: the log must
    outlive any reorganisation of the device tables, and the hash covers that id anyway.
    """

    commune = models.ForeignKey("territory.Commune", on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField(help_text="Position in the commune's log, from 1")
    # No `choices`: the kinds are `Kind` (stream/kinds.py), which every append goes
    # through; choices here cost one migration per new kind and checked nothing more.
    kind = models.CharField(max_length=40)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        "members.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_device = models.UUIDField(null=True, blank=True)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    target_type = models.CharField(max_length=30)
    target_id = models.CharField(max_length=64)
    member = models.ForeignKey(
        "members.Membership",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The member the event is about, who may see it (docs/events.md)",
    )
    shop = models.ForeignKey(
        "territory.Shop",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The shop the event belongs to: a merchant sees only their own",
    )
    payload = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commune", "seq"], name="event_unique_seq"),
        ]
        ordering = ["commune", "seq"]

    def __str__(self) -> str:
        return f"{self.seq} {self.kind}"

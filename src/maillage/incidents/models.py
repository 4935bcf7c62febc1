"""Incidents and their sealed messages: the server keeps metadata, never a content key.

Everything a member wrote (text, photos, notes) lives only inside sealed envelopes
(docs/envelope.md); the rows here hold what routing and the workflow need: who, which
shop, when, how large.
"""

from __future__ import annotations

import uuid

from django.db import models

from maillage.members.models import Membership
from maillage.territory.models import Commune, Shop
from maillage.trust.models import Device


class Exercise(models.Model):
    """A drill (exercice) of the commune: while one runs, reports sent as part of it are
    flagged everywhere and left out of the statistics (incidents/exercises.py)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["commune"],
                condition=models.Q(ended_at__isnull=True),
                name="exercise_one_running",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Cluster(models.Model):
    """Reports of one sector and category close in time that an operator confirmed as one
    event, to handle once (incidents/clusters.py); each report keeps its own timeline."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    sector = models.ForeignKey("territory.Sector", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return str(self.public_id)


class Incident(models.Model):
    """A report by a shop and where it stands in its lifecycle (incidents/lifecycle.py).

    `public_id` is chosen by the reporting device (a uuid4), because the envelope's
    associated data binds the sealed content to it before the server has seen anything.
    The lifecycle fields are a projection of the incident's events, written by the action
    that appends each one (incidents/workflow.py): every time is the server's, at the
    step's event, never a client's.
    """

    public_id = models.UUIDField(unique=True, editable=False)
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="incidents")
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="incidents")
    reported_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Clear metadata (docs/privacy.md): what routing, the workflow and statistics need.
    category = models.CharField(max_length=40, default="autre")
    category_label = models.CharField(
        max_length=60, default="Autre", help_text="The category's label when it was reported"
    )
    severity = models.CharField(max_length=10, default="low")
    neighbours = models.BooleanField(
        default=False, help_text="« Prévenir les commerces voisins » was on"
    )
    photos = models.PositiveSmallIntegerField(default=0)
    reported_unreachable = models.BooleanField(
        default=False,
        help_text="Arrived outside duty hours or with no operator connected (maillage.duty)",
    )
    # The lifecycle (incidents/lifecycle.py: states, verdicts, outcomes and their labels).
    state = models.CharField(max_length=20, default="reported")
    verdict = models.CharField(max_length=20, blank=True, default="")
    outcome = models.CharField(max_length=20, blank=True, default="")
    taken_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    taken_at = models.DateTimeField(null=True, blank=True)
    doubt_lifted_at = models.DateTimeField(null=True, blank=True)
    intervention_at = models.DateTimeField(null=True, blank=True)
    on_site_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Escalation (incidents/escalation.py): the timer is this column, so it lives in the
    # database, survives restarts and is claimed once by a conditional UPDATE.
    escalation_level = models.PositiveSmallIntegerField(
        default=0, help_text="How many escalations fired (0, 1 or 2)"
    )
    escalation_due_at = models.DateTimeField(
        null=True, blank=True, help_text="When the next escalation fires if nobody took it"
    )
    exercise = models.ForeignKey(
        Exercise,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        help_text="The drill this report belongs to: shown « exercice », left out of statistics",
    )
    cluster = models.ForeignKey(
        Cluster, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["commune", "state"], name="incident_commune_state"),
            models.Index(
                fields=["escalation_due_at"],
                condition=models.Q(escalation_due_at__isnull=False),
                name="incident_escalation_due",
            ),
        ]

    def __str__(self) -> str:
        return str(self.public_id)


class SealedMessage(models.Model):
    """One envelope exactly as the sender signed it; the server cannot open it."""

    public_id = models.UUIDField(unique=True, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="messages")
    sender_device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")
    sender_membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    sent_at = models.BigIntegerField(help_text="From the signed header (Unix seconds)")
    received_at = models.DateTimeField(auto_now_add=True)
    header = models.TextField(help_text="Canonical JSON, as signed")
    signature = models.CharField(max_length=128)
    sender_chain = models.TextField(help_text="JSON list of {body, signature}")
    content = models.TextField(help_text="Sealed content part, base64url")
    content_size = models.PositiveIntegerField()
    wire_sha256 = models.CharField(
        max_length=64, help_text="Hex SHA-256 of the envelope and its parts, for idempotent retries"
    )
    police_only = models.BooleanField(
        default=False,
        help_text="A police note: sealed to police devices only, never listed to the shop",
    )

    class Meta:
        ordering = ["sent_at", "id"]


def _sealed_name(instance: SealedAttachment, filename: str) -> str:
    """A random name: nothing about the incident or its content leaks into the file system."""
    return f"sealed/{uuid.uuid4().hex}.bin"


class SealedAttachment(models.Model):
    """A sealed attachment part, stored as an opaque file in MEDIA_ROOT."""

    message = models.ForeignKey(SealedMessage, on_delete=models.CASCADE, related_name="attachments")
    index = models.PositiveSmallIntegerField(help_text="Part number, 1-based as in the spec")
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, help_text="b64url SHA-256 of the sealed bytes")
    file = models.FileField(upload_to=_sealed_name, max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "index"], name="attachment_unique_index")
        ]
        ordering = ["index"]


class AlertSettings(models.Model):
    """A commune's choices about alerts (incidents/alert_settings.py reads and checks them).

    No row means the product's defaults; the coordinator's first change creates it.
    """

    commune = models.OneToOneField(Commune, on_delete=models.CASCADE, related_name="+")
    categories = models.JSONField(help_text="[{slug, label, severity, call_17, enabled}]")
    neighbour_validation = models.BooleanField(default=True)
    neighbour_expiry_minutes = models.PositiveIntegerField(default=120)
    limits = models.JSONField(help_text="{name: {count, minutes}}")
    escalation_first_seconds = models.PositiveIntegerField(default=60)
    escalation_second_seconds = models.PositiveIntegerField(default=180)
    cluster_window_minutes = models.PositiveIntegerField(default=10)
    supervisors = models.JSONField(
        default=list, help_text="Public ids of the members alerted when an incident escalates"
    )
    updated_at = models.DateTimeField(auto_now=True)


class Dispatch(models.Model):
    """An agent sent to an incident (incidents/dispatch.py): its right to read the case and
    the status it reports. Released when the agent says « terminé » or the incident closes;
    the agent keeps reading what it was sent to."""

    class Status(models.TextChoices):
        DISPATCHED = "dispatched", "envoyé"
        EN_ROUTE = "en_route", "en route"
        ON_SITE = "on_site", "sur place"
        DONE = "done", "terminé"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="dispatches")
    agent = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="dispatches")
    dispatched_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    dispatched_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DISPATCHED)
    status_at = models.DateTimeField()
    outcome = models.CharField(max_length=20, blank=True, default="")
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "agent"], name="dispatch_unique_agent")
        ]
        ordering = ["dispatched_at", "id"]


class ContentKeyGrant(models.Model):
    """One message's content key wrapped by an operator device for one agent device
    (docs/envelope.md, « Dispatch: content-key grants »), stored exactly as signed."""

    message = models.ForeignKey(
        SealedMessage, on_delete=models.CASCADE, related_name="content_grants"
    )
    recipient_device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    granter_device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")
    granter_certificate = models.ForeignKey(
        "trust.DeviceCertificate", on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(help_text="Canonical JSON, as signed")
    signature = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message", "recipient_device"], name="content_grant_unique"
            )
        ]

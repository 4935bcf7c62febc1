"""Duty hours, fallback recipients and who of the police is connected, per commune."""

from __future__ import annotations

from django.db import models

from maillage.members.models import Membership
from maillage.territory.models import Commune
from maillage.trust.models import Device


class DutySchedule(models.Model):
    """The commune's duty hours (maillage.duty.schedule); no row: the default hours."""

    commune = models.OneToOneField(Commune, on_delete=models.CASCADE, related_name="duty_schedule")
    weekly = models.JSONField(help_text="Weekday → ranges {start, end}, Europe/Paris")
    exceptions = models.JSONField(default=list, help_text="Dates closed or with other hours")
    updated_at = models.DateTimeField(auto_now=True)


class FallbackRecipient(models.Model):
    """A partner member the commune's reports are also sealed to while the police is not
    reachable (docs/decisions.md, "Duty hours and fallback")."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commune", "membership"], name="fallback_unique")
        ]
        ordering = ["pk"]


class OperatorPresence(models.Model):
    """One open stream of a police device in one server process, kept while it is open.

    Written at connection, touched every DUTY_PRESENCE_BEAT_SECONDS, deleted at the end;
    a row older than DUTY_PRESENCE_STALE_SECONDS is a process that died and counts for
    nothing. Every process reads the same rows, so all answer the same. Not an event (an
    operator's connections are not state changes of the commune, and the log is forever).
    """

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    process = models.CharField(max_length=120, help_text="host:pid of the serving process")
    connected_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField(db_index=True)

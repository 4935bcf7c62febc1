"""« Mode crise »: one row per commune, on or off, with who switched it and when, and the
police's instructions to every shop as a broadcast sealed to the commune's group key (the
server never holds them in clear; docs/decisions.md, « Mode crise »).

The row is switched in place by the actions (maillage.crisis.actions); each start, change
of instructions and end is an event of the log, which is the history.
"""

from __future__ import annotations

from django.db import models

from maillage.broadcasts.models import Broadcast
from maillage.members.models import Membership
from maillage.territory.models import Commune


class CrisisMode(models.Model):
    commune = models.OneToOneField(Commune, on_delete=models.CASCADE, related_name="crisis_mode")
    active = models.BooleanField(default=False)
    started_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    instructions = models.ForeignKey(
        Broadcast,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="crisis_instructions",
        help_text="The instructions in force (or last in force), sealed to the commune scope",
    )
    instructions_changed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_message = models.ForeignKey(
        Broadcast,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="crisis_end_messages",
        help_text="The police's closing message, if any, sealed to the commune scope",
    )

    def __str__(self) -> str:
        return f"{self.commune_id}: {'on' if self.active else 'off'}"

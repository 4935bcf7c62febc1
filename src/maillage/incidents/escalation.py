"""Escalation: an incident nobody took in charge in time is escalated, twice at most.

The timer is a column (`Incident.escalation_due_at`), set when the report is accepted
from the commune's delays (`alert_settings`: 60 s, then 180 s after the report, by
default), so it lives in the database and survives a restart: a process that starts
after a due time fires it at its first tick. Every server process runs `escalate_due`
(`stream.ticker`); each escalation is claimed by a conditional UPDATE (`… WHERE state =
'reported' AND escalation_level = <before>`), taken first with `FOR UPDATE SKIP LOCKED`
on PostgreSQL, so it fires exactly once across processes, and never for an incident
taken in charge meanwhile. One action, one `incident.escalated` event naming the
supervisors alerted; the reporting shop sees it too and is told to call 17
(docs/decisions.md, "Escalation").
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import F

from maillage.incidents import alert_settings
from maillage.incidents.lifecycle import State
from maillage.incidents.models import Incident
from maillage.stream import ticker
from maillage.stream.action import SYSTEM, action
from maillage.stream.kinds import Kind

__all__ = ["LEVELS", "escalate_due", "first_due"]

LEVELS = 2
BATCH = 100


def first_due(settings: alert_settings.Settings, reported_at: datetime) -> datetime:
    """When a report accepted at `reported_at` escalates if nobody takes it."""
    return reported_at + timedelta(seconds=settings.escalation_first_seconds)


def _next_due(settings: alert_settings.Settings, incident: Incident, level: int) -> datetime | None:
    """After escalation `level`, when the next one fires (None after the last)."""
    if level >= LEVELS:
        return None
    return incident.created_at + timedelta(seconds=settings.escalation_second_seconds)


def escalate_due(now: datetime | None = None) -> int:
    """The server's timer: escalate every incident still « signalé » whose escalation is
    due; how many escalations this call fired (another process may fire some of the same
    incidents' escalations: each fires once)."""
    now = now or ticker.now()
    fired = 0
    while True:
        due = list(
            Incident.objects.filter(
                state=State.REPORTED.value,
                escalation_due_at__isnull=False,
                escalation_due_at__lte=now,
            )
            .order_by("escalation_due_at", "pk")
            .values_list("pk", "escalation_level")[:BATCH]
        )
        if not due:
            return fired
        claimed = [pk for pk, level in due if _escalate(pk, level, now)]
        fired += len(claimed)
        if len(due) < BATCH or not claimed:
            return fired


def _escalate(pk: int, level: int, now: datetime) -> bool:
    with action(SYSTEM, None, kind=Kind.INCIDENT_ESCALATED) as act:
        due = Incident.objects.filter(
            pk=pk,
            state=State.REPORTED.value,
            escalation_level=level,
            escalation_due_at__lte=now,
        )
        if connection.features.has_select_for_update_skip_locked and not list(
            due.select_for_update(skip_locked=True).values_list("pk", flat=True)
        ):
            act.unchanged()
            return False
        incident = Incident.objects.select_related("commune", "shop").get(pk=pk)
        settings = alert_settings.for_commune(incident.commune_id)
        reached = level + 1
        if not due.update(
            escalation_level=F("escalation_level") + 1,
            escalation_due_at=_next_due(settings, incident, reached),
        ):
            act.unchanged()
            return False
        act.record(
            incident,
            {
                "level": reached,
                "waited": max(0, int((now - incident.created_at).total_seconds())),
                "supervisors": list(settings.supervisors),
            },
        )
        return True

"""Changing a commune's duty hours and its fallback recipients: one action each, one
event each (`duty.schedule_changed`, `duty.fallback_changed`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from maillage.access.policy import FALLBACK_RECIPIENT_ROLES, Action
from maillage.access.roles import MembershipStatus
from maillage.duty import schedule
from maillage.duty.fallback import MAX_RECIPIENTS, FallbackRefused, configured
from maillage.duty.models import DutySchedule, FallbackRecipient
from maillage.members.models import Membership
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.territory.models import Commune


def current(commune: Commune) -> dict[str, Any]:
    """The commune's schedule; the default hours until it sets its own."""
    row = DutySchedule.objects.filter(commune=commune).first()
    if row is None:
        return {
            "weekly": {day: list(r) for day, r in schedule.DEFAULT["weekly"].items()},
            "exceptions": [],
        }
    return {"weekly": row.weekly, "exceptions": row.exceptions}


def is_default(commune: Commune) -> bool:
    return not DutySchedule.objects.filter(commune=commune).exists()


def set_schedule(actor: Actor, commune: Commune, raw: object) -> dict[str, Any]:
    """Check, then store; a refusal (ScheduleRefused) stores nothing."""
    parsed = schedule.parse(raw)
    with action(actor, Action.MANAGE_DUTY, commune, kind=Kind.DUTY_SCHEDULE_CHANGED) as act:
        row = DutySchedule.objects.select_for_update().filter(commune=commune).first()
        if (
            row is not None
            and row.weekly == parsed["weekly"]
            and (row.exceptions == parsed["exceptions"])
        ):
            act.unchanged()
            return parsed
        if row is None:
            row = DutySchedule(commune=commune)
        row.weekly = parsed["weekly"]
        row.exceptions = parsed["exceptions"]
        row.save()
        act.record(
            row,
            {
                "ranges": sum(len(ranges) for ranges in parsed["weekly"].values()),
                "exceptions": len(parsed["exceptions"]),
            },
        )
    return parsed


def set_recipients(actor: Actor, commune: Commune, wanted: Sequence[uuid.UUID]) -> list[Membership]:
    """Replace the list (one `duty.fallback_changed` event; none if nothing changed)."""
    if len(wanted) > MAX_RECIPIENTS:
        raise FallbackRefused(
            "too_many_recipients",
            f"Au plus {MAX_RECIPIENTS} destinataires de repli.",
            field="recipients",
        )
    with action(actor, Action.MANAGE_DUTY, commune, kind=Kind.DUTY_FALLBACK_CHANGED) as act:
        found = {
            m.public_id: m
            for m in Membership.objects.select_related("person").filter(
                commune=commune, public_id__in=list(wanted)
            )
        }
        chosen: list[Membership] = []
        for index, public_id in enumerate(wanted):
            member = found.get(public_id)
            field = f"recipients[{index}]"
            if member is None:
                raise FallbackRefused(
                    "unknown_member", "Membre introuvable dans cette commune.", field=field
                )
            if member.role not in FALLBACK_RECIPIENT_ROLES:
                raise FallbackRefused(
                    "not_partner",
                    "Seul un membre partenaire (centre de supervision) peut recevoir les "
                    "signalements en repli.",
                    field=field,
                )
            if member.status not in (MembershipStatus.ACTIVE, MembershipStatus.PENDING):
                raise FallbackRefused(
                    "member_inactive",
                    "Ce membre est suspendu ou révoqué : il ne peut pas recevoir en repli.",
                    field=field,
                )
            if member not in chosen:
                chosen.append(member)
        before = [m.pk for m in configured(commune)]
        if before == [m.pk for m in chosen]:
            act.unchanged()
            return chosen
        FallbackRecipient.objects.filter(commune=commune).delete()
        FallbackRecipient.objects.bulk_create(
            [FallbackRecipient(commune=commune, membership=m) for m in chosen]
        )
        act.record(commune, {"recipients": [str(m.public_id) for m in chosen]})
    return chosen

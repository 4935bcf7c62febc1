"""Switching « mode crise »: start, change the instructions, end; each one action appending
one event (docs/decisions.md, « Mode crise »).

The instructions are police communication to every shop: a broadcast sealed by the
operator's device to the commune's latest group-key generation, checked and stored by the
broadcasts domain, exactly as a « message à tous les commerces ». Starting stores that
broadcast and switches the flag in one transaction (`crisis.started`): both or neither.
Every switch is a conditional UPDATE (`… WHERE active = <from>`), so two operators
starting at once get one start and one 409. Refusals store nothing and append nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError
from django.utils import timezone

from maillage.access.policy import COMMUNE_SCOPE, Action, require
from maillage.broadcasts import actions as broadcasts
from maillage.broadcasts.models import Broadcast
from maillage.crisis.models import CrisisMode
from maillage.errors import ApiError, Conflict
from maillage.members.models import Membership
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.trust.models import Device

__all__ = ["Switched", "change_instructions", "end", "start"]


@dataclass(frozen=True)
class Switched:
    """The commune's crisis row after the action; `created` is False for an identical retry."""

    crisis: CrisisMode
    created: bool


class NotTheCommune(ApiError):
    status = 400

    def __init__(self) -> None:
        super().__init__(
            "invalid_scope",
            "Les consignes du mode crise vont à tous les commerces : scellez-les pour la "
            "commune (« commune »).",
            field="envelope.scope",
        )


def _already_on() -> Conflict:
    return Conflict(
        "crisis_active",
        "Le mode crise est déjà activé pour la commune : modifiez ses consignes ou désactivez-le.",
    )


def _not_on() -> Conflict:
    return Conflict("crisis_not_active", "Le mode crise n'est pas activé pour la commune.")


def _broadcast_conflict() -> Conflict:
    return Conflict(
        "broadcast_conflict", "Une autre diffusion porte déjà cet identifiant.", field="envelope"
    )


def _prepare(
    actor: Membership, device: Device | None, upload: broadcasts.Upload
) -> broadcasts.Prepared:
    """The broadcasts' own checks (shape, sender, clock, parts, the right to the commune
    scope), then: the commune scope only."""
    prepared = broadcasts.prepare(actor, device, upload)
    if prepared.scope.name != COMMUNE_SCOPE:
        raise NotTheCommune
    return prepared


def _retry(actor: Membership, device: Device, prepared: broadcasts.Prepared, field: str) -> bool:
    """Whether this upload was already stored as the crisis row's `field` (an identical
    retry); another broadcast with this id is a 409."""
    found = broadcasts.retried(prepared, device)
    if found is None:
        return False
    crisis = CrisisMode.objects.filter(commune=actor.commune).first()
    if crisis is None or getattr(crisis, f"{field}_id") != found.broadcast.pk:
        raise _broadcast_conflict()
    return True


def _row(actor: Membership) -> CrisisMode:
    crisis, _ = CrisisMode.objects.get_or_create(commune=actor.commune)
    return crisis


def _sealed(broadcast: Broadcast, prepared: broadcasts.Prepared) -> dict[str, Any]:
    return {
        "instructions": str(broadcast.public_id),
        "number": broadcast.group_key.number,
        "attachments": prepared.attachments,
    }


def _current(actor: Membership) -> CrisisMode:
    return CrisisMode.objects.get(commune=actor.commune)


def start(actor: Membership, device: Device | None, upload: broadcasts.Upload) -> Switched:
    """Switch the commune's crisis mode on with its sealed instructions: 409
    `crisis_active` if it is already on (nothing stored)."""
    require(actor, Action.MANAGE_CRISIS, actor.commune)
    prepared = _prepare(actor, device, upload)
    assert device is not None
    if _retry(actor, device, prepared, "instructions"):
        return Switched(_current(actor), created=False)
    written: list[str] = []
    try:
        with action(
            Actor.member(actor, device),
            Action.MANAGE_CRISIS,
            actor.commune,
            kind=Kind.CRISIS_STARTED,
        ) as act:
            crisis = _row(actor)
            now = timezone.now()
            claimed = CrisisMode.objects.filter(pk=crisis.pk, active=False).update(
                active=True,
                started_at=now,
                started_by=actor,
                instructions_changed_at=now,
                ended_at=None,
                ended_by=None,
                end_message=None,
            )
            if not claimed:
                raise _already_on()
            broadcast = broadcasts.store(actor, device, prepared, written)
            CrisisMode.objects.filter(pk=crisis.pk).update(instructions=broadcast)
            crisis.refresh_from_db()
            act.record(crisis, _sealed(broadcast, prepared))
    except IntegrityError:
        # A concurrent request: the same upload (answer as for a retry), or another start
        # that created the commune's row first (it won).
        broadcasts.discard(written)
        stored = Broadcast.objects.filter(public_id=prepared.public_id).exists()
        if stored and _retry(actor, device, prepared, "instructions"):
            return Switched(_current(actor), created=False)
        raise _already_on() from None
    except BaseException:
        broadcasts.discard(written)
        raise
    return Switched(crisis, created=True)


def change_instructions(
    actor: Membership, device: Device | None, upload: broadcasts.Upload
) -> Switched:
    """New sealed instructions while the mode is on: 409 `crisis_not_active` otherwise."""
    require(actor, Action.MANAGE_CRISIS, actor.commune)
    prepared = _prepare(actor, device, upload)
    assert device is not None
    if _retry(actor, device, prepared, "instructions"):
        return Switched(_current(actor), created=False)
    written: list[str] = []
    try:
        with action(
            Actor.member(actor, device),
            Action.MANAGE_CRISIS,
            actor.commune,
            kind=Kind.CRISIS_INSTRUCTIONS_CHANGED,
        ) as act:
            crisis = CrisisMode.objects.filter(commune=actor.commune, active=True).first()
            if crisis is None:
                raise _not_on()
            broadcast = broadcasts.store(actor, device, prepared, written)
            changed = CrisisMode.objects.filter(pk=crisis.pk, active=True).update(
                instructions=broadcast, instructions_changed_at=timezone.now()
            )
            if not changed:  # pragma: no cover - ended between the read and the write
                raise _not_on()
            crisis.refresh_from_db()
            act.record(crisis, _sealed(broadcast, prepared))
    except IntegrityError:
        broadcasts.discard(written)
        raise _broadcast_conflict() from None
    except BaseException:
        broadcasts.discard(written)
        raise
    return Switched(crisis, created=True)


def end(
    actor: Membership, device: Device | None, upload: broadcasts.Upload | None = None
) -> Switched:
    """Switch the mode off, optionally with a closing message sealed to the commune:
    409 `crisis_not_active` if it is off (nothing stored)."""
    require(actor, Action.MANAGE_CRISIS, actor.commune)
    prepared = _prepare(actor, device, upload) if upload is not None else None
    if prepared is not None:
        assert device is not None
        if _retry(actor, device, prepared, "end_message"):
            return Switched(_current(actor), created=False)
    written: list[str] = []
    try:
        with action(
            Actor.member(actor, device),
            Action.MANAGE_CRISIS,
            actor.commune,
            kind=Kind.CRISIS_ENDED,
        ) as act:
            crisis = CrisisMode.objects.filter(commune=actor.commune).first()
            now = timezone.now()
            claimed = crisis is not None and CrisisMode.objects.filter(
                pk=crisis.pk, active=True
            ).update(active=False, ended_at=now, ended_by=actor)
            if not claimed or crisis is None:
                raise _not_on()
            message = None
            if prepared is not None and device is not None:
                message = broadcasts.store(actor, device, prepared, written)
                CrisisMode.objects.filter(pk=crisis.pk).update(end_message=message)
            crisis.refresh_from_db()
            started = crisis.started_at or now
            act.record(
                crisis,
                {
                    "message": str(message.public_id) if message is not None else None,
                    "number": message.group_key.number if message is not None else None,
                    "duration": max(0, int((now - started).total_seconds())),
                },
            )
    except IntegrityError:
        broadcasts.discard(written)
        raise _broadcast_conflict() from None
    except BaseException:
        broadcasts.discard(written)
        raise
    return Switched(crisis, created=True)

"""Drills (exercices): started and ended by the mairie or the police, one at a time per
commune, each one action and one event that every device showing reports receives.

While a drill runs, the shop's app sends its reports as part of it (the form's
`exercise` field, on by default during a drill, with « hors exercice » to send a real
one: docs/decisions.md, "Drills"); the server accepts the flag only while a drill runs,
keeps the report's link to it, and the statistics leave it out. A real report is never
turned into a drill by the server: only the reporter's app asks for it.
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError
from django.utils import timezone

from maillage.access.policy import Action, require
from maillage.errors import ApiError, Conflict, NotFound
from maillage.incidents.models import Exercise
from maillage.members.models import Membership
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.trust.models import Device
from maillage.wire import text

__all__ = ["end", "running", "start"]

MAX_NAME = 80
DEFAULT_NAME = "Exercice"


class NoExercise(ApiError):
    status = 400

    def __init__(self) -> None:
        super().__init__(
            "no_exercise",
            "Aucun exercice n'est en cours : ce signalement ne peut pas en faire partie. "
            "Rien n'a été enregistré.",
            field="exercise",
        )


def running(commune_id: int) -> Exercise | None:
    return Exercise.objects.filter(commune_id=commune_id, ended_at__isnull=True).first()


def _already(exercise: Exercise) -> Conflict:
    return Conflict(
        "exercise_running",
        f"Un exercice est déjà en cours (« {exercise.name} ») : terminez-le avant d'en "
        "commencer un autre.",
    )


def start(actor: Membership, device: Device | None, name: str | None) -> Exercise:
    """Start a drill named `name` (« Exercice » when empty); 409 if one is running."""
    require(actor, Action.RUN_EXERCISE, actor.commune)
    try:
        clean = text.check_text(name or "", max_length=MAX_NAME).strip() or DEFAULT_NAME
    except text.TextProblem as problem:
        raise ApiError("invalid_name", problem.sentence, field="name") from None
    current = running(actor.commune_id)
    if current is not None:
        raise _already(current)
    try:
        with action(
            Actor.member(actor, device),
            Action.RUN_EXERCISE,
            actor.commune,
            kind=Kind.EXERCISE_STARTED,
        ) as act:
            exercise = Exercise.objects.create(
                commune=actor.commune, name=clean, started_at=timezone.now(), started_by=actor
            )
            act.record(exercise, {"name": exercise.name})
    except IntegrityError:
        # Another operator started one at the same instant: the partial unique index decided.
        current = running(actor.commune_id)
        if current is None:
            raise
        raise _already(current) from None
    return exercise


def end(actor: Membership, device: Device | None, public_id: uuid.UUID) -> Exercise:
    """End the running drill; 404 for one of another commune, 409 for one already ended."""
    require(actor, Action.RUN_EXERCISE, actor.commune)
    exercise = Exercise.objects.filter(commune_id=actor.commune_id, public_id=public_id).first()
    if exercise is None:
        raise NotFound("Exercice introuvable.")
    with action(
        Actor.member(actor, device), Action.RUN_EXERCISE, actor.commune, kind=Kind.EXERCISE_ENDED
    ) as act:
        ended = Exercise.objects.filter(pk=exercise.pk, ended_at__isnull=True).update(
            ended_at=timezone.now(), ended_by=actor
        )
        if not ended:
            raise Conflict("exercise_ended", "Cet exercice est déjà terminé. Rien n'a été modifié.")
        exercise.refresh_from_db()
        act.record(exercise, {"name": exercise.name, "incidents": exercise.incidents.count()})
    return exercise

"""Neighbour alerts: sending, validation, refusal, « fin d'alerte » and expiry, each one
action appending one event (docs/decisions.md, "Neighbour alerts").

An alert is a broadcast sealed once to its sector's latest group-key generation (the
broadcasts domain checks and stores it) plus a `NeighbourAlert` row. A merchant's alert,
when the commune asks for validation (the default), is stored held back: only the police
and the reporting shop see it (`neighbour_alert.submitted`) until an operator validates
it (`neighbour_alert.validated`, delivered to the sector) or refuses it (deleted, row and
files; `neighbour_alert.refused` keeps only the fact). An alert the police write, or any
alert in a commune without validation, goes out at once (`neighbour_alert.sent`). An
active alert ends once (`neighbour_alert.ended`): by an operator, optionally with a
sealed message to the same sector, or at its expiry, claimed by the server's timer.
Every transition is a conditional UPDATE (`… WHERE status = <from>`), so two operators,
or an operator and the timer, or two server processes, never both win.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection
from django.utils import timezone

from maillage.access.policy import Action, may, require, visible
from maillage.broadcasts import actions as broadcasts
from maillage.broadcasts.models import Broadcast
from maillage.crisis import state as crisis
from maillage.errors import ApiError, Conflict, NotFound
from maillage.incidents import alert_limits
from maillage.incidents.models import Incident
from maillage.members.models import Membership
from maillage.neighbours import rules
from maillage.neighbours.models import EndReason, NeighbourAlert, Status
from maillage.stream.action import SYSTEM, Actor, action
from maillage.stream.kinds import Kind
from maillage.trust.models import Device

__all__ = ["Sent", "end", "expire_due", "refuse", "submit", "validate"]

EXPIRY_BATCH = 100


@dataclass(frozen=True)
class Sent:
    """The stored alert; `created` is False for an identical retry."""

    alert: NeighbourAlert
    created: bool


class NotASector(ApiError):
    status = 400

    def __init__(self) -> None:
        super().__init__(
            "invalid_scope",
            "Une alerte aux commerces voisins est scellée pour un secteur (« sector:<id> »).",
            field="envelope.scope",
        )


def _not_pending() -> Conflict:
    return Conflict(
        "alert_not_pending",
        "Cette alerte n'attend plus de validation : elle a déjà été validée ou terminée.",
    )


def _not_active(alert: NeighbourAlert) -> Conflict:
    if alert.status == Status.PENDING:
        return Conflict(
            "alert_not_active",
            "Cette alerte attend encore sa validation : validez-la ou refusez-la.",
        )
    return Conflict("alert_ended", "Cette alerte est déjà terminée.")


def _epoch(instant: datetime | None) -> int | None:
    return int(instant.timestamp()) if instant is not None else None


def _incident(actor: Membership, value: str | None) -> Incident | None:
    """The incident the alert relates to: one the sender may see (a merchant's own shop's)."""
    if value is None or value == "":
        return None
    try:
        public_id = uuid.UUID(str(value)[:64])
    except ValueError:
        raise ApiError(
            "invalid_incident", "Identifiant de signalement invalide.", field="incident"
        ) from None
    found = visible(actor, Incident).filter(public_id=public_id).first()
    if found is None:
        raise NotFound("Signalement introuvable.")
    return found


def lookup(actor: Membership, alert_id: uuid.UUID | str) -> NeighbourAlert:
    """An alert the actor may see: out (its sector's merchants, the police) or awaiting
    validation (the police, the reporting shop); any other looks absent."""
    try:
        public_id = uuid.UUID(str(alert_id))
    except ValueError:
        raise NotFound("Alerte introuvable.") from None
    alert = (
        NeighbourAlert.objects.select_related("commune", "sector", "shop")
        .filter(public_id=public_id)
        .first()
    )
    if alert is None or alert.commune_id != actor.commune_id:
        raise NotFound("Alerte introuvable.")
    right = (
        Action.VIEW_PENDING_NEIGHBOUR_ALERT
        if alert.status == Status.PENDING
        else Action.VIEW_NEIGHBOUR_ALERTS
    )
    if not may(actor, right, alert):
        raise NotFound("Alerte introuvable.")
    return alert


def submit(
    actor: Membership,
    device: Device | None,
    upload: broadcasts.Upload,
    incident_id: str | None = None,
) -> Sent:
    """Store a neighbour alert sealed to a sector's latest generation: held for validation
    (a shop's, when the commune asks for it) or out at once; or refuse, storing nothing."""
    require(actor, Action.SEND_NEIGHBOUR_ALERT)
    prepared = broadcasts.prepare(actor, device, upload, Action.SEND_NEIGHBOUR_ALERT)
    sector = prepared.scope.sector
    if sector is None:
        raise NotASector
    assert device is not None
    incident = _incident(actor, incident_id)
    found = broadcasts.retried(prepared, device)
    if found is not None:
        return _retry(found.broadcast, incident)
    settings = rules.for_commune(actor.commune)
    # In « mode crise » every shop's alert goes through the police, whatever the setting.
    validation = settings.neighbour_validation or crisis.is_on(actor.commune)
    held = validation and not may(actor, Action.VALIDATE_NEIGHBOUR_ALERT)
    written: list[str] = []
    try:
        with action(
            Actor.member(actor, device),
            Action.SEND_NEIGHBOUR_ALERT,
            sector,
            kind=Kind.NEIGHBOUR_ALERT_SUBMITTED if held else Kind.NEIGHBOUR_ALERT_SENT,
        ) as act:
            # A shop's alerts count against the commune's limits (per device, per shop),
            # in this transaction; the police's do not (they stand alerts down).
            if actor.shop is not None:
                alert_limits.count_alert(settings, actor, device, rules.LIMITS)
            broadcast = broadcasts.store(actor, device, prepared, written, held=held)
            now = timezone.now()
            alert = NeighbourAlert.objects.create(
                public_id=broadcast.public_id,
                commune=actor.commune,
                sector=sector,
                shop=actor.shop,
                broadcast=broadcast,
                incident=incident,
                status=Status.PENDING if held else Status.ACTIVE,
                activated_at=None if held else now,
                expires_at=None
                if held
                else now + timedelta(minutes=settings.neighbour_expiry_minutes),
            )
            payload: dict[str, Any] = {
                "scope": alert.scope,
                "number": broadcast.group_key.number,
                "incident": str(incident.public_id) if incident is not None else None,
                "attachments": prepared.attachments,
            }
            if not held:
                payload["expires_at"] = _epoch(alert.expires_at)
            act.record(alert, payload)
    except alert_limits.AlertLimited as refusal:
        broadcasts.discard(written)
        # Rolled back; the window's first refusal tells the police (alert_limit.reached).
        alert_limits.refused(actor, device, refusal)
        raise
    except IntegrityError:
        broadcasts.discard(written)
        return _retry(broadcasts.after_conflict(prepared, device).broadcast, incident)
    except BaseException:
        broadcasts.discard(written)
        raise
    return Sent(alert, created=True)


def _retry(broadcast: Broadcast, incident: Incident | None) -> Sent:
    alert = NeighbourAlert.objects.filter(broadcast=broadcast).first()
    if alert is None or alert.incident_id != (incident.pk if incident else None):
        raise Conflict(
            "broadcast_conflict",
            "Une autre diffusion porte déjà cet identifiant.",
            field="envelope",
        )
    return Sent(alert, created=False)


def validate(actor: Membership, device: Device | None, alert_id: uuid.UUID | str) -> NeighbourAlert:
    """One click: the held alert goes out to its sector now, and expires after the
    commune's time counted from now. A second click (or a second operator) changes
    nothing and gets the alert as it stands."""
    alert = lookup(actor, alert_id)
    with action(
        Actor.member(actor, device),
        Action.VALIDATE_NEIGHBOUR_ALERT,
        alert,
        kind=Kind.NEIGHBOUR_ALERT_VALIDATED,
    ) as act:
        now = timezone.now()
        minutes = rules.for_commune(actor.commune).neighbour_expiry_minutes
        expires = now + timedelta(minutes=minutes)
        claimed = NeighbourAlert.objects.filter(pk=alert.pk, status=Status.PENDING).update(
            status=Status.ACTIVE, activated_at=now, expires_at=expires, validated_by=actor
        )
        if not claimed:
            act.unchanged()
        else:
            Broadcast.objects.filter(pk=alert.broadcast_id).update(held=False)
            alert.refresh_from_db()
            act.record(
                alert,
                {
                    "scope": alert.scope,
                    "number": alert.broadcast.group_key.number,
                    "expires_at": _epoch(alert.expires_at),
                },
            )
    if not claimed:
        alert.refresh_from_db()
        if alert.status == Status.PENDING:  # pragma: no cover - a concurrent refusal
            raise _not_pending()
    return alert


def refuse(actor: Membership, device: Device | None, alert_id: uuid.UUID | str) -> None:
    """One click: the held alert is deleted, content included (its broadcast's row and
    sealed files); the event records only that an alert of that sector was refused."""
    alert = lookup(actor, alert_id)
    if alert.status != Status.PENDING:
        raise _not_pending()
    with action(
        Actor.member(actor, device),
        Action.VALIDATE_NEIGHBOUR_ALERT,
        alert,
        kind=Kind.NEIGHBOUR_ALERT_REFUSED,
    ) as act:
        deleted, _ = NeighbourAlert.objects.filter(pk=alert.pk, status=Status.PENDING).delete()
        if not deleted:
            raise _not_pending()
        broadcast = Broadcast.objects.filter(pk=alert.broadcast_id).first()
        if broadcast is not None:
            broadcasts.delete(broadcast)
        act.record(alert, {"scope": alert.scope})


def end(
    actor: Membership,
    device: Device | None,
    alert_id: uuid.UUID | str,
    upload: broadcasts.Upload | None = None,
) -> NeighbourAlert:
    """« Fin d'alerte » by an operator: the active alert ends now, for every device that
    received it; `upload`, if given, is a short message sealed to the same sector."""
    alert = lookup(actor, alert_id)
    require(actor, Action.END_NEIGHBOUR_ALERT, alert)
    if alert.status != Status.ACTIVE:
        raise _not_active(alert)
    prepared = None
    if upload is not None:
        prepared = broadcasts.prepare(actor, device, upload, Action.SEND_NEIGHBOUR_ALERT)
        if prepared.scope.name != alert.scope:
            raise ApiError(
                "wrong_scope",
                "Le message de fin d'alerte doit être scellé pour le secteur de l'alerte.",
                field="envelope.scope",
            )
    written: list[str] = []
    try:
        with action(
            Actor.member(actor, device),
            Action.END_NEIGHBOUR_ALERT,
            alert,
            kind=Kind.NEIGHBOUR_ALERT_ENDED,
        ) as act:
            claimed = NeighbourAlert.objects.filter(pk=alert.pk, status=Status.ACTIVE).update(
                status=Status.ENDED,
                ended_at=timezone.now(),
                end_reason=EndReason.OPERATOR,
                ended_by=actor,
            )
            if not claimed:
                alert.refresh_from_db()
                raise _not_active(alert)
            message = None
            if prepared is not None and device is not None:
                message = broadcasts.store(actor, device, prepared, written)
                NeighbourAlert.objects.filter(pk=alert.pk).update(end_broadcast=message)
            alert.refresh_from_db()
            act.record(
                alert,
                {
                    "scope": alert.scope,
                    "reason": EndReason.OPERATOR.value,
                    "message": str(message.public_id) if message is not None else None,
                },
            )
    except IntegrityError:
        broadcasts.discard(written)
        raise Conflict(
            "broadcast_conflict",
            "Une autre diffusion porte déjà cet identifiant.",
            field="envelope",
        ) from None
    except BaseException:
        broadcasts.discard(written)
        raise
    return alert


def _claim_expired(pk: int, now: datetime) -> bool:
    """End one due alert, once across processes: on PostgreSQL its row is taken with
    `FOR UPDATE SKIP LOCKED` (another process busy with it skips it); everywhere, the
    `UPDATE … WHERE status = 'active'` decides (SQLite serialises writers)."""
    with action(SYSTEM, None, kind=Kind.NEIGHBOUR_ALERT_ENDED) as act:
        due = NeighbourAlert.objects.filter(pk=pk, status=Status.ACTIVE, expires_at__lte=now)
        locking = connection.features.has_select_for_update_skip_locked
        taken = due.select_for_update(skip_locked=True).values_list("pk", flat=True)
        if locking and not list(taken):
            act.unchanged()
            return False
        if not due.update(status=Status.ENDED, ended_at=now, end_reason=EndReason.EXPIRED):
            act.unchanged()
            return False
        alert = NeighbourAlert.objects.select_related("commune").get(pk=pk)
        act.record(
            alert, {"scope": alert.scope, "reason": EndReason.EXPIRED.value, "message": None}
        )
        return True


def expire_due(now: datetime | None = None) -> int:
    """The server's timer: end every active alert whose time is up; how many this call
    ended (another process may have ended some of the same ones: each ends once)."""
    now = now or timezone.now()
    ended = 0
    while True:
        due = list(
            NeighbourAlert.objects.filter(status=Status.ACTIVE, expires_at__lte=now)
            .order_by("expires_at", "pk")
            .values_list("pk", flat=True)[:EXPIRY_BATCH]
        )
        if not due:
            return ended
        claimed = [pk for pk in due if _claim_expired(pk, now)]
        ended += len(claimed)
        # A short batch was the last; one where another process took everything is its.
        if len(due) < EXPIRY_BATCH or not claimed:
            return ended

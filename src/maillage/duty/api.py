"""JSON API of duty hours and fallback (/api/v1/duty; docs/decisions.md, "Duty hours and
fallback"): the coordinator sets them, the police reads them, every member asks whether
the police can be reached now."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from maillage.access.policy import Action, require
from maillage.duty import actions, fallback, reachability, schedule
from maillage.duty.schemas import (
    FallbackIn,
    FallbackOut,
    ReachabilityOut,
    ScheduleIn,
    ScheduleOut,
    partner_out,
)
from maillage.errors import Unauthenticated
from maillage.members.auth import member_auth, session_device
from maillage.members.models import Membership
from maillage.members.schemas import errors
from maillage.stream.action import Actor

router = Router(tags=["duty"], auth=member_auth)


def _actor(request: HttpRequest) -> Membership:
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Membership):
        raise Unauthenticated()
    return actor


def _schedule_out(actor: Membership, current: dict[str, Any]) -> dict[str, Any]:
    return {
        **current,
        "timezone": schedule.TIMEZONE.key,
        "default": actions.is_default(actor.commune),
        "on_duty": reachability.on_duty(actor.commune),
    }


@router.get(
    "/schedule",
    response={200: ScheduleOut, **errors(403)},
    summary="Horaires de service de la police municipale (semaine type et exceptions)",
)
def get_schedule(request: HttpRequest) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.VIEW_DUTY, actor.commune)
    return _schedule_out(actor, actions.current(actor.commune))


@router.put(
    "/schedule",
    response={200: ScheduleOut, **errors(400, 403, 422)},
    summary="Fixer les horaires de service (rien n'est enregistré en cas de refus)",
)
def put_schedule(request: HttpRequest, payload: ScheduleIn) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.MANAGE_DUTY, actor.commune)
    stored = actions.set_schedule(
        Actor.member(actor, session_device(request)), actor.commune, payload.dict()
    )
    return _schedule_out(actor, stored)


@router.get(
    "/reachability",
    response={200: ReachabilityOut, **errors(403)},
    summary="La police municipale est-elle joignable maintenant ?",
)
def get_reachability(request: HttpRequest) -> dict[str, bool]:
    actor = _actor(request)
    require(actor, Action.VIEW_REACHABILITY, actor.commune)
    return reachability.status(actor.commune).as_dict()


def _fallback_out(actor: Membership) -> dict[str, Any]:
    return {
        "recipients": [partner_out(m) for m in fallback.configured(actor.commune)],
        "candidates": [partner_out(m) for m in fallback.candidates(actor.commune)],
    }


@router.get(
    "/fallback",
    response={200: FallbackOut, **errors(403)},
    summary="Destinataires de repli (partenaires) quand la police n'est pas joignable",
)
def get_fallback(request: HttpRequest) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.VIEW_DUTY, actor.commune)
    return _fallback_out(actor)


@router.put(
    "/fallback",
    response={200: FallbackOut, **errors(400, 403, 422)},
    summary="Choisir les destinataires de repli (membres partenaires de la commune)",
)
def put_fallback(request: HttpRequest, payload: FallbackIn) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.MANAGE_DUTY, actor.commune)
    actions.set_recipients(
        Actor.member(actor, session_device(request)), actor.commune, payload.recipients
    )
    return _fallback_out(actor)

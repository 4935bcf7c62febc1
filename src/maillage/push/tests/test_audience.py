"""Who is woken for what (push/audience.py), kind by kind and role by role: the rule is a
pure function of the event and the member, so it is checked on plain values."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from maillage.access.roles import Role
from maillage.push.audience import wants
from maillage.stream.kinds import Kind

SHOP, OTHER_SHOP = 10, 11


def member(role: str, shop: int | None = None, pk: int = 1) -> Any:
    return SimpleNamespace(pk=pk, role=role, shop_id=shop, public_id=uuid.uuid4())


def event(kind: Kind, shop: int | None = SHOP, actor: int = 99, **payload: Any) -> Any:
    return SimpleNamespace(kind=kind.value, shop_id=shop, actor_id=actor, payload=payload)


MERCHANT = member(Role.MERCHANT, SHOP)
NEIGHBOUR = member(Role.MERCHANT, OTHER_SHOP)
OPERATOR = member(Role.OPERATOR)
AGENT = member(Role.AGENT)
COORDINATOR = member(Role.COORDINATOR)


@pytest.mark.parametrize(
    ("kind", "actor_role", "woken"),
    [
        (Kind.INCIDENT_REPORTED, Role.MERCHANT, {"operator"}),
        (Kind.INCIDENT_TAKEN, Role.OPERATOR, {"merchant"}),
        (Kind.INCIDENT_DOUBT_LIFTED, Role.OPERATOR, {"merchant"}),
        (Kind.INCIDENT_ON_SITE, Role.AGENT, {"merchant"}),
        (Kind.INCIDENT_ESCALATED, None, {"operator", "merchant"}),
        (Kind.MESSAGE_POSTED, Role.MERCHANT, {"operator"}),
        (Kind.MESSAGE_POSTED, Role.OPERATOR, {"merchant"}),
        (Kind.NEIGHBOUR_ALERT_SUBMITTED, Role.MERCHANT, {"operator"}),
        (Kind.NEIGHBOUR_ALERT_VALIDATED, Role.OPERATOR, {"neighbour"}),
        (Kind.NEIGHBOUR_ALERT_ENDED, None, {"neighbour"}),
        (Kind.NOTE_POSTED, Role.OPERATOR, {"agent"}),
        (Kind.DISPATCH_STATUS_CHANGED, Role.AGENT, set()),
        (Kind.SHOP_UPDATED, Role.COORDINATOR, set()),
    ],
)
def test_who_is_woken(kind: Kind, actor_role: str | None, woken: set[str]) -> None:
    everyone = {
        "merchant": MERCHANT,
        "neighbour": NEIGHBOUR,
        "operator": OPERATOR,
        "agent": AGENT,
        "coordinator": COORDINATOR,
    }
    got = {name for name, m in everyone.items() if wants(event(kind), m, actor_role)}
    assert got == woken


def test_agents_are_woken_when_named_only() -> None:
    named = event(Kind.INCIDENT_DISPATCHED, agents=[str(AGENT.public_id)])
    assert wants(named, AGENT, Role.OPERATOR)
    assert not wants(event(Kind.INCIDENT_DISPATCHED, agents=[]), AGENT, Role.OPERATOR)
    released = event(Kind.INCIDENT_CLOSED, released=[str(AGENT.public_id)])
    assert wants(released, AGENT, Role.OPERATOR)
    # The shop sees its patrol sent (« Patrouille envoyée »).
    assert wants(named, MERCHANT, Role.OPERATOR)


def test_a_supervisor_named_in_an_escalation_is_woken() -> None:
    escalated = event(Kind.INCIDENT_ESCALATED, supervisors=[str(COORDINATOR.public_id)])
    assert wants(escalated, COORDINATOR, None)
    assert not wants(event(Kind.INCIDENT_ESCALATED, supervisors=[]), COORDINATOR, None)


def test_nobody_is_woken_by_their_own_act() -> None:
    own = event(Kind.INCIDENT_REPORTED, actor=OPERATOR.pk)
    assert not wants(own, OPERATOR, Role.OPERATOR)

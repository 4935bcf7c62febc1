"""The access policy: the one place that answers "may this member do this to that object".

Every view, API endpoint and CLI action asks `require(actor, action, target)`. Rules are
role-based and always bounded by the actor's commune; merchants are further bounded by
their own shop. The authorisation-matrix test walks every endpoint × role × commune.
"""

from __future__ import annotations

import enum
from typing import Protocol

from maillage.errors import Forbidden, NotFound
from maillage.members.models import Membership, MembershipStatus, Role


class Action(enum.StrEnum):
    VIEW_TERRITORY = "territory.view"
    MANAGE_TERRITORY = "territory.manage"
    VIEW_SHOP = "territory.view_shop"
    INVITE_MEMBER = "members.invite"
    VIEW_MEMBERS = "members.view"
    MANAGE_MEMBER = "members.manage"
    CERTIFY_DEVICE = "trust.certify_device"
    VIEW_DIRECTORY = "trust.view_directory"


_ALL_ROLES = frozenset(Role)

RULES: dict[Action, frozenset[Role]] = {
    Action.VIEW_TERRITORY: frozenset(
        {Role.COORDINATOR, Role.OPERATOR, Role.AGENT, Role.REFERENT, Role.MERCHANT, Role.DPO}
    ),
    Action.MANAGE_TERRITORY: frozenset({Role.COORDINATOR}),
    Action.VIEW_SHOP: frozenset(
        {Role.COORDINATOR, Role.OPERATOR, Role.AGENT, Role.REFERENT, Role.MERCHANT}
    ),
    Action.INVITE_MEMBER: frozenset({Role.COORDINATOR}),
    Action.VIEW_MEMBERS: frozenset({Role.COORDINATOR, Role.REFERENT, Role.DPO}),
    Action.MANAGE_MEMBER: frozenset({Role.COORDINATOR}),
    Action.CERTIFY_DEVICE: frozenset({Role.COORDINATOR}),
    Action.VIEW_DIRECTORY: _ALL_ROLES - {Role.OBSERVER},
}

SHOP_BOUND_ACTIONS = frozenset({Action.VIEW_SHOP})


class CommuneScoped(Protocol):
    commune_id: int


def may(actor: Membership | None, action: Action, target: object | None = None) -> bool:
    if actor is None or actor.status != MembershipStatus.ACTIVE:
        return False
    if Role(actor.role) not in RULES[action]:
        return False
    if target is None:
        return True
    if getattr(target, "commune_id", None) != actor.commune_id:
        return False
    if action in SHOP_BOUND_ACTIONS and actor.role == Role.MERCHANT:
        return getattr(target, "pk", None) == actor.shop_id
    return True


def require(actor: Membership | None, action: Action, target: object | None = None) -> None:
    """Raise a structured refusal; objects of another commune look absent, not forbidden."""
    if may(actor, action, target):
        return
    if (
        target is not None
        and actor is not None
        and getattr(target, "commune_id", None) != actor.commune_id
    ):
        raise NotFound()
    raise Forbidden()

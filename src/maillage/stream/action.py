"""The action helper: every state change runs inside one, and leaves exactly one event.

    with action(actor, Action.MANAGE_TERRITORY, commune, kind=Kind.SHOP_CREATED) as act:
        shop = Shop.objects.create(...)
        act.record(shop, {"enseigne": ..., "sector": ..., "activity": ...})

`action` opens `transaction.atomic()`, asks the policy (for a member; the mairie's own
machine is trusted, it holds the root key), runs the block, and checks on the way out
that the block recorded exactly one event. An action that changed nothing (an identical
retry, a refused import) says so with `act.unchanged()`; forgetting both is a bug, and
raises, rolling the change back. Actions may call other actions: each leaves its own event.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from maillage.access.policy import Action, require
from maillage.errors import Forbidden
from maillage.stream.kinds import SPECS, Kind
from maillage.stream.log import append_event
from maillage.stream.models import ActorKind, Event

if TYPE_CHECKING:
    from maillage.members.models import Membership
    from maillage.territory.models import Commune, Shop
    from maillage.trust.models import Device


class ActionError(RuntimeError):
    """A programming error in an action: it recorded no event, or two."""


@dataclass(frozen=True)
class Actor:
    """Who acts: a member (with the session's device when there is one), or, without a
    membership, the mairie's CLI, the demo seeding, an invitee's link or a server timer."""

    kind: ActorKind
    membership: Membership | None = None
    device: Device | None = None

    def __post_init__(self) -> None:
        if (self.kind == ActorKind.MEMBER) != (self.membership is not None):
            raise ValueError("Un acteur membre a une adhésion ; les autres n'en ont pas.")
        if self.device is not None and (
            self.membership is None or self.device.membership_id != self.membership.pk
        ):
            raise ValueError("L'appareil de l'acteur doit appartenir à son adhésion.")

    @classmethod
    def member(cls, membership: Membership, device: Device | None = None) -> Actor:
        return cls(ActorKind.MEMBER, membership, device)


CLI = Actor(ActorKind.CLI)
DEMO = Actor(ActorKind.DEMO)
INVITEE = Actor(ActorKind.INVITEE)
SYSTEM = Actor(ActorKind.SYSTEM)


class Act:
    """The open action: `record` its one event, or declare it `unchanged`."""

    def __init__(self, actor: Actor, kind: Kind) -> None:
        self.actor = actor
        self.kind = kind
        self.event: Event | None = None
        self._unchanged = False

    def record(
        self,
        target: models.Model,
        payload: dict[str, Any],
        *,
        member: Membership | None = None,
        shop: Shop | None = None,
    ) -> Event:
        """Append the event. The commune, the member it is about and the shop it belongs
        to are read from the target (a Commune is its own commune) unless given."""
        if self.event is not None or self._unchanged:
            raise ActionError(f"{self.kind}: une action n'ajoute qu'un seul événement.")
        spec = SPECS[self.kind]
        if target._meta.model_name != spec.target:
            raise ActionError(f"{self.kind}: la cible doit être un(e) {spec.target}.")
        commune = _commune_of(target)
        membership = self.actor.membership
        if membership is not None and membership.commune_id != commune.pk:
            raise ActionError(f"{self.kind}: un membre n'agit que dans sa commune.")
        if member is None:
            member = _self_or_related(target, "members.membership", "membership")
        if shop is None:
            shop = _self_or_related(target, "territory.shop", "shop")
        device = self.actor.device
        self.event = append_event(
            commune=commune,
            kind=self.kind,
            actor_kind=self.actor.kind,
            actor=self.actor.membership,
            actor_device=str(device.public_id) if device is not None else None,
            target_type=spec.target,
            target_id=str(getattr(target, "public_id", None) or target.pk),
            member=member,
            shop=shop,
            payload=payload,
        )
        return self.event

    def unchanged(self) -> None:
        """Nothing changed (an identical retry, a refusal reported as a result): no event."""
        if self.event is not None:
            raise ActionError(f"{self.kind}: déjà enregistrée, elle a donc changé quelque chose.")
        self._unchanged = True

    def _finish(self) -> None:
        if self.event is None and not self._unchanged:
            raise ActionError(f"{self.kind}: l'action n'a enregistré aucun événement.")


def _is(target: models.Model, label: str) -> bool:
    """Model identity by label: the log sits below the domains whose models it records."""
    return target._meta.label_lower == label


def _self_or_related(target: models.Model, label: str, name: str) -> Any:
    """The target itself if it is of that model, else its `name` relation (or None)."""
    return target if _is(target, label) else _related(target, name)


def _commune_of(target: models.Model) -> Commune:
    if _is(target, "territory.commune"):
        return target  # type: ignore[return-value]
    owner = _related(target, "commune")
    return owner if owner is not None else _related(target, "membership").commune


def _related(target: models.Model, name: str) -> Any:
    """The target's `name` relation if its model has one (a Device's membership, an
    Incident's shop), else None."""
    field_names = {field.name for field in target._meta.get_fields()}
    return getattr(target, name) if name in field_names else None


@contextmanager
def action(
    actor: Actor, permission: Action | None, target: object | None = None, *, kind: Kind
) -> Iterator[Act]:
    """One transaction, one policy check, one event. `permission` None marks an action
    only the mairie's machine may take (creating a commune): a member is refused."""
    with transaction.atomic():
        if actor.membership is not None:
            if permission is None:
                raise Forbidden()
            require(actor.membership, permission, target)
        act = Act(actor, kind)
        yield act
        act._finish()

"""Requests of the group-key and broadcast routes for the authorisation matrix.

`members/tests/test_authorisation_matrix.py` calls these with its `Ctx` (client, persona,
home commune, targets of the commune under test). Allowed calls are real: generations and
grants signed, broadcasts sealed, by the persona's own certified device.
"""

from __future__ import annotations

from typing import Any

from maillage.members.models import MembershipStatus, Role
from maillage.members.tests import factory
from maillage.territory.models import Commune
from maillage.trust import directory
from maillage.trust.models import Device
from maillage.trust.tests import group_key_factory as keys

Request = tuple[str, dict[str, Any]]
HOLDER_ROLES = {Role.OPERATOR, Role.MERCHANT}


def _certified(persona: factory.Persona | None) -> bool:
    return (
        persona is not None
        and persona.maybe_device is not None
        and persona.membership.status == MembershipStatus.ACTIVE
        and directory.current_certificate(persona.device) is not None
    )


def _entitled(persona: factory.Persona | None) -> tuple[Device, ...]:
    """The persona's device if the commune key may be granted to it."""
    if persona is None or persona.membership.role not in HOLDER_ROLES or not _certified(persona):
        return ()
    return (persona.device,)


def _generation(
    ctx: Any, commune: Commune | None = None
) -> tuple[factory.Persona, keys.Generation]:
    """Generation 1 of the commune key, by another operator, granted to the persona too."""
    commune = commune or ctx.home
    holder = factory.make_member(Role.OPERATOR, commune)
    others = _entitled(ctx.persona) if commune == ctx.home else ()
    return holder, keys.publish(holder, 1, others=others)


def with_generation(path: str) -> Any:
    def build(ctx: Any) -> Request:
        _generation(ctx)
        return path, {}

    return build


def publish(ctx: Any) -> Request:
    signer = (
        ctx.persona if _certified(ctx.persona) else factory.make_member(Role.OPERATOR, ctx.home)
    )
    generation = keys.new_generation(signer, 1)
    own = keys.grant(signer, generation, signer.device)
    return "/api/v1/group-keys", keys.publish_payload(generation, [own])


def add_grants(ctx: Any) -> Request:
    holder, generation = _generation(ctx)
    newcomer = factory.make_member(Role.MERCHANT, ctx.home)
    granter = ctx.persona if _certified(ctx.persona) else holder
    grant = keys.grant(granter, generation, newcomer.device)
    return "/api/v1/group-keys/grants", {
        "data": {"grants": [grant.to_wire()]},
        "content_type": "application/json",
    }


def send(ctx: Any) -> Request:
    holder, generation = _generation(ctx)
    sender = ctx.persona if _certified(ctx.persona) else holder
    return "/api/v1/broadcasts", keys.multipart(keys.seal(sender, generation))


def _target_broadcast(ctx: Any) -> str:
    """A broadcast with one sealed attachment in the targets' commune."""
    holder, generation = _generation(ctx, ctx.targets.commune)
    sealed = keys.seal(holder, generation, attachments=[b"cible scellee" * 20])
    response = holder.client().post("/api/v1/broadcasts", **keys.multipart(sealed))
    assert response.status_code == 201, response.content
    broadcast = keys.broadcast_id(sealed)
    ctx.targets.ids.add(broadcast)
    return broadcast


def list_broadcasts(ctx: Any) -> Request:
    _target_broadcast(ctx)
    return "/api/v1/broadcasts", {}


def attachment(ctx: Any) -> Request:
    return f"/api/v1/broadcasts/{_target_broadcast(ctx)}/attachments/1", {}

"""Requests of the neighbour-alert routes for the authorisation matrix
(`members/tests/test_authorisation_matrix.py`, its `Ctx`). Allowed calls are real: the
sector's key published by an operator, alerts sealed by the persona's own device."""

from __future__ import annotations

from typing import Any

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.territory.models import Commune, Sector
from maillage.territory.tests import factory as territory_factory
from maillage.trust.models import Device
from maillage.trust.tests import group_key_factory as keys

from .helpers import ALERTS

Request = tuple[str, dict[str, Any]]


def _certified(persona: factory.Persona | None) -> bool:
    from maillage.broadcasts.tests.matrix_builders import _certified as certified

    return certified(persona)


def _sector(ctx: Any, commune: Commune) -> Sector:
    """The persona's own sector for a merchant of this commune, else a new one."""
    persona = ctx.persona
    if (
        commune == ctx.home
        and persona is not None
        and persona.membership.shop is not None
        and persona.membership.role == Role.MERCHANT
    ):
        return persona.membership.shop.sector
    return territory_factory.make_sector(commune)


def _generation(ctx: Any, commune: Commune) -> tuple[factory.Persona, keys.Generation]:
    """Generation 1 of a sector key by an operator of `commune`, granted to the persona
    too when it may hold it."""
    sector = _sector(ctx, commune)
    holder = factory.make_member(Role.OPERATOR, commune)
    others: tuple[Device, ...] = ()
    if commune == ctx.home and _certified(ctx.persona):
        role = ctx.persona.membership.role
        if role == Role.OPERATOR or (
            role == Role.MERCHANT and ctx.persona.membership.shop.sector_id == sector.pk
        ):
            others = (ctx.persona.device,)
    return holder, keys.publish(holder, 1, others=others, scope=f"sector:{sector.pk}")


def send(ctx: Any) -> Request:
    holder, generation = _generation(ctx, ctx.home)
    sender = ctx.persona if _certified(ctx.persona) else holder
    return ALERTS, keys.multipart(keys.seal(sender, generation))


def _alert(ctx: Any, *, pending: bool = False, attachment: bool = False) -> str:
    """An alert in the targets' commune: active (from its police), or awaiting validation
    (from a shop of the sector)."""
    commune = ctx.targets.commune
    holder, generation = _generation(ctx, commune)
    sender = holder
    if pending:
        sector = int(generation.scope.removeprefix("sector:"))
        shop = territory_factory.make_shop(commune, Sector.objects.get(pk=sector))
        sender = factory.make_member(Role.MERCHANT, commune, shop)
    sealed = keys.seal(
        sender, generation, attachments=[b"cible scellee" * 20] if attachment else []
    )
    response = sender.client().post(ALERTS, **keys.multipart(sealed))
    assert response.status_code == 201, response.content
    alert = keys.broadcast_id(sealed)
    ctx.targets.ids.add(alert)
    return alert


def list_alerts(ctx: Any) -> Request:
    _alert(ctx)
    return ALERTS, {}


def get_alert(ctx: Any) -> Request:
    return f"{ALERTS}/{_alert(ctx)}", {}


def validate(ctx: Any) -> Request:
    return f"{ALERTS}/{_alert(ctx, pending=True)}/validate", {}


def refuse(ctx: Any) -> Request:
    return f"{ALERTS}/{_alert(ctx, pending=True)}/refuse", {}


def end(ctx: Any) -> Request:
    return f"{ALERTS}/{_alert(ctx)}/end", {}


def attachment(ctx: Any) -> Request:
    return f"{ALERTS}/{_alert(ctx, attachment=True)}/attachments/1", {}

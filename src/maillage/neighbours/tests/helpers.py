"""A commune with two sectors for the neighbour-alert tests: in sector A a reporting shop
and a neighbour, in sector B another shop, and an operator holding both sectors' keys;
alerts sealed with the Python wire code and opened as a merchant's device would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.territory.models import Commune, Sector
from maillage.territory.tests import factory as territory_factory
from maillage.trust.tests import group_key_factory as keys
from maillage.trust.tests.test_group_keys_api import open_my_grant, trust
from maillage.wire import broadcast

ALERTS = "/api/v1/neighbours/alerts"


@dataclass
class Street:
    commune: Commune
    sector_a: Sector
    sector_b: Sector
    operator: factory.Persona
    reporter: factory.Persona
    neighbour: factory.Persona
    far: factory.Persona
    key_a: keys.Generation
    key_b: keys.Generation

    @property
    def scope_a(self) -> str:
        return f"sector:{self.sector_a.pk}"

    @property
    def scope_b(self) -> str:
        return f"sector:{self.sector_b.pk}"


def make_street() -> Street:
    commune = factory.make_commune()
    sector_a = territory_factory.make_sector(commune, name="Centre")
    sector_b = territory_factory.make_sector(commune, name="Gare")
    operator = factory.make_member(Role.OPERATOR, commune)

    def shop_in(sector: Sector, name: str) -> factory.Persona:
        shop = territory_factory.make_shop(commune, sector, enseigne=name)
        return factory.make_member(Role.MERCHANT, commune, shop)

    reporter = shop_in(sector_a, "Boulangerie du Centre")
    neighbour = shop_in(sector_a, "Tabac du Centre")
    far = shop_in(sector_b, "Fleuriste de la Gare")
    key_a = keys.publish(
        operator, scope=f"sector:{sector_a.pk}", others=(reporter.device, neighbour.device)
    )
    key_b = keys.publish(operator, scope=f"sector:{sector_b.pk}", others=(far.device,))
    return Street(commune, sector_a, sector_b, operator, reporter, neighbour, far, key_a, key_b)


def send(
    persona: factory.Persona,
    generation: keys.Generation,
    text: str = "Vol à l'étalage, deux personnes parties vers la gare.",
    *,
    incident: str | None = None,
    attachments: list[bytes] | None = None,
) -> Any:
    sealed = keys.seal(persona, generation, text, attachments=attachments)
    form = keys.multipart(sealed)
    if incident is not None:
        form["data"]["incident"] = incident
    return persona.client().post(ALERTS, **form)


def open_alert(persona: factory.Persona, item: dict[str, Any]) -> broadcast.OpenedBroadcast:
    """Open an alert's sealed broadcast as the persona's device does."""
    sealed = item["broadcast"]
    private = open_my_grant(persona, sealed["scope"])
    parts = []
    for part in sealed["attachments"]:
        response = persona.client().get(f"{ALERTS}/{item['id']}/attachments/{part['index']}")
        assert response.status_code == 200, response.content
        parts.append(response.content)
    return broadcast.open_broadcast(
        sealed["envelope"],
        parts,
        broadcast.BroadcastBinding(
            str(persona.commune.public_id), sealed["scope"], sealed["broadcast"]
        ),
        broadcast.GroupOpener(sealed["scope"], sealed["number"], private),
        trust(persona.commune),
    )


def listed(persona: factory.Persona) -> list[dict[str, Any]]:
    response = persona.client().get(ALERTS)
    assert response.status_code == 200, response.content
    return list(response.json())

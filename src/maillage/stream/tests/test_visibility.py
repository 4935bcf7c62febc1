"""Who sees which event: commune, own shop for a merchant, the member it is about."""

from __future__ import annotations

from pathlib import Path

import pytest

from maillage.incidents.tests.conftest import media  # noqa: F401 - fixture
from maillage.incidents.tests.helpers import make_incident
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.models import Event
from maillage.stream.tests.helpers import events
from maillage.stream.visibility import visible_to
from maillage.territory.models import Commune
from maillage.trust.tests.test_api_revocations import signed_draft

pytestmark = pytest.mark.django_db


def seers(event: Event, people: dict[str, factory.Persona]) -> set[str]:
    return {name for name, persona in people.items() if visible_to(event, persona.membership)}


@pytest.fixture
def people(commune: Commune) -> dict[str, factory.Persona]:
    cast = factory.make_cast(commune, outsider_role=Role.OPERATOR)
    return {
        "merchant": cast[Role.MERCHANT],
        "neighbour": factory.make_member(Role.MERCHANT, commune),
        "operator": cast[Role.OPERATOR],
        "coordinator": cast[Role.COORDINATOR],
        "observer": cast[Role.OBSERVER],
        "outsider": cast.outsider,
    }


def test_an_incident_is_seen_by_the_police_and_its_own_shop_only(
    media: Path,  # noqa: F811
    commune: Commune,
    people: dict[str, factory.Persona],
) -> None:
    make_incident(people["merchant"])
    event = events(commune)[-1]
    assert event.kind == "incident.reported"
    assert seers(event, people) == {"merchant", "operator"}


def test_a_shop_is_seen_by_its_merchant_not_the_neighbour(
    commune: Commune, people: dict[str, factory.Persona]
) -> None:
    shop_events = [event for event in events(commune) if event.kind == "shop.created"]
    neighbour_shop = next(
        e for e in shop_events if e.shop_id == people["neighbour"].membership.shop_id
    )
    assert seers(neighbour_shop, people) == {"neighbour", "operator", "coordinator"}


def test_the_member_an_event_is_about_sees_it_while_live(
    commune: Commune, people: dict[str, factory.Persona]
) -> None:
    """The real suspension's event: hidden from its subject while suspended, seen again
    once reinstated."""
    coordinator, merchant = people["coordinator"], people["merchant"]
    signed = signed_draft(coordinator, f"member={merchant.membership.public_id}&action=suspend")
    url = f"/api/v1/members/{merchant.membership.public_id}"
    suspended = coordinator.client().post(f"{url}/suspend", signed, "application/json")
    assert suspended.status_code == 200, suspended.json()
    event = events(commune)[-1]
    assert (event.kind, event.member) == ("member.suspended", merchant.membership)
    merchant.refresh()
    assert seers(event, people) == {"coordinator"}
    assert coordinator.client().post(f"{url}/reinstate").status_code == 200
    merchant.refresh()
    assert seers(event, people) == {"merchant", "coordinator"}

"""Who sees which event: commune, own shop for a merchant, the member it is about."""

from __future__ import annotations

from pathlib import Path

import pytest

from maillage.incidents.tests.conftest import media  # noqa: F401 - fixture
from maillage.incidents.tests.helpers import make_incident
from maillage.members.models import Membership, MembershipStatus, Role
from maillage.members.tests import factory
from maillage.stream.action import CLI, action
from maillage.stream.kinds import Kind
from maillage.stream.models import Event
from maillage.stream.tests.helpers import events
from maillage.stream.visibility import visible_to
from maillage.territory.models import Commune

pytestmark = pytest.mark.django_db


@pytest.fixture
def commune() -> Commune:
    return factory.make_commune()


def seers(event: Event, people: dict[str, factory.Persona]) -> set[str]:
    return {name for name, persona in people.items() if visible_to(event, persona.membership)}


@pytest.fixture
def people(commune: Commune) -> dict[str, factory.Persona]:
    return {
        "merchant": factory.make_member(Role.MERCHANT, commune),
        "neighbour": factory.make_member(Role.MERCHANT, commune),
        "operator": factory.make_member(Role.OPERATOR, commune),
        "coordinator": factory.certifier_of(commune),
        "observer": factory.make_member(Role.OBSERVER, commune),
        "outsider": factory.make_member(Role.OPERATOR, factory.make_commune()),
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
    """A suspension as `suspend_member` will record it once converted."""
    merchant = people["merchant"].membership
    with action(CLI, None, kind=Kind.MEMBER_SUSPENDED) as act:
        event = act.record(merchant, {"revocation_list": 1, "devices": 1})
    assert event.member == merchant
    assert seers(event, people) == {"merchant", "coordinator"}
    Membership.objects.filter(pk=merchant.pk).update(status=MembershipStatus.SUSPENDED)
    merchant.refresh_from_db()
    assert not visible_to(event, merchant)

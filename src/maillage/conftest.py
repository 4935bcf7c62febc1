"""The fixtures most tests share: a commune set up as production sets one up, and its
first approved coordinator (tests/factory personas; see members/tests/factory.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.territory.models import Commune


@pytest.fixture
def commune() -> Commune:
    return factory.make_commune()


@pytest.fixture
def coordinator(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.COORDINATOR, commune)


@pytest.fixture(autouse=True)
def _duty_clock_on_duty() -> Iterator[None]:
    """The suite runs at any hour (CI at night, on a Sunday): the duty rules read a fixed
    Monday 10:00 in Paris, on duty under the default schedule, so that a test's outcome
    never depends on when it runs. A test about duty hours sets the clock itself."""
    from maillage.duty import clock
    from maillage.testing.duty import ON_DUTY

    clock.set_now(ON_DUTY)
    try:
        yield
    finally:
        clock.reset()

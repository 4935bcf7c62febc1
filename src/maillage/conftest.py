"""The fixtures most tests share: a commune set up as production sets one up, and its
first approved coordinator (tests/factory personas; see members/tests/factory.py)."""

from __future__ import annotations

import pytest

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.territory.models import Commune
from maillage.testing.duty import duty_clock_on_duty  # noqa: F401 -- autouse: a fixed duty clock


@pytest.fixture
def commune() -> Commune:
    return factory.make_commune()


@pytest.fixture
def coordinator(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.COORDINATOR, commune)

from __future__ import annotations

from collections.abc import Iterator

import pytest

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.territory.models import Commune
from maillage.testing.push_receiver import PushReceiver


@pytest.fixture
def merchant(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.MERCHANT, commune, name="Commerçante")


@pytest.fixture
def operator(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.OPERATOR, commune, name="Opérateur CSU")


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    with PushReceiver() as running:
        yield running

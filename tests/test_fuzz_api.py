"""Schema-driven fuzzing of the whole API (schemathesis), anonymous and as every role.

The schema is the live one (/api/v1/openapi.json served by the application itself); the
requests go to the same Django application in process (WSGI), inside the test's database
transaction, on SQLite and PostgreSQL alike; `make test` runs it in its PostgreSQL pass,
the stricter database (docs/decisions.md, « Suite time »). Signed-in personas send their
session cookie and the CSRF cookie and header, as the app does. The checks: no 5xx, every
status code, content type and body as the schema documents them. Bounded and derandomised
so that it fails the same way twice.

Not every operation × every persona: each operation is fuzzed anonymously, as every role
the access policy lets through (its row of the authorisation matrix), and as one refused
role in turn; the other refusals are the same guard on the same parsed input, and the
matrix checks each of them exactly (docs/decisions.md, « Suite time »).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.members.tests.test_authorisation_matrix import COLUMNS, MATRIX

pytestmark = pytest.mark.fuzz

APP = get_wsgi_application()
ROLES = [None, *Role.values]
ROLE_IDS = ["anonyme", *Role.values]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


REFUSED = frozenset({"401", "403"})


def _personas_by_operation() -> dict[tuple[str, str], frozenset[str]]:
    """(method, path) -> the persona ids fuzzed on it ("anonyme" or a role)."""
    chosen: dict[tuple[str, str], frozenset[str]] = {}
    for index, key in enumerate(sorted(MATRIX)):
        own = dict(zip(COLUMNS, MATRIX[key][0].split(), strict=True))
        # The partner has no column in the matrix: it counts as refused, and takes its turn.
        passing = [role for role in Role.values if own.get(role, "403") not in REFUSED]
        refused = [role for role in Role.values if role not in passing]
        turn = [refused[index % len(refused)]] if refused else []
        chosen[key] = frozenset(["anonyme", *passing, *turn])
    return chosen


PERSONAS = _personas_by_operation()


def fuzzed(nodeid: str) -> bool:
    """Whether this generated case is one the suite runs (tests/conftest.py deselects the
    rest): `…[METHOD /path][persona]`."""
    operation, _, persona = nodeid.rpartition("][")
    method, _, path = operation.rpartition("[")[2].partition(" ")
    return persona.rstrip("]") in PERSONAS.get((method, path), frozenset(ROLE_IDS))


# The coverage phase alone sends some fifty boundary cases per operation and role: too many
# for CI; the fuzzing phase (positive and negative data) with a fixed seed is kept.
CONFIG = schemathesis.Config.from_dict(
    {"seed": 20261202, "phases": {"coverage": {"enabled": False}}}
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP, config=CONFIG)


@pytest.fixture
def credentials(request: pytest.FixtureRequest, db: None) -> Iterator[dict[str, Any]]:
    """Cookies and headers of one persona, in a fresh commune.

    Django closes the database connection after each WSGI request; inside the test's
    transaction that would lose it (PostgreSQL), so, as Django's own test client does, the
    closing is unhooked while the fuzzer runs (after the set-up, whose test client hooks
    it back after each of its requests).
    """
    commune = factory.make_commune()
    role = request.param
    client = factory.make_member(role, commune).client() if role else factory.anonymous_client()
    client.get("/api/v1/session")
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield {"cookies": cookies, "headers": {"X-CSRFToken": cookies["maillage_csrf"]}}
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("credentials", ROLES, ids=ROLE_IDS, indirect=True)
@schema.parametrize()
@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_holds_to_its_schema(case: Any, credentials: dict[str, Any]) -> None:
    case.call_and_validate(
        headers=credentials["headers"], cookies=credentials["cookies"], checks=CHECKS
    )

"""The console's queue costs the same queries for 3 open reports as for 30 (with steps,
escalations, a drill and a cluster among them): nothing in a row is read per row. Its
time with 100 open reports is measured by `python -m benchmarks.queue`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from maillage.incidents import clusters, escalation, exercises, workflow
from maillage.incidents.tests.helpers import Draft, make_incident, post_report
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.testing.seed import without_alert_limits

pytestmark = pytest.mark.django_db


def queries_to_list(persona: factory.Persona) -> tuple[int, int]:
    client = persona.client()
    client.get("/api/v1/session")  # the session's own reads, once
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/incidents")
    assert response.status_code == 200, response.content
    return len(captured), len(response.json())


def test_the_queue_reads_a_fixed_number_of_queries() -> None:
    cast = factory.make_cast()
    operator, merchant = cast[Role.OPERATOR], cast[Role.MERCHANT]
    actor = (operator.membership, operator.device)
    without_alert_limits(cast.commune)  # one shop sends them all

    def add(count: int) -> None:
        for _ in range(count):
            incident, _ = make_incident(merchant)
            workflow.take(*actor, incident)
        waiting = [make_incident(merchant)[0] for _ in range(2)]
        escalation.escalate_due(waiting[-1].created_at + timedelta(minutes=2))
        clusters.confirm(*actor, [w.public_id for w in waiting])

    add(1)
    drill = exercises.start(*actor, "Exercice")
    post_report(
        merchant.client(), Draft(merchant), metadata={"category": "vol", "exercise": "true"}
    )
    few, listed_few = queries_to_list(operator)
    add(27)
    exercises.end(*actor, drill.public_id)
    many, listed_many = queries_to_list(operator)
    assert (listed_few, listed_many) == (4, 33)
    assert many == few, (few, many)

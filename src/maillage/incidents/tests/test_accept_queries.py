"""The accept path's SQL, pinned: POST /api/v1/incidents and the directory fetch before it.

Issue 8 gives the whole delivery 25 ms; accepting a report is inside that budget, and
each query is a round trip to PostgreSQL. These counts are the real ones, middleware
included (session, device and member, the event append, PostgreSQL's NOTIFY), in a
transactional test so that the action's transaction is a real one as in production
(not a savepoint inside the test's). A new query fails here with the list of them: if it
is needed, raise the pin and say why in the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from maillage.incidents.tests.helpers import Draft, post_report
from maillage.members.tests import factory
from maillage.trust.tests import service_key_factory as keys

pytestmark = pytest.mark.django_db(transaction=True)

# Per backend, as Django records them: the transaction's BEGIN (SQLite: BEGIN IMMEDIATE)
# and COMMIT count, and PostgreSQL's NOTIFY after the commit.
#   session · device+member · sender's certificate · the commune's alert settings · BEGIN ·
#   the device's and shop's limit buckets (FOR UPDATE) · their count · incident · message ·
#   [one per attachment] · event head (FOR UPDATE) · event · head update · COMMIT · [NOTIFY]
# (issue 9: categories and limits are the commune's own, read per report; both buckets
# are counted in one query each, inside the report's transaction)
REPORT = {"sqlite": 13, "postgresql": 14}
REPORT_WITH_PHOTO = {"sqlite": 14, "postgresql": 15}
#   session · device+member · certificates · revocation list · service key · issuers
DIRECTORY = {"sqlite": 6, "postgresql": 6}
#   the same checks and rows, no chains: the answer is not built
DIRECTORY_UNCHANGED = {"sqlite": 5, "postgresql": 5}


def _counted(call: Callable[[], Any]) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return result, [query["sql"] for query in captured.captured_queries]


def _pin(expected: dict[str, int], queries: list[str]) -> None:
    listing = "\n".join(f"{n:2}. {sql[:150]}" for n, sql in enumerate(queries, 1))
    assert len(queries) == expected[connection.vendor], listing


@pytest.fixture
def sender(media: Any, merchant: factory.Persona, operator: factory.Persona) -> Any:
    """A merchant whose commune has a police service key and an operator, and a client
    that already sent one report (first-request costs stay out of the count)."""
    keys.publish(operator, 1)
    client = merchant.client()
    assert post_report(client, Draft(merchant, readers=[operator.device])).status_code == 201
    return client


@pytest.mark.parametrize(
    ("attachments", "expected"),
    [([], REPORT), ([b"\x00sealed" * 4000], REPORT_WITH_PHOTO)],
    ids=["text", "photo"],
)
def test_report_accept_queries(
    sender: Any,
    merchant: factory.Persona,
    operator: factory.Persona,
    attachments: list[bytes],
    expected: dict[str, int],
) -> None:
    draft = Draft(merchant, readers=[operator.device], attachments=attachments)
    sealed = draft.seal()
    response, queries = _counted(lambda: post_report(sender, draft, sealed))
    assert response.status_code == 201, response.content
    assert response.json()["message"]["attachments"] == [
        {"index": index, "size": len(part)} for index, part in enumerate(sealed.attachments, 1)
    ]
    _pin(expected, queries)


def test_directory_queries(sender: Any) -> None:
    response, queries = _counted(lambda: sender.get("/api/v1/trust/recipients"))
    assert response.status_code == 200
    _pin(DIRECTORY, queries)
    etag = response["ETag"]
    unchanged, queries = _counted(
        lambda: sender.get("/api/v1/trust/recipients", headers={"If-None-Match": etag})
    )
    assert unchanged.status_code == 304
    _pin(DIRECTORY_UNCHANGED, queries)

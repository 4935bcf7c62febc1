"""`broadcast.sent` carries the sealed broadcast for the holders of its generation: the
item `GET /broadcasts` lists, rendered once per event (the same bytes for every holder),
in a constant number of queries per batch whatever the number of holders; and, as the
fetch, unlogged. The connection's own rule is asked as the stream asks it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.privacy.models import ContentAccess
from maillage.stream.delivery import sealed_for
from maillage.stream.fanout import Item, read_after
from maillage.stream.sse import Connection, StreamAccess
from maillage.stream.tests.helpers import head
from maillage.trust.tests import group_key_factory as keys

pytestmark = pytest.mark.django_db

SEND = "/api/v1/broadcasts"


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _broadcast(operator: factory.Persona, generation: keys.Generation, text: str) -> str:
    sealed = keys.seal(operator, generation, text)
    response = operator.client().post(SEND, **keys.multipart(sealed))
    assert response.status_code == 201, response.content
    return keys.broadcast_id(sealed)


def _render(commune_id: int, after: int) -> tuple[list[Item], int]:
    with CaptureQueriesContext(connection) as queries:
        items = read_after(commune_id, after, None, sealed_for)
    return items, len(queries)


def _merchants(cast: factory.Cast, count: int) -> list[factory.Persona]:
    return [factory.make_member(Role.MERCHANT, cast.commune) for _ in range(count)]


def _frame_data(frame: bytes) -> dict[str, Any]:
    data = frame.decode().split("\ndata: ", 1)[1]
    return dict(json.loads(data))


def test_holders_get_the_listed_broadcast_inline_with_constant_queries() -> None:
    cast = factory.make_cast()
    operator, merchant = cast[Role.OPERATOR], cast[Role.MERCHANT]
    extra = _merchants(cast, 2)
    generation = keys.publish(operator, 1, others=(merchant.device, *(m.device for m in extra)))
    ungranted = factory.make_member(Role.MERCHANT, cast.commune)

    before = head(cast.commune)
    first = _broadcast(operator, generation, "Fermeture de la rue du Marché à 18 h.")
    [item], one = _render(cast.commune.pk, before)
    assert item.event.kind == "broadcast.sent"
    sealed = item.sealed
    assert sealed is not None and item.sealed_frame is not None
    assert sealed.recipients == {str(p.device.public_id) for p in (operator, merchant, *extra)}
    assert str(ungranted.device.public_id) not in sealed.recipients
    assert sealed.access_logged is False

    # The inline copy is the listed item, byte for byte once both are JSON.
    [listed] = merchant.client().get(f"{SEND}?scope=commune").json()
    inline = _frame_data(item.sealed_frame)["sealed"]
    assert inline["broadcast"] == listed["broadcast"] == first
    assert inline["envelope"] == listed["envelope"]
    assert inline["sender"] == listed["sender"]
    assert inline["attachments"] == listed["attachments"]
    assert (inline["scope"], inline["number"], inline["sent_at"]) == (
        listed["scope"],
        listed["number"],
        listed["sent_at"],
    )
    # The plain frame (for viewers without the key) has no copy.
    assert "sealed" not in _frame_data(item.frame)

    # Three broadcasts to many more holders: the same number of queries.
    more = _merchants(cast, 6)
    keys_client = operator.client()
    grants = [keys.grant(operator, generation, m.device) for m in more]
    response = keys_client.post(
        "/api/v1/group-keys/grants",
        data={"grants": [g.to_wire() for g in grants]},
        content_type="application/json",
    )
    assert response.status_code in (200, 201), response.content
    after = head(cast.commune)
    for index in range(3):
        _broadcast(operator, generation, f"Message {index}")
    items, three = _render(cast.commune.pk, after)
    assert [i.event.kind for i in items] == ["broadcast.sent"] * 3
    assert three == one
    assert all(len(i.sealed.recipients) == 10 for i in items if i.sealed is not None)


def _connection(persona: factory.Persona) -> Connection:
    """A connection's rules only: neither its hub nor its socket is used here."""
    access = StreamAccess("key", persona.refresh().membership, persona.device)
    return Connection(None, access, send=None)  # type: ignore[arg-type]


def test_who_gets_the_inline_copy_and_that_none_is_logged() -> None:
    cast = factory.make_cast()
    operator, merchant = cast[Role.OPERATOR], cast[Role.MERCHANT]
    generation = keys.publish(operator, 1, others=(merchant.device,))
    ungranted = factory.make_member(Role.MERCHANT, cast.commune)
    before = head(cast.commune)
    _broadcast(operator, generation, "Fermeture de la rue du Marché à 18 h.")
    [item], _ = _render(cast.commune.pk, before)

    for holder in (operator, merchant):
        reader = _connection(holder)
        assert reader.visible(item) and reader.sealed_for_me(item), holder.membership.role
    # Entitled by policy but without a grant: the event alone (it falls back to GET).
    waiting = _connection(ungranted)
    assert waiting.visible(item) and not waiting.sealed_for_me(item)
    # No right to broadcasts at all: not even the event.
    for role in (Role.AGENT, Role.COORDINATOR, Role.DPO):
        assert not _connection(cast[role]).visible(item), role
    assert not ContentAccess.objects.exists()

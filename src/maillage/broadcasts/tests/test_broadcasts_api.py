"""Broadcasts over the API: sealed once to the scope's latest group-key generation, listed
and opened by every holder; refusals store nothing and append no event.

Broadcasts are sealed by the wire code with the personas' real keys and opened as a
merchant's device would (its grant, then `open_broadcast`).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from maillage.broadcasts.models import Broadcast, BroadcastAttachment
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.tests.helpers import assert_by, head, since
from maillage.territory.models import Commune
from maillage.trust.models import GroupKeyGrant
from maillage.trust.tests import group_key_factory as keys
from maillage.trust.tests.test_group_keys_api import open_my_grant, trust
from maillage.wire import broadcast

pytestmark = pytest.mark.django_db

SEND = "/api/v1/broadcasts"
PHOTO = b"\x00sealed-looking bytes of a photo part " * 40


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def cast() -> factory.Cast:
    return factory.make_cast()


@pytest.fixture
def generation(cast: factory.Cast) -> keys.Generation:
    return keys.publish(cast[Role.OPERATOR], 1, others=(cast[Role.MERCHANT].device,))


def send(persona: factory.Persona, sealed: Any, wire: dict[str, Any] | None = None) -> Any:
    return persona.client().post(SEND, **keys.multipart(sealed, wire))


def stored(commune: Commune) -> tuple[int, int]:
    return (
        Broadcast.objects.filter(commune=commune).count(),
        BroadcastAttachment.objects.filter(broadcast__commune=commune).count(),
    )


def read(persona: factory.Persona, item: dict[str, Any]) -> broadcast.OpenedBroadcast:
    """Open one listed broadcast as the merchant's device does, attachments fetched."""
    private = open_my_grant(persona, item["scope"])
    client = persona.client()
    parts = []
    for part in item["attachments"]:
        response = client.get(f"{SEND}/{item['broadcast']}/attachments/{part['index']}")
        assert response.status_code == 200, response.content
        parts.append(response.content)
    return broadcast.open_broadcast(
        item["envelope"],
        parts,
        broadcast.BroadcastBinding(
            str(persona.commune.public_id), item["scope"], item["broadcast"]
        ),
        broadcast.GroupOpener(item["scope"], item["number"], private),
        trust(persona.commune),
    )


def test_an_operator_broadcasts_and_every_holder_opens_it(
    cast: factory.Cast, generation: keys.Generation
) -> None:
    operator, merchant = cast[Role.OPERATOR], cast[Role.MERCHANT]
    text = "Message à tous les commerces : la rue du Marché ferme à 18 h."
    sealed = keys.seal(operator, generation, text, attachments=[PHOTO])
    before = head(cast.commune)
    response = send(operator, sealed)
    assert response.status_code == 201, response.content
    answer = response.json()
    header = json.loads(sealed.wire["body"])
    assert answer == {
        "broadcast": header["broadcast"],
        "scope": "commune",
        "number": 1,
        "sent_at": header["sent_at"],
    }
    [event] = since(cast.commune, before)
    assert (event.kind, event.target_type, event.target_id) == (
        "broadcast.sent",
        "broadcast",
        header["broadcast"],
    )
    assert_by(event, operator.membership, operator.device)
    assert event.payload == {"scope": "commune", "number": 1, "attachments": 1}

    # An identical retry: the same answer, nothing stored, no event.
    retry = send(operator, sealed)
    assert (retry.status_code, retry.json()) == (201, answer)
    assert since(cast.commune, before) == [event]
    assert stored(cast.commune) == (1, 1)

    [item] = merchant.client().get(f"{SEND}?scope=commune").json()
    assert item["sender"] == {
        "device": str(operator.device.public_id),
        "member_label": "Police municipale",
    }
    assert item["envelope"] == sealed.wire
    assert item["attachments"] == [{"index": 1, "size": len(sealed.attachments[0])}]
    opened = read(merchant, item)
    assert opened.text == text
    assert opened.attachments[0].data == PHOTO
    assert operator.client().get(SEND).json()[0]["broadcast"] == header["broadcast"]
    newer = merchant.client().get(f"{SEND}?after={header['broadcast']}").json()
    older = merchant.client().get(f"{SEND}?before={header['broadcast']}").json()
    assert (newer, older) == ([], [])
    for role in (Role.AGENT, Role.COORDINATOR, Role.DPO):
        assert cast[role].client().get(SEND).status_code == 403
    outsider = cast.outsider.client()
    assert outsider.get(f"{SEND}/{header['broadcast']}/attachments/1").status_code == 404


def test_refused_broadcasts_store_nothing_and_append_no_event(
    cast: factory.Cast, generation: keys.Generation
) -> None:
    operator = cast[Role.OPERATOR]
    before = head(cast.commune)

    def refused(persona: factory.Persona, sealed: Any, status: int, code: str, **kw: Any) -> None:
        response = send(persona, sealed, **kw)
        assert response.status_code == status, response.content
        assert response.json()["code"] == code

    # Who may send to the whole commune: the police only.
    for role in (Role.MERCHANT, Role.AGENT, Role.COORDINATOR):
        refused(cast[role], keys.seal(cast[role], generation), 403, "forbidden")
    # Another commune's generation (its document names the other commune).
    far = factory.make_member(Role.OPERATOR, cast.outsider.commune)
    elsewhere = keys.publish(far, 1)
    foreign = keys.seal(operator, elsewhere, commune=str(cast.outsider.commune.public_id))
    refused(operator, foreign, 400, "wrong_context")
    # The session's own device, its sent_at near the server's clock.
    refused(
        operator,
        keys.seal(cast[Role.OPERATOR], generation, sent_at=keys.now() - 7200),
        400,
        "clock_skew",
    )
    other_device = factory.make_member(Role.OPERATOR, cast.commune)
    refused(other_device, keys.seal(operator, generation), 400, "wrong_sender")
    # A photo in clear, and parts that are not those the header signs.
    sealed = keys.seal(operator, generation, attachments=[PHOTO])
    plain = type(sealed)(wire=sealed.wire, attachments=[b"\xff\xd8\xff" + b"0" * 64])
    refused(operator, plain, 400, "photo_not_sealed")
    refused(operator, type(sealed)(wire=sealed.wire, attachments=[]), 400, "tampered")
    # A generation that is not the latest: 409 once generation 2 exists.
    keys.publish(operator, 2)
    refused(operator, keys.seal(operator, generation), 409, "stale_group_key")
    assert since(cast.commune, before)[-1].kind == "group_key.published"
    assert [e.kind for e in since(cast.commune, before)].count("broadcast.sent") == 0
    assert stored(cast.commune) == (0, 0)
    assert stored(cast.outsider.commune) == (0, 0)


def test_the_same_id_with_another_body_conflicts(
    cast: factory.Cast, generation: keys.Generation
) -> None:
    operator = cast[Role.OPERATOR]
    first = keys.seal(operator, generation, "Premier message.")
    assert send(operator, first).status_code == 201
    before = head(cast.commune)
    second = keys.seal(
        operator, generation, "Autre message.", broadcast_id=keys.broadcast_id(first)
    )
    response = send(operator, second)
    assert (response.status_code, response.json()["code"]) == (409, "broadcast_conflict")
    bad_id = keys.seal(operator, generation, broadcast_id=str(uuid.uuid4()).upper())
    assert send(operator, bad_id).json()["code"] == "invalid_id"
    assert since(cast.commune, before) == []
    assert stored(cast.commune) == (1, 0)


def test_rotation_shuts_a_suspended_merchant_out(cast: factory.Cast) -> None:
    operator, merchant = cast[Role.OPERATOR], cast[Role.MERCHANT]
    leaving = factory.make_member(Role.MERCHANT, cast.commune)
    first = keys.publish(operator, 1, others=(merchant.device, leaving.device))
    current = "/api/v1/group-keys/commune"
    assert operator.client().get(current).json()["rotation_needed"] is False

    factory.suspend(leaving)
    assert operator.client().get(current).json()["rotation_needed"] is True
    # The suspended device can be granted nothing any more.
    second = keys.new_generation(operator, 2)
    grants = [
        keys.grant(operator, second, d) for d in (operator.device, merchant.device, leaving.device)
    ]
    response = operator.client().post("/api/v1/group-keys", **keys.publish_payload(second, grants))
    assert response.json()["code"] == "not_allowed_recipient"
    newest = keys.publish(operator, 2, others=(merchant.device,))
    rotated = operator.client().get(current).json()
    assert (rotated["number"], rotated["rotation_needed"]) == (2, False)
    assert not GroupKeyGrant.objects.filter(
        recipient_device=leaving.device, group_key__number=2
    ).exists()

    stale = send(operator, keys.seal(operator, first))
    assert (stale.status_code, stale.json()["code"]) == (409, "stale_group_key")
    assert open_my_grant(merchant).private_bytes_raw() == newest.private_key.private_bytes_raw()
    assert send(operator, keys.seal(operator, newest)).status_code == 201
    [item] = merchant.client().get(SEND).json()
    assert item["number"] == 2
    assert read(merchant, item).text

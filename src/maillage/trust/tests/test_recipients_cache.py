"""The key directory's validator: a device keeps the answer and asks with If-None-Match.

A stale directory would seal a report for a device withdrawn since, or without the new
service key: every change that alters the answer must alter the ETag, and a 304 must
never spare a check the full answer makes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.action import CLI
from maillage.trust import revocations as trust_revocations
from maillage.trust.models import Device, DeviceCertificate, DeviceStatus
from maillage.trust.tests import service_key_factory as keys
from maillage.trust.tests.test_recipients_api import World
from maillage.wire.envelope import EnvelopeError
from maillage.wire.recipients import TrustState, resolve_recipients

pytestmark = pytest.mark.django_db

URL = "/api/v1/trust/recipients"


@pytest.fixture
def world(commune: Any) -> World:
    made = World(commune)
    keys.publish(made.operators[0], 1)
    return made


def _get(client: Client, etag: str | None = None, query: str = "") -> Any:
    headers = {"If-None-Match": etag} if etag is not None else {}
    return client.get(URL + query, headers=headers)


def _resolves(world: World, body: dict[str, Any]) -> None:
    """What the server answers, the client still accepts (chains, lists, key)."""
    root = world.commune.root
    state = TrustState(root.public_key, root.fingerprint, str(world.commune.public_id))
    try:
        resolve_recipients(body, state, keys.now())
    except EnvelopeError as refused:  # every police chain broken: refused, as it must be
        assert refused.code == "no_police_recipient"


def test_answer_has_a_strong_etag_and_is_revalidated(world: World) -> None:
    client = world.merchant.client()
    first = _get(client)
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 30
    assert first["Cache-Control"] == "private, no-cache"

    for sent in (etag, f"W/{etag}", f'"autre", {etag}', "*"):
        unchanged = _get(client, sent)
        assert unchanged.status_code == 304, sent
        assert unchanged.content == b""
        assert unchanged["ETag"] == etag
        assert unchanged["Cache-Control"] == "private, no-cache"

    other = _get(client, '"autre"')
    assert other.status_code == 200
    assert other["ETag"] == etag
    assert other.json() == first.json()


def test_a_304_makes_every_check_first(world: World) -> None:
    client = world.merchant.client()
    etag = _get(client)["ETag"]
    factory.suspend(world.merchant)
    refused = _get(client, etag)
    assert refused.status_code == 401
    assert refused.json()["code"] == "access_revoked"

    agent = world.agent.client()  # agents read, they do not report
    assert _get(agent, etag).status_code == 403


def test_etag_is_per_answer_and_per_purpose(world: World) -> None:
    mine = _get(world.merchant.client())
    colleague = _get(world.colleague.client())
    other_shop = _get(world.other_merchant.client())
    # Same shop, same answer, same tag (the tag names the answer, not who asks).
    assert colleague.json() == mine.json() and colleague["ETag"] == mine["ETag"]
    assert other_shop.json() != mine.json() and other_shop["ETag"] != mine["ETag"]
    assert _get(world.other_merchant.client(), mine["ETag"]).status_code == 200

    from maillage.incidents.tests.helpers import make_incident

    incident, _ = make_incident(world.merchant)
    query = f"?incident={incident.public_id}"
    follow_up = _get(world.merchant.client(), query=query)
    assert follow_up.status_code == 200
    assert follow_up["ETag"] != mine["ETag"]
    assert _get(world.merchant.client(), mine["ETag"], query).status_code == 200
    assert _get(world.merchant.client(), follow_up["ETag"], query).status_code == 304


def _revoke_operator_device(world: World) -> None:
    trust_revocations.revoke_devices_with_root(
        CLI, world.commune, factory.root_key(world.commune), [world.operators[1].device]
    )


def _suspend_operator(world: World) -> None:
    factory.suspend(world.operators[1])  # a coordinator's device signs this list


def _device_status_only(world: World) -> None:
    # The device leaves the answer even without a new revocation list.
    Device.objects.filter(pk=world.operators[1].device.pk).update(status=DeviceStatus.SUSPENDED)


def _certificate_expires(world: World) -> None:
    DeviceCertificate.objects.filter(device=world.operators[1].device).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )


def _rotate_service_key(world: World) -> None:
    keys.publish(world.operators[0], 2)


def _new_operator(world: World) -> None:
    factory.make_member(Role.OPERATOR, world.commune)


def _new_colleague_device(world: World) -> None:
    factory.certify(factory.add_device(world.colleague.membership))


def _issuer_revoked(world: World) -> None:
    # The coordinator device that certified everyone is withdrawn: the same devices are
    # listed, only the revocation list says their chains are broken.
    certifier = factory.certifier_of(world.commune)
    trust_revocations.revoke_devices_with_root(
        CLI, world.commune, factory.root_key(world.commune), [certifier.device]
    )


CHANGES: dict[str, Callable[[World], None]] = {
    "device revoked": _revoke_operator_device,
    "member suspended": _suspend_operator,
    "device status alone": _device_status_only,
    "certificate expired": _certificate_expires,
    "service key rotated": _rotate_service_key,
    "operator added": _new_operator,
    "shop device added": _new_colleague_device,
    "issuer revoked": _issuer_revoked,
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_every_change_of_the_answer_changes_the_etag(
    world: World, change: Callable[[World], None]
) -> None:
    client = world.merchant.client()
    before = _get(client)
    change(world)
    after = _get(client, before["ETag"])
    assert after.status_code == 200, "a stale directory was confirmed"
    assert after.json() != before.json()
    assert after["ETag"] != before["ETag"]
    _resolves(world, after.json())
    assert _get(client, after["ETag"]).status_code == 304


def test_equal_etags_mean_equal_answers(world: World) -> None:
    """Across every state above, one tag never stood for two answers."""
    client = world.merchant.client()
    seen: dict[str, Any] = {}
    for change in [lambda w: None, *CHANGES.values()]:
        change(world)
        for persona in (world.merchant, world.colleague, world.other_merchant):
            response = _get(persona.client() if persona is not world.merchant else client)
            if response.status_code != 200:
                continue
            body = response.json()
            assert seen.setdefault(response["ETag"], body) == body
    assert len(seen) >= len(CHANGES)

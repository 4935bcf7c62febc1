"""The reference client's devices against a live server, over HTTP, as the simulator will
drive it: a report read by the police, the service key handed to a newly approved operator
device (which then reads the history), and rotation once an operator device is revoked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from maillage.client.device import MemberDevice
from maillage.client.http import ClientApiError, MaillageClient
from maillage.demo.seed import DemoSeed, seed_demo
from maillage.incidents.models import SealedMessage
from maillage.members.models import Role
from maillage.stream.action import CLI
from maillage.trust import revocations as trust_revocations
from maillage.trust import roots as trust_roots
from maillage.trust.models import Device
from maillage.wire.envelope import EnvelopeError

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(settings: Any) -> DemoSeed:
    settings.DEMO_MODE = True
    return seed_demo()


@pytest.fixture
def clients(live_server: Any) -> Iterator[list[MaillageClient]]:
    opened: list[MaillageClient] = []

    def make() -> MaillageClient:
        opened.append(MaillageClient(live_server.url))
        return opened[-1]

    yield make  # type: ignore[misc]
    for client in opened:
        client.close()


def signed_in(demo: DemoSeed, client: MaillageClient, role: Role, label: str) -> MemberDevice:
    member = next(m for m in demo.members if m.role == role)
    device = MemberDevice(client, label=label)
    device.sign_in_demo(str(member.public_id))
    return device


def recipients_of(message: str) -> set[str]:
    header = json.loads(SealedMessage.objects.get(public_id=message).header)
    return {f"{r['kind']}:{r['id']}" for r in header["recipients"]}


def test_service_key_reaches_new_operator_devices_and_rotates_away_from_revoked_ones(
    demo: DemoSeed, clients: Any
) -> None:
    console = signed_in(demo, clients(), Role.OPERATOR, "Console CSU")
    assert console.ensure_service_key() == 1
    shop = signed_in(demo, clients(), Role.MERCHANT, "Téléphone boutique")

    before = shop.send_report("Individu agressif devant la vitrine.")
    assert before.resolution.refused == []
    assert "service:police:1" in recipients_of(before.message)
    assert console.read_incident(before.incident)[0].text == "Individu agressif devant la vitrine."

    # A tablet approved after the report: not a recipient, and no key until a holder grants it.
    tablet = signed_in(demo, clients(), Role.OPERATOR, "Tablette patrouille")
    assert f"device:{tablet.device}" not in recipients_of(before.message)
    with pytest.raises(EnvelopeError) as waiting:
        tablet.ensure_service_key()
    assert waiting.value.code == "not_a_recipient"
    assert console.ensure_service_key() == 1  # grants the tablet on the way
    assert tablet.ensure_service_key() == 1
    assert tablet.read_incident(before.incident)[0].text == "Individu agressif devant la vitrine."

    # The tablet is lost: revoked. The console rotates; the tablet never gets generation 2.
    commune = demo.commune
    trust_revocations.revoke_devices_with_root(
        CLI,
        commune,
        trust_roots.demo_root_key(commune),
        [Device.objects.get(public_id=tablet.device)],
    )
    assert console.ensure_service_key() == 2
    after = shop.send_report("Deuxième passage du même individu.")
    addressed = recipients_of(after.message)
    assert "service:police:2" in addressed
    assert "service:police:1" not in addressed
    assert f"device:{tablet.device}" not in addressed
    assert after.resolution.refused == []
    assert console.read_incident(after.incident)[0].text == "Deuxième passage du même individu."
    with pytest.raises(ClientApiError) as revoked:
        tablet.client.messages(after.incident)
    assert revoked.value.status == 401

    # A replacement tablet, approved after the rotation, still reads the first report:
    # the console hands it generation 1 as well as 2.
    replacement = signed_in(demo, clients(), Role.OPERATOR, "Tablette de remplacement")
    assert console.ensure_service_key() == 2
    assert replacement.ensure_service_key() == 2
    assert sorted(replacement.service_keys) == [1, 2]
    history = replacement.read_incident(before.incident)
    assert history[0].text == "Individu agressif devant la vitrine."


def test_directory_is_kept_and_revalidated_until_it_changes(demo: DemoSeed, clients: Any) -> None:
    console = signed_in(demo, clients(), Role.OPERATOR, "Console CSU")
    console.ensure_service_key()
    shop = signed_in(demo, clients(), Role.MERCHANT, "Téléphone boutique")

    first = shop.send_report("Vitrine brisée cette nuit.")
    assert shop.client.directory_revalidated == 0
    second = shop.send_report("Individu qui revient devant la vitrine.")
    assert shop.client.directory_revalidated == 1  # a 304: the kept answer, verified again
    assert recipients_of(second.message) == recipients_of(first.message)

    # A new operator device: the next report must reach it, so no 304 this time.
    tablet = signed_in(demo, clients(), Role.OPERATOR, "Tablette patrouille")
    third = shop.send_report("Le même individu est reparti vers la gare.")
    assert shop.client.directory_revalidated == 1
    assert f"device:{tablet.device}" in recipients_of(third.message)

    # Revoked: the kept answer that lists it is not confirmed either.
    trust_revocations.revoke_devices_with_root(
        CLI,
        demo.commune,
        trust_roots.demo_root_key(demo.commune),
        [Device.objects.get(public_id=tablet.device)],
    )
    fourth = shop.send_report("Il est revenu.")
    assert shop.client.directory_revalidated == 1
    assert f"device:{tablet.device}" not in recipients_of(fourth.message)
    shop.send_report("Toujours là.")
    assert shop.client.directory_revalidated == 2

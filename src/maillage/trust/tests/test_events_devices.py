"""Device actions each append exactly one event with their actor; refusals append none."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client

from maillage.errors import Forbidden
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.action import CLI, Actor
from maillage.stream.models import ActorKind
from maillage.stream.tests.helpers import assert_by, head, since
from maillage.territory.models import Commune
from maillage.trust import certificates, revocations
from maillage.trust.models import DeviceCertificate, DeviceStatus
from maillage.wire import chain

pytestmark = pytest.mark.django_db


def post_new_device(persona: factory.Persona, enc_key: str, sign_key: str) -> Any:
    return persona.client(bind_device=False).post(
        "/api/v1/devices",
        {"label": "Tablette", "enc_key": enc_key, "sign_key": sign_key},
        content_type="application/json",
    )


def test_a_new_browser_is_one_device_registered_by_its_member(
    commune: Commune, coordinator: factory.Persona
) -> None:
    agent = factory.make_member(Role.AGENT, commune)
    _, _, enc_key, sign_key = factory.new_keys()
    before = head(commune)
    response = post_new_device(agent, enc_key, sign_key)
    assert response.status_code == 201, response.json()
    [event] = since(commune, before)
    assert event.kind == "device.registered"
    assert (event.actor_kind, event.actor, event.actor_device) == (
        ActorKind.MEMBER,
        agent.membership,
        None,
    )
    assert (event.target_type, event.target_id, event.member) == (
        "device",
        response.json()["id"],
        agent.membership,
    )
    assert event.payload == {
        "fingerprint": chain.fingerprint(chain.b64url_decode(sign_key)),
        "role": Role.AGENT,
    }


def test_a_refused_device_leaves_no_event(commune: Commune, coordinator: factory.Persona) -> None:
    agent = factory.make_member(Role.AGENT, commune)
    before = head(commune)
    _, _, enc_key, _ = factory.new_keys()
    response = post_new_device(agent, enc_key, enc_key)
    assert response.status_code == 422
    in_use = post_new_device(agent, agent.device.enc_public_key, agent.device.sign_public_key)
    assert in_use.status_code == 409
    assert since(commune, before) == []


def test_a_coordinator_s_certificate_is_one_event_naming_the_issuing_device(
    commune: Commune, coordinator: factory.Persona
) -> None:
    merchant = factory.make_member(Role.MERCHANT, commune, approved=False)
    before = head(commune)
    document = factory.coordinator_certificate(coordinator, merchant.device)
    response = coordinator.client().post(
        f"/api/v1/devices/{merchant.device.public_id}/certificate",
        document.to_wire(),
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    [event] = since(commune, before)
    assert event.kind == "device.certified"
    assert_by(event, coordinator.membership, coordinator.device)
    assert (event.target_id, event.member) == (str(merchant.device.public_id), merchant.membership)
    assert event.payload == {
        "serial": response.json()["serial"],
        "issuer": str(coordinator.device.public_id),
        "role": Role.MERCHANT,
        "may_certify": False,
        "member_activated": True,
    }

    second = factory.add_device(merchant.membership, label="Ordinateur")
    factory.certify(second)
    assert since(commune, before)[-1].payload["member_activated"] is False


def test_a_refused_certificate_leaves_no_event(
    commune: Commune, coordinator: factory.Persona
) -> None:
    merchant = factory.make_member(Role.MERCHANT, commune, approved=False)
    before = head(commune)
    forged = factory.coordinator_certificate(
        coordinator, merchant.device, signer=Ed25519PrivateKey.generate()
    )
    response = coordinator.client().post(
        f"/api/v1/devices/{merchant.device.public_id}/certificate",
        forged.to_wire(),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert since(commune, before) == []
    assert not DeviceCertificate.objects.filter(device=merchant.device).exists()


def test_the_root_certifies_from_the_cli_and_no_member_may(commune: Commune) -> None:
    coordinator = factory.make_member(Role.COORDINATOR, commune, approved=False)
    other = factory.make_member(Role.COORDINATOR, commune)
    before = head(commune)
    with pytest.raises(Forbidden):
        certificates.certify_with_root(other.actor(), coordinator.device, factory.root_key(commune))
    assert since(commune, before) == []

    certificate = certificates.certify_with_root(CLI, coordinator.device, factory.root_key(commune))
    [event] = since(commune, before)
    assert (event.kind, event.actor_kind, event.actor) == ("device.certified", ActorKind.CLI, None)
    assert event.payload == {
        "serial": certificate.serial,
        "issuer": "root",
        "role": Role.COORDINATOR,
        "may_certify": True,
        "member_activated": True,
    }


def test_a_lost_phone_is_one_device_revoked_event_with_its_list(
    commune: Commune, coordinator: factory.Persona
) -> None:
    agent = factory.make_member(Role.AGENT, commune)
    serial = DeviceCertificate.objects.get(device=agent.device).serial
    draft = (
        coordinator.client()
        .get(f"/api/v1/trust/revocations/draft?device={agent.device.public_id}")
        .json()
    )
    document = chain.sign_document(json.loads(draft["body"]), coordinator.sign_key)
    before = head(commune)
    response = coordinator.client().post(
        f"/api/v1/devices/{agent.device.public_id}/revoke",
        {"revocation_list": document.to_wire()},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    [event] = since(commune, before)
    assert event.kind == "device.revoked"
    assert_by(event, coordinator.membership, coordinator.device)
    assert (event.target_id, event.member) == (str(agent.device.public_id), agent.membership)
    assert event.payload == {"revocation_list": 1, "serials": [serial]}


def test_refused_revocations_leave_no_event(commune: Commune, coordinator: factory.Persona) -> None:
    agent = factory.make_member(Role.AGENT, commune)
    before = head(commune)
    unsigned = coordinator.client().post(
        f"/api/v1/devices/{agent.device.public_id}/revoke", {}, content_type="application/json"
    )
    assert unsigned.status_code == 422
    own = coordinator.client().post(
        f"/api/v1/devices/{coordinator.device.public_id}/revoke",
        {},
        content_type="application/json",
    )
    assert own.status_code == 409
    assert since(commune, before) == []
    agent.refresh()
    assert agent.device.status == DeviceStatus.ACTIVE


def test_the_root_revokes_several_devices_in_one_event(
    commune: Commune, coordinator: factory.Persona
) -> None:
    agent = factory.make_member(Role.AGENT, commune)
    waiting = factory.add_device(agent.membership, label="Tablette")
    before = head(commune)
    published = revocations.revoke_devices_with_root(
        CLI, commune, factory.root_key(commune), [coordinator.device, agent.device, waiting]
    )
    assert published is not None
    [event] = since(commune, before)
    assert (event.kind, event.actor_kind) == ("revocation_list.published", ActorKind.CLI)
    assert (event.target_type, event.target_id) == ("commune", str(commune.public_id))
    assert event.payload == {
        "number": published.number,
        "withdrawn": 2,
        "devices": sorted(str(d.public_id) for d in (coordinator.device, agent.device, waiting)),
    }

    again = revocations.revoke_devices_with_root(
        CLI, commune, factory.root_key(commune), [agent.device]
    )
    assert again is None
    assert len(since(commune, before)) == 1


def test_a_member_may_not_revoke_with_the_root(
    commune: Commune, coordinator: factory.Persona
) -> None:
    agent = factory.make_member(Role.AGENT, commune)
    before = head(commune)
    with pytest.raises(Forbidden):
        revocations.revoke_devices_with_root(
            Actor.member(coordinator.membership, coordinator.device),
            commune,
            factory.root_key(commune),
            [agent.device],
        )
    assert since(commune, before) == []


def test_a_demo_sign_in_registers_then_certifies(settings: Any) -> None:
    from maillage.demo.seed import seed_demo

    settings.DEMO_MODE = True
    demo = seed_demo()
    operator = next(m for m in demo.members if m.role == Role.OPERATOR)
    before = head(operator.commune)
    _, _, enc_key, sign_key = factory.new_keys()
    response = Client().post(
        "/api/v1/demo/login",
        {"member": str(operator.public_id), "device": {"enc_key": enc_key, "sign_key": sign_key}},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    registered, certified = since(operator.commune, before)
    assert [registered.kind, certified.kind] == ["device.registered", "device.certified"]
    assert {registered.actor_kind, certified.actor_kind} == {ActorKind.DEMO}
    assert registered.target_id == certified.target_id == response.json()["device"]["id"]
    assert certified.payload["issuer"] == "root"

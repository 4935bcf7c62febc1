"""Approving devices: a certificate signed in the coordinator's browser, checked to the root."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from maillage.members.models import Membership, MembershipStatus, Role
from maillage.members.tests import factory
from maillage.territory.models import Commune
from maillage.trust import chain
from maillage.trust.models import Device, DeviceCertificate, DeviceStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def commune() -> Commune:
    return factory.make_commune()


@pytest.fixture
def coordinator(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.COORDINATOR, commune)


def post_certificate(
    persona: factory.Persona, device: Device, document: chain.SignedDocument
) -> Any:
    return persona.client().post(
        f"/api/v1/devices/{device.public_id}/certificate",
        document.to_wire(),
        content_type="application/json",
    )


def test_pending_devices_list_their_keys_and_certificate_template(commune, coordinator) -> None:
    merchant = factory.make_member(Role.MERCHANT, commune, approved=False)
    listed = coordinator.client().get("/api/v1/devices/pending").json()
    (item,) = [d for d in listed if d["id"] == str(merchant.device.public_id)]
    assert item["sign_key"] == merchant.device.sign_public_key
    assert item["enc_key"] == merchant.device.enc_public_key
    assert item["fingerprint"] == chain.fingerprint(chain.b64url_decode(item["sign_key"]))
    assert item["root_only"] is False
    assert item["certificate"]["shop"] == str(merchant.shop.public_id)
    assert item["certificate"]["member"] == str(merchant.membership.public_id)
    assert item["certificate"]["commune"] == str(commune.public_id)


def test_coordinator_certificate_approves_device_and_member(commune, coordinator) -> None:
    merchant = factory.make_member(Role.MERCHANT, commune, approved=False)
    document = factory.coordinator_certificate(coordinator, merchant.device)
    response = post_certificate(coordinator, merchant.device, document)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["device"]["status"] == "active"
    assert body["chain"][0]["body"] == document.body
    assert len(body["chain"]) == 2  # merchant ← coordinator ← root

    merchant.refresh()
    assert merchant.device.status == DeviceStatus.ACTIVE
    assert merchant.membership.status == MembershipStatus.ACTIVE
    assert merchant.membership.approved_by == coordinator.membership
    stored = DeviceCertificate.objects.get(device=merchant.device)
    assert stored.body == document.body and stored.signature == document.signature
    assert stored.created_by == coordinator.membership

    # Any client can verify the served chain against the pinned root.
    chain_response = merchant.client().get(
        f"/api/v1/trust/devices/{merchant.device.public_id}/chain"
    )
    served = chain.parse_chain(chain_response.json()["chain"])
    revocations = merchant.client().get("/api/v1/trust/revocations").json()
    doc, signer_chain = chain.parse_revocation_document(revocations)
    root = commune.root
    now = int(timezone.now().timestamp())
    verified_list = chain.verify_revocation_list(
        doc, signer_chain, root.public_key, root.fingerprint, str(commune.public_id), 0, now
    )
    leaf = chain.verify_chain(
        served, root.public_key, root.fingerprint, str(commune.public_id), verified_list, now
    )
    assert leaf.sign_key == merchant.device.sign_public_key
    assert leaf.role == "commercant"


def test_certificate_for_other_keys_is_refused(commune, coordinator) -> None:
    agent = factory.make_member(Role.AGENT, commune, approved=False)
    _, _, enc_public, sign_public = factory.new_keys()
    for field, value in (("sign_key", sign_public), ("enc_key", enc_public)):
        document = factory.coordinator_certificate(
            coordinator, agent.device, overrides={field: value}
        )
        response = post_certificate(coordinator, agent.device, document)
        assert response.status_code == 422
        assert response.json()["code"] == "certificate_mismatch"
        assert field in response.json()["message"]
    agent.refresh()
    assert agent.device.status == DeviceStatus.PENDING
    assert agent.membership.status == MembershipStatus.PENDING


@pytest.mark.parametrize(
    "overrides",
    [
        {"role": "operateur"},
        {"may_certify": True},
        {"member": "00000000-0000-4000-8000-000000000000"},
        {"device": "00000000-0000-4000-8000-000000000000"},
        {"shop": None},
    ],
)
def test_certificate_fields_must_match_the_pending_device(commune, coordinator, overrides) -> None:
    merchant = factory.make_member(Role.MERCHANT, commune, approved=False)
    document = factory.coordinator_certificate(coordinator, merchant.device, overrides=overrides)
    response = post_certificate(coordinator, merchant.device, document)
    assert response.status_code == 422
    assert not DeviceCertificate.objects.filter(device=merchant.device).exists()


def test_certificate_signed_by_a_non_certifying_device_is_refused(commune) -> None:
    """A coordinator whose own certificate lacks may_certify cannot approve anyone."""
    weak = factory.make_member(Role.COORDINATOR, commune, approved=False)
    root_key = factory.root_key(commune)
    now = int(timezone.now().timestamp())
    weak_cert = chain.issue_certificate(
        root_key,
        commune=str(commune.public_id),
        device=str(weak.device.public_id),
        member=str(weak.membership.public_id),
        role="coordinateur",
        shop=None,
        enc_key=weak.device.enc_public_key,
        sign_key=weak.device.sign_public_key,
        may_certify=False,
        issued_at=now,
        expires_at=now + 3600,
    )
    DeviceCertificate.objects.create(
        device=weak.device,
        serial=chain.parse_certificate(weak_cert).serial,
        body=weak_cert.body,
        signature=weak_cert.signature,
        issuer_fingerprint=commune.root.fingerprint,
        issued_at=timezone.now(),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    Device.objects.filter(pk=weak.device.pk).update(status=DeviceStatus.ACTIVE)
    Membership.objects.filter(pk=weak.membership.pk).update(status=MembershipStatus.ACTIVE)
    weak.refresh()

    agent = factory.make_member(Role.AGENT, commune, approved=False)
    response = post_certificate(
        weak, agent.device, factory.coordinator_certificate(weak, agent.device)
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_a_certifier"
    assert agent.refresh().device.status == DeviceStatus.PENDING


def test_certificate_with_a_bad_signature_is_refused(commune, coordinator) -> None:
    agent = factory.make_member(Role.AGENT, commune, approved=False)
    forged = factory.coordinator_certificate(
        coordinator, agent.device, signer=Ed25519PrivateKey.generate()
    )
    response = post_certificate(coordinator, agent.device, forged)
    assert response.status_code == 422
    assert response.json()["code"] == "bad_signature"


def test_issuer_must_be_the_callers_session_device(commune, coordinator) -> None:
    other = factory.make_member(Role.COORDINATOR, commune)
    agent = factory.make_member(Role.AGENT, commune, approved=False)
    document = factory.coordinator_certificate(other, agent.device)  # signed by another device
    response = post_certificate(coordinator, agent.device, document)
    assert response.status_code == 422
    assert response.json()["code"] == "certificate_mismatch"


def test_non_canonical_body_is_refused(commune, coordinator) -> None:
    agent = factory.make_member(Role.AGENT, commune, approved=False)
    document = factory.coordinator_certificate(coordinator, agent.device)
    spaced = document.body.replace(",", ", ", 1)
    signature = chain.b64url_encode(coordinator.sign_key.sign(spaced.encode()))
    response = post_certificate(coordinator, agent.device, chain.SignedDocument(spaced, signature))
    assert response.status_code == 422
    assert response.json()["code"] == "not_canonical"


def test_coordinator_devices_need_the_root(commune, coordinator) -> None:
    newcomer = factory.make_member(Role.COORDINATOR, commune, approved=False)
    listed = coordinator.client().get("/api/v1/devices/pending").json()
    assert [d["root_only"] for d in listed if d["id"] == str(newcomer.device.public_id)] == [True]
    document = factory.coordinator_certificate(coordinator, newcomer.device)
    response = post_certificate(coordinator, newcomer.device, document)
    assert response.status_code == 403
    assert "racine" in response.json()["message"]


def test_already_certified_device_is_a_conflict(commune, coordinator) -> None:
    agent = factory.make_member(Role.AGENT, commune)
    document = factory.coordinator_certificate(coordinator, agent.device)
    response = post_certificate(coordinator, agent.device, document)
    assert response.status_code == 409
    assert response.json()["code"] == "device_not_pending"


def test_device_of_another_commune_looks_absent(commune, coordinator) -> None:
    elsewhere = factory.make_member(Role.AGENT, factory.make_commune(), approved=False)
    document = factory.coordinator_certificate(coordinator, elsewhere.device)
    assert post_certificate(coordinator, elsewhere.device, document).status_code == 404
    assert (
        coordinator.client()
        .get(f"/api/v1/trust/devices/{elsewhere.device.public_id}/chain")
        .status_code
        == 404
    )


def test_root_endpoint_serves_the_pinned_fingerprint(commune, coordinator) -> None:
    body = coordinator.client().get("/api/v1/trust/root").json()
    assert body["fingerprint"] == chain.fingerprint(chain.b64url_decode(body["public_key"]))
    assert body["fingerprint"] == commune.root.fingerprint
    assert body["demo"] is False

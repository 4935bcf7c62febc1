"""Approving devices: a certificate signed in the coordinator's browser, checked to the root."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from maillage.errors import Forbidden
from maillage.members.models import Membership, MembershipStatus, Role
from maillage.members.tests import factory
from maillage.stream.action import CLI
from maillage.territory.models import Commune
from maillage.trust import certificates as trust_certificates
from maillage.trust import directory
from maillage.trust import revocations as trust_revocations
from maillage.trust.models import Device, DeviceCertificate, DeviceStatus
from maillage.wire import chain

pytestmark = pytest.mark.django_db


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


# --- re-certifying the devices of a revoked coordinator device --------------------------


def verify_now(commune: Commune, documents: list[chain.SignedDocument]) -> chain.CertificateBody:
    """The check every client makes: the chain, against the latest verified revocation list."""
    _, revocations = directory.parsed_revocations(commune)
    root = commune.root
    return chain.verify_chain(
        documents,
        root.public_key,
        root.fingerprint,
        str(commune.public_id),
        revocations,
        int(timezone.now().timestamp()),
    )


def orphan_of(commune: Commune, coordinator: factory.Persona) -> factory.Persona:
    """A merchant `coordinator` approved, whose approving device the root then revoked."""
    merchant = factory.make_member(Role.MERCHANT, commune, approved=False)
    document = factory.coordinator_certificate(coordinator, merchant.device)
    assert post_certificate(coordinator, merchant.device, document).status_code == 201
    trust_revocations.revoke_devices_with_root(
        CLI, commune, factory.root_key(commune), [coordinator.device]
    )
    return merchant.refresh()


def recipient_chain(merchant: factory.Persona) -> list[chain.SignedDocument]:
    """The merchant's own entry in the key directory for a new report by their shop."""
    response = merchant.client().get("/api/v1/trust/recipients")
    assert response.status_code == 200, response.json()
    (entry,) = [
        e for e in response.json()["devices"] if e["device"] == str(merchant.device.public_id)
    ]
    return chain.parse_chain(entry["chain"])


def test_devices_of_a_revoked_coordinator_device_are_recertified(commune, coordinator) -> None:
    merchant = orphan_of(commune, coordinator)
    assert merchant.device.status == DeviceStatus.ACTIVE
    with pytest.raises(chain.TrustError) as refused:
        verify_now(commune, directory.device_chain(merchant.device))
    assert refused.value.code == "revoked"
    with pytest.raises(chain.TrustError):
        verify_now(commune, recipient_chain(merchant))
    assert directory.issuer_revoked(merchant.device)
    assert directory.orphaned_devices(commune) == [merchant.device]

    second = factory.make_member(Role.COORDINATOR, commune)
    listed = second.client().get("/api/v1/devices/pending").json()
    (item,) = [d for d in listed if d["id"] == str(merchant.device.public_id)]
    assert item["reason"] == "issuer_revoked"
    assert item["root_only"] is False
    assert item["certificate"]["sign_key"] == merchant.device.sign_public_key
    assert item["certificate"]["shop"] == str(merchant.shop.public_id)

    before = merchant.device.certified_at
    document = factory.coordinator_certificate(second, merchant.device)
    response = post_certificate(second, merchant.device, document)
    assert response.status_code == 201, response.json()
    assert response.json()["chain"][0]["body"] == document.body

    merchant.refresh()
    assert merchant.device.status == DeviceStatus.ACTIVE
    assert before is not None and merchant.device.certified_at is not None
    assert merchant.device.certified_at >= before
    assert merchant.membership.approved_by == coordinator.membership  # first approval kept
    leaf = verify_now(commune, directory.device_chain(merchant.device))
    assert leaf.sign_key == merchant.device.sign_public_key
    assert leaf.issuer == second.device.sign_key_fingerprint
    assert verify_now(commune, recipient_chain(merchant)).serial == leaf.serial
    assert not directory.issuer_revoked(merchant.device)
    assert directory.orphaned_devices(commune) == []
    listed = second.client().get("/api/v1/devices/pending").json()
    assert str(merchant.device.public_id) not in {d["id"] for d in listed}


def test_new_devices_are_listed_with_reason_new(commune, coordinator) -> None:
    merchant = factory.make_member(Role.MERCHANT, commune, approved=False)
    listed = coordinator.client().get("/api/v1/devices/pending").json()
    assert [d["reason"] for d in listed if d["id"] == str(merchant.device.public_id)] == ["new"]


def test_recertified_device_cannot_be_certified_again(commune, coordinator) -> None:
    merchant = orphan_of(commune, coordinator)
    second = factory.make_member(Role.COORDINATOR, commune)
    first = post_certificate(
        second, merchant.device, factory.coordinator_certificate(second, merchant.device)
    )
    assert first.status_code == 201
    again = post_certificate(
        second, merchant.device, factory.coordinator_certificate(second, merchant.device)
    )
    assert again.status_code == 409
    assert again.json()["code"] == "device_not_pending"
    assert DeviceCertificate.objects.filter(device=merchant.device).count() == 2


def test_healthy_active_device_is_still_refused(commune, coordinator) -> None:
    merchant = factory.make_member(Role.MERCHANT, commune, approved=False)
    document = factory.coordinator_certificate(coordinator, merchant.device)
    assert post_certificate(coordinator, merchant.device, document).status_code == 201
    second = factory.make_member(Role.COORDINATOR, commune)
    listed = second.client().get("/api/v1/devices/pending").json()
    assert str(merchant.device.public_id) not in {d["id"] for d in listed}
    response = post_certificate(
        second, merchant.device, factory.coordinator_certificate(second, merchant.device)
    )
    assert response.status_code == 409
    assert response.json()["code"] == "device_not_pending"
    assert DeviceCertificate.objects.filter(device=merchant.device).count() == 1


def test_revoked_device_cannot_recertify_but_its_owner_s_other_device_can(
    commune, coordinator
) -> None:
    """The lost phone cannot bring back what it approved; its owner's computer can."""
    merchant = orphan_of(commune, coordinator)
    document = factory.coordinator_certificate(coordinator, merchant.device)
    coordinator.refresh()
    with pytest.raises(Forbidden):
        trust_certificates.accept_certificate(coordinator.actor(), merchant.device, document)
    assert post_certificate(coordinator, merchant.device, document).status_code == 401
    assert DeviceCertificate.objects.filter(device=merchant.device).count() == 1

    computer = factory.add_device(coordinator.membership, label="Ordinateur")
    trust_certificates.certify_with_root(CLI, computer, factory.root_key(commune))
    sign_key, enc_key = factory.device_keys(computer)
    same_member = factory.Persona(coordinator.membership, computer, sign_key, enc_key)
    response = post_certificate(
        same_member, merchant.device, factory.coordinator_certificate(same_member, merchant.device)
    )
    assert response.status_code == 201, response.json()
    assert verify_now(commune, directory.device_chain(merchant.device)).issuer == (
        computer.sign_key_fingerprint
    )


def test_coordinator_devices_stay_root_only(commune, coordinator) -> None:
    """A coordinator device never has an issuer certificate, so it is never orphaned."""
    newcomer = factory.make_member(Role.COORDINATOR, commune, approved=False)
    trust_revocations.revoke_devices_with_root(
        CLI, commune, factory.root_key(commune), [coordinator.device]
    )
    second = factory.make_member(Role.COORDINATOR, commune)
    listed = second.client().get("/api/v1/devices/pending").json()
    (item,) = [d for d in listed if d["id"] == str(newcomer.device.public_id)]
    assert item["root_only"] is True and item["reason"] == "new"
    assert str(second.device.public_id) not in {d["id"] for d in listed}
    response = post_certificate(
        second, newcomer.device, factory.coordinator_certificate(second, newcomer.device)
    )
    assert response.status_code == 403
    assert "racine" in response.json()["message"]


def test_orphans_are_found_in_one_query(commune, coordinator) -> None:
    merchants = [factory.make_member(Role.MERCHANT, commune, approved=False) for _ in range(3)]
    for merchant in merchants:
        document = factory.coordinator_certificate(coordinator, merchant.device)
        assert post_certificate(coordinator, merchant.device, document).status_code == 201
    second = factory.make_member(Role.COORDINATOR, commune)
    healthy = factory.make_member(Role.AGENT, commune, approved=False)
    document = factory.coordinator_certificate(second, healthy.device)
    assert post_certificate(second, healthy.device, document).status_code == 201
    trust_revocations.revoke_devices_with_root(
        CLI, commune, factory.root_key(commune), [coordinator.device]
    )
    with CaptureQueriesContext(connection) as queries:
        orphans = directory.orphaned_devices(commune)
        shown = [(d.membership.person.display_name, d.membership.shop) for d in orphans]
    assert len(queries) == 1
    assert [d.pk for d in orphans] == [m.device.pk for m in merchants]
    assert healthy.device.pk not in {d.pk for d in orphans}
    assert len(shown) == 3

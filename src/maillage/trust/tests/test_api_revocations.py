"""Suspension and revocation: signed, numbered, cumulative lists; sessions end at once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from maillage.members.models import MembershipStatus, Role
from maillage.members.tests import factory
from maillage.territory.models import Commune
from maillage.trust import directory
from maillage.trust.models import DeviceCertificate, DeviceStatus, RevocationList
from maillage.wire import chain

pytestmark = pytest.mark.django_db


def signed_draft(coordinator: factory.Persona, query: str) -> dict[str, Any]:
    """What the coordinator's browser does: fetch the draft, check it, sign it."""
    draft = coordinator.client().get(f"/api/v1/trust/revocations/draft?{query}").json()
    assert draft["needed"] is True, draft
    body = json.loads(draft["body"])
    assert body["issuer"] == coordinator.device.sign_key_fingerprint
    assert coordinator.sign_key is not None
    return {"revocation_list": chain.sign_document(body, coordinator.sign_key).to_wire()}


def verified_list(client_persona: factory.Persona, commune: Commune) -> chain.RevocationList:
    served = client_persona.client().get("/api/v1/trust/revocations").json()
    doc, signer_chain = chain.parse_revocation_document(served)
    root = commune.root
    return chain.verify_revocation_list(
        doc,
        signer_chain,
        root.public_key,
        root.fingerprint,
        str(commune.public_id),
        0,
        int(timezone.now().timestamp()),
    )


def test_list_zero_is_signed_by_the_root(commune, coordinator) -> None:
    content = verified_list(coordinator, commune)
    assert content.number == 0
    assert content.entries == ()
    assert content.issuer == commune.root.fingerprint


def test_revoked_device_is_on_the_next_signed_list_and_thrown_out(commune, coordinator) -> None:
    agent = factory.make_member(Role.AGENT, commune)
    serial = DeviceCertificate.objects.get(device=agent.device).serial
    agent_client = agent.client()
    assert agent_client.get("/api/v1/trust/revocations").status_code == 200

    payload = signed_draft(coordinator, f"device={agent.device.public_id}")
    response = coordinator.client().post(
        f"/api/v1/devices/{agent.device.public_id}/revoke", payload, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "revoked"

    content = verified_list(coordinator, commune)
    assert content.number == 1
    assert [(e.serial, e.device, e.reason) for e in content.entries] == [
        (serial, str(agent.device.public_id), "revoked")
    ]
    assert content.issuer == coordinator.device.sign_key_fingerprint
    # The device's own chain no longer verifies against the list.
    cert = DeviceCertificate.objects.get(serial=serial)
    assert cert.revoked_at is not None
    with pytest.raises(chain.TrustError) as refused:
        chain.verify_chain(
            [directory.signed(c) for c in directory.certificate_chain(cert)],
            commune.root.public_key,
            commune.root.fingerprint,
            str(commune.public_id),
            content,
            int(timezone.now().timestamp()),
        )
    assert refused.value.code == "revoked"
    # …and its session ended.
    response = agent_client.get("/api/v1/trust/revocations")
    assert response.status_code == 401
    assert response.json()["code"] == "access_revoked"


def test_suspend_reinstate_recertify(commune, coordinator) -> None:
    merchant = factory.make_member(Role.MERCHANT, commune)
    merchant_client = merchant.client()
    payload = signed_draft(coordinator, f"member={merchant.membership.public_id}&action=suspend")
    response = coordinator.client().post(
        f"/api/v1/members/{merchant.membership.public_id}/suspend",
        payload,
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "suspended"
    assert response.json()["devices"][0]["status"] == "suspended"
    assert response.json()["devices"][0]["certificate_serial"] is None
    assert [e.reason for e in verified_list(coordinator, commune).entries] == ["suspended"]

    thrown_out = merchant_client.get("/api/v1/territory/shops")
    assert thrown_out.status_code == 401
    assert thrown_out.json()["code"] == "access_revoked"

    reinstated = coordinator.client().post(
        f"/api/v1/members/{merchant.membership.public_id}/reinstate"
    )
    assert reinstated.status_code == 200
    assert reinstated.json()["status"] == "active"
    assert reinstated.json()["devices"][0]["status"] == "pending"

    # A fresh certificate (new serial) brings the same device back.
    merchant.refresh()
    document = factory.coordinator_certificate(coordinator, merchant.device)
    certified = coordinator.client().post(
        f"/api/v1/devices/{merchant.device.public_id}/certificate",
        document.to_wire(),
        content_type="application/json",
    )
    assert certified.status_code == 201, certified.json()
    assert merchant.refresh().client().get("/api/v1/trust/revocations").status_code == 200


def test_revoke_member_revokes_every_device(commune, coordinator) -> None:
    operator = factory.make_member(Role.OPERATOR, commune)
    second = factory.add_device(operator.membership, label="Poste CSU")
    factory.certify(second)
    payload = signed_draft(coordinator, f"member={operator.membership.public_id}&action=revoke")
    response = coordinator.client().post(
        f"/api/v1/members/{operator.membership.public_id}/revoke",
        payload,
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert {d["status"] for d in response.json()["devices"]} == {"revoked"}
    assert len(verified_list(coordinator, commune).entries) == 2
    assert operator.refresh().membership.status == MembershipStatus.REVOKED


def test_member_without_certificate_needs_no_list(commune, coordinator) -> None:
    pending = factory.make_member(Role.AGENT, commune, approved=False)
    draft = coordinator.client().get(
        f"/api/v1/trust/revocations/draft?member={pending.membership.public_id}&action=suspend"
    )
    assert draft.json() == {"needed": False, "number": None, "body": None, "withdrawals": []}
    response = coordinator.client().post(
        f"/api/v1/members/{pending.membership.public_id}/suspend",
        {},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert RevocationList.objects.filter(commune=commune).count() == 1


def test_missing_list_is_refused(commune, coordinator) -> None:
    agent = factory.make_member(Role.AGENT, commune)
    response = coordinator.client().post(
        f"/api/v1/devices/{agent.device.public_id}/revoke", {}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "revocation_list_required"
    assert agent.refresh().device.status == DeviceStatus.ACTIVE


def test_list_that_forgets_or_adds_entries_is_refused(commune, coordinator) -> None:
    first = factory.make_member(Role.AGENT, commune)
    second = factory.make_member(Role.AGENT, commune)
    client = coordinator.client()
    # Sneaking in a second device the server did not ask for.
    draft = json.loads(
        client.get(f"/api/v1/trust/revocations/draft?device={first.device.public_id}").json()[
            "body"
        ]
    )
    extra = DeviceCertificate.objects.get(device=second.device).serial
    draft["entries"].append(
        {"serial": extra, "device": str(second.device.public_id), "reason": "revoked", "at": 1}
    )
    payload = {"revocation_list": chain.sign_document(draft, coordinator.sign_key).to_wire()}
    response = client.post(
        f"/api/v1/devices/{first.device.public_id}/revoke", payload, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "revocation_mismatch"

    # Revoke `first` properly, then try a list for `second` that forgets `first`.
    payload = signed_draft(coordinator, f"device={first.device.public_id}")
    assert (
        client.post(
            f"/api/v1/devices/{first.device.public_id}/revoke",
            payload,
            content_type="application/json",
        ).status_code
        == 200
    )
    draft = json.loads(
        client.get(f"/api/v1/trust/revocations/draft?device={second.device.public_id}").json()[
            "body"
        ]
    )
    draft["entries"] = [e for e in draft["entries"] if e["device"] != str(first.device.public_id)]
    payload = {"revocation_list": chain.sign_document(draft, coordinator.sign_key).to_wire()}
    response = client.post(
        f"/api/v1/devices/{second.device.public_id}/revoke",
        payload,
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "stale_revocations"


def test_stale_number_is_a_conflict(commune, coordinator) -> None:
    first = factory.make_member(Role.AGENT, commune)
    second = factory.make_member(Role.AGENT, commune)
    client = coordinator.client()
    stale = signed_draft(coordinator, f"device={second.device.public_id}")  # number 1
    fresh = signed_draft(coordinator, f"device={first.device.public_id}")  # number 1 too
    assert (
        client.post(
            f"/api/v1/devices/{first.device.public_id}/revoke",
            fresh,
            content_type="application/json",
        ).status_code
        == 200
    )
    response = client.post(
        f"/api/v1/devices/{second.device.public_id}/revoke", stale, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "revocation_number"


def test_list_signed_by_another_key_is_refused(commune, coordinator) -> None:
    agent = factory.make_member(Role.AGENT, commune)
    draft = json.loads(
        coordinator.client()
        .get(f"/api/v1/trust/revocations/draft?device={agent.device.public_id}")
        .json()["body"]
    )
    forged = chain.sign_document(draft, Ed25519PrivateKey.generate()).to_wire()
    response = coordinator.client().post(
        f"/api/v1/devices/{agent.device.public_id}/revoke",
        {"revocation_list": forged},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "bad_signature"


def test_coordinator_cannot_suspend_themself_or_revoke_their_own_device(
    commune, coordinator
) -> None:
    client = coordinator.client()
    own = client.post(
        f"/api/v1/members/{coordinator.membership.public_id}/suspend",
        {},
        content_type="application/json",
    )
    assert own.status_code == 409
    device = client.post(
        f"/api/v1/devices/{coordinator.device.public_id}/revoke",
        {},
        content_type="application/json",
    )
    assert device.status_code == 409

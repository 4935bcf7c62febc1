"""Invitations and enrolment: hashed single-use tokens, 72 h expiry, charter, passkey, device."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from maillage.members import actions
from maillage.members.models import (
    CharterAcceptance,
    Invitation,
    Membership,
    MembershipStatus,
    Passkey,
    Person,
    Role,
)
from maillage.members.tests import factory
from maillage.members.tests.authenticator import SoftAuthenticator
from maillage.stream.action import CLI, INVITEE
from maillage.trust import devices as trust_devices
from maillage.trust import enrolment as trust_enrolment
from maillage.trust.models import Device, DeviceStatus

pytestmark = pytest.mark.django_db

TOKEN_IN_URL = re.compile(r"/rejoindre#jeton=([A-Za-z0-9_-]+)&racine=([A-Za-z0-9_-]{43})$")


def invite(coordinator: factory.Persona, role: str = Role.OPERATOR, **extra: Any) -> dict[str, Any]:
    payload = {"role": role, "display_name": "Camille Durand", "email": "c@example.fr", **extra}
    response = coordinator.client().post(
        "/api/v1/invitations", payload, content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def token_of(url: str) -> str:
    match = TOKEN_IN_URL.search(url)
    assert match, url
    return match.group(1)


def enrol(
    client: Client,
    token: str,
    authenticator: SoftAuthenticator | None = None,
    *,
    charter_version: int = 1,
) -> tuple[Any, dict[str, Any]]:
    """Run the browser's side of enrolment: open, passkey options, create, complete."""
    authenticator = authenticator or SoftAuthenticator()
    opened = client.post(
        "/api/v1/enrolment/open", {"token": token}, content_type="application/json"
    )
    assert opened.status_code == 200, opened.json()
    options = client.post(
        "/api/v1/enrolment/passkey-options", {"token": token}, content_type="application/json"
    )
    assert options.status_code == 200, options.json()
    _, _, enc_public, sign_public = factory.new_keys()
    payload = {
        "token": token,
        "charter_version": charter_version,
        "credential": authenticator.create(options.json()),
        "device": {"label": "Téléphone de Camille", "enc_key": enc_public, "sign_key": sign_public},
    }
    response = client.post("/api/v1/enrolment/complete", payload, content_type="application/json")
    return response, payload


def test_invitation_link_pins_the_root_and_the_database_only_holds_the_hash(
    commune, coordinator
) -> None:
    created = invite(coordinator)
    token = token_of(created["url"])
    assert created["url"].endswith(f"&racine={commune.root.fingerprint}")
    assert created["url"].startswith("http://localhost:8000/rejoindre#jeton=")
    assert created["qr_svg"].lstrip().startswith("<svg")
    invitation = Invitation.objects.get(public_id=created["id"])
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    # The token itself is nowhere in the database, in any column of any invitation.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM members_invitation")
        rows = cursor.fetchall()
    assert rows and all(token not in str(value) for row in rows for value in row)
    assert len(token) >= 43


def test_invitation_expires_after_72_hours(commune) -> None:
    issued = actions.create_invitation(CLI, commune, role=Role.AGENT, display_name="Agent X")
    created_at = issued.invitation.created_at
    assert issued.invitation.expires_at - created_at == pytest.approx(
        timedelta(hours=72), abs=timedelta(seconds=5)
    )
    assert actions.open_invitation(issued.token, now=created_at + timedelta(hours=71, minutes=59))
    with pytest.raises(actions.InvitationError) as refused:
        actions.open_invitation(issued.token, now=created_at + timedelta(hours=72, seconds=1))
    assert refused.value.code == "invitation_expired"
    assert refused.value.status == 410


def test_expired_invitation_is_refused_by_the_api_in_french(commune) -> None:
    issued = actions.create_invitation(
        CLI,
        commune,
        role=Role.AGENT,
        display_name="Agent X",
        now=timezone.now() - timedelta(hours=72, seconds=1),
    )
    response = Client().post(
        "/api/v1/enrolment/open", {"token": issued.token}, content_type="application/json"
    )
    assert response.status_code == 410
    assert response.json()["code"] == "invitation_expired"
    assert "expiré" in response.json()["message"]
    assert response.json()["field"] == "token"


@pytest.mark.parametrize("token", ["inconnu", "x" * 128, ""])
def test_unknown_token_is_invalid(commune, token: str) -> None:
    response = Client().post(
        "/api/v1/enrolment/open", {"token": token}, content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "invitation_invalid"


def test_cancelled_invitation_is_invalid(commune, coordinator) -> None:
    created = invite(coordinator)
    client = coordinator.client()
    assert client.delete(f"/api/v1/invitations/{created['id']}").status_code == 204
    listed = [item["id"] for item in client.get("/api/v1/invitations").json()]
    assert created["id"] not in listed
    response = Client().post(
        "/api/v1/enrolment/open",
        {"token": token_of(created["url"])},
        content_type="application/json",
    )
    assert response.status_code == 410
    assert response.json()["code"] == "invitation_invalid"
    assert "annulée" in response.json()["message"]


def test_open_shows_commune_role_charter_and_root(commune, coordinator) -> None:
    shop = factory.make_shop(commune)
    created = invite(coordinator, Role.MERCHANT, shop=str(shop.public_id))
    body = (
        Client()
        .post(
            "/api/v1/enrolment/open",
            {"token": token_of(created["url"])},
            content_type="application/json",
        )
        .json()
    )
    assert body["commune"]["name"] == commune.name
    assert body["role"] == "commercant"
    assert body["role_label"] == "commerçant"
    assert body["shop"]["id"] == str(shop.public_id)
    assert body["charter"]["version"] == 1
    assert "17" in body["charter"]["text"]
    assert body["root"]["fingerprint"] == commune.root.fingerprint


def test_merchant_invitation_needs_a_shop_of_the_commune(commune, coordinator) -> None:
    client = coordinator.client()
    missing = client.post(
        "/api/v1/invitations",
        {"role": "commercant", "display_name": "Sans commerce"},
        content_type="application/json",
    )
    assert missing.status_code == 422
    assert missing.json()["field"] == "shop"
    elsewhere = factory.make_shop(factory.make_commune())
    other = client.post(
        "/api/v1/invitations",
        {"role": "commercant", "display_name": "Ailleurs", "shop": str(elsewhere.public_id)},
        content_type="application/json",
    )
    assert other.status_code == 404


def test_enrolment_creates_a_pending_member_signed_in(commune, coordinator) -> None:
    created = invite(coordinator, Role.AGENT)
    client = Client()
    response, payload = enrol(client, token_of(created["url"]))
    assert response.status_code == 201, response.json()
    session = response.json()
    assert session["authenticated"] is True
    assert session["membership"]["status"] == "pending"
    assert session["membership"]["role"] == "agent"
    assert session["device"]["status"] == "pending"
    assert session["root"]["fingerprint"] == commune.root.fingerprint
    assert session["person"]["display_name"] == "Camille Durand"

    membership = Membership.objects.get(public_id=session["membership"]["id"])
    assert membership.status == MembershipStatus.PENDING
    device = Device.objects.get(public_id=session["device"]["id"])
    assert device.status == DeviceStatus.PENDING
    assert device.sign_public_key == payload["device"]["sign_key"]
    assert device.enc_public_key == payload["device"]["enc_key"]
    assert Passkey.objects.filter(person=membership.person).count() == 1
    invitation = Invitation.objects.get(public_id=created["id"])
    assert invitation.used_at is not None and invitation.membership == membership

    # The same session now answers GET /session, and a pending member may not act yet.
    assert client.get("/api/v1/session").json()["membership"]["id"] == str(membership.public_id)
    refused = client.get("/api/v1/members")
    assert refused.status_code == 403
    assert refused.json()["code"] == "pending_approval"
    assert client.get("/api/v1/trust/root").status_code == 200


def test_charter_acceptance_records_the_exact_version_and_time(commune, coordinator) -> None:
    created = invite(coordinator)
    actions.publish_charter(coordinator.actor(), commune, "Charte version deux : " + "x" * 40)
    before = timezone.now()
    client = Client()
    stale, _ = enrol(client, token_of(created["url"]), charter_version=1)
    assert stale.status_code == 409
    assert stale.json()["code"] == "charter_outdated"
    assert not Person.objects.filter(display_name="Camille Durand").exists()

    response, _ = enrol(client, token_of(created["url"]), charter_version=2)
    assert response.status_code == 201, response.json()
    acceptance = CharterAcceptance.objects.get(
        membership__public_id=response.json()["membership"]["id"]
    )
    assert acceptance.charter.version == 2
    assert acceptance.charter.text.startswith("Charte version deux")
    assert before <= acceptance.accepted_at <= timezone.now()


def test_invitation_is_single_use_and_a_second_completion_stores_nothing(
    commune, coordinator
) -> None:
    created = invite(coordinator)
    token = token_of(created["url"])
    first, _ = enrol(Client(), token)
    assert first.status_code == 201
    counts = (
        Person.objects.count(),
        Membership.objects.count(),
        Passkey.objects.count(),
        Device.objects.count(),
        CharterAcceptance.objects.count(),
    )
    # A second browser that fetched options before the first finished tries to complete.
    other = Client()
    assert (
        other.post(
            "/api/v1/enrolment/open", {"token": token}, content_type="application/json"
        ).json()["code"]
        == "invitation_used"
    )
    with pytest.raises(actions.InvitationError) as refused:
        trust_enrolment.complete_enrolment(
            INVITEE,
            token,
            charter_version=1,
            passkey=_fake_passkey(),
            device=trust_devices.DeviceKeys("x", *factory.new_keys()[2:]),
        )
    assert refused.value.code == "invitation_used"
    assert counts == (
        Person.objects.count(),
        Membership.objects.count(),
        Passkey.objects.count(),
        Device.objects.count(),
        CharterAcceptance.objects.count(),
    )


def test_completion_locks_the_invitation_row(commune, coordinator) -> None:
    """Single use is decided under a row lock plus a conditional UPDATE."""
    issued = actions.create_invitation(CLI, commune, role=Role.AGENT, display_name="Agent Y")
    with CaptureQueriesContext(connection) as queries:
        trust_enrolment.complete_enrolment(
            INVITEE,
            issued.token,
            charter_version=1,
            passkey=_fake_passkey(),
            device=trust_devices.DeviceKeys("x", *factory.new_keys()[2:]),
        )
    sql = " ".join(q["sql"] for q in queries.captured_queries).upper()
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in sql
    assert '"USED_AT" IS NULL' in sql.replace("`", '"')


def test_failed_completion_rolls_everything_back(commune, coordinator) -> None:
    """A device key already in use aborts after the invitation was claimed: nothing stays."""
    issued = actions.create_invitation(CLI, commune, role=Role.AGENT, display_name="Agent Z")
    taken = coordinator.device
    assert taken is not None
    with pytest.raises(actions.ApiError) as refused:
        trust_enrolment.complete_enrolment(
            INVITEE,
            issued.token,
            charter_version=1,
            passkey=_fake_passkey(),
            device=trust_devices.DeviceKeys("x", factory.new_keys()[2], taken.sign_public_key),
        )
    assert refused.value.code == "device_key_in_use"
    invitation = Invitation.objects.get(pk=issued.invitation.pk)
    assert invitation.used_at is None and invitation.membership is None
    assert not Person.objects.filter(display_name="Agent Z").exists()


def test_completion_needs_the_passkey_challenge_of_this_invitation(commune, coordinator) -> None:
    first = token_of(invite(coordinator)["url"])
    second = token_of(invite(coordinator)["url"])
    client = Client()
    options = client.post(
        "/api/v1/enrolment/passkey-options", {"token": first}, content_type="application/json"
    ).json()
    _, _, enc_public, sign_public = factory.new_keys()
    response = client.post(
        "/api/v1/enrolment/complete",
        {
            "token": second,
            "charter_version": 1,
            "credential": SoftAuthenticator().create(options),
            "device": {"label": "x", "enc_key": enc_public, "sign_key": sign_public},
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "passkey_ceremony_expired"
    tokens = [actions.hash_token(first), actions.hash_token(second)]
    assert not Invitation.objects.filter(token_hash__in=tokens, used_at__isnull=False).exists()


def test_device_keys_must_be_32_byte_base64url(commune, coordinator) -> None:
    token = token_of(invite(coordinator)["url"])
    client = Client()
    options = client.post(
        "/api/v1/enrolment/passkey-options", {"token": token}, content_type="application/json"
    ).json()
    response = client.post(
        "/api/v1/enrolment/complete",
        {
            "token": token,
            "charter_version": 1,
            "credential": SoftAuthenticator().create(options),
            "device": {"label": "x", "enc_key": "court", "sign_key": factory.new_keys()[3]},
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "device.enc_key"


def _fake_passkey() -> actions.NewPasskey:
    import os
    import uuid

    return actions.NewPasskey(
        credential_id=os.urandom(16),
        public_key=b"\x00" * 10,
        sign_count=0,
        transports=[],
        user_handle=uuid.uuid4().bytes,
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_completions_create_exactly_one_member() -> None:
    """Two browsers finishing the same invitation at the same instant (PostgreSQL, real locks)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database with row locks and several connections")
    import threading

    from django.db import connections

    commune = factory.make_commune()
    issued = actions.create_invitation(CLI, commune, role=Role.AGENT, display_name="Course")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def complete() -> None:
        try:
            barrier.wait()
            trust_enrolment.complete_enrolment(
                INVITEE,
                issued.token,
                charter_version=1,
                passkey=_fake_passkey(),
                device=trust_devices.DeviceKeys("x", *factory.new_keys()[2:]),
            )
            outcomes.append("ok")
        except actions.ApiError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["invitation_used", "ok"]
    assert Membership.objects.filter(person__display_name="Course").count() == 1


def test_a_coordinator_invites_a_coordinator_whom_only_the_root_certifies(
    commune, coordinator
) -> None:
    """A documented right (docs/decisions.md): the mairie's root holder still confirms."""
    assert (
        "members.invite_coordinator"
        in coordinator.client().get("/api/v1/session").json()["permissions"]
    )
    created = invite(coordinator, Role.COORDINATOR)
    response, _ = enrol(Client(), token_of(created["url"]))
    assert response.status_code == 201, response.json()
    newcomer = response.json()["device"]["id"]

    pending = coordinator.client().get("/api/v1/devices/pending").json()
    assert [(d["id"], d["root_only"]) for d in pending] == [(newcomer, True)]
    device = Device.objects.get(public_id=newcomer)
    refused = coordinator.client().post(
        f"/api/v1/devices/{newcomer}/certificate",
        factory.coordinator_certificate(coordinator, device).to_wire(),
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert Device.objects.get(public_id=newcomer).status == DeviceStatus.PENDING


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.REFERENT, Role.DPO])
def test_no_other_role_invites_a_coordinator(commune, role: str) -> None:
    persona = factory.make_member(role, commune)
    assert (
        "members.invite_coordinator"
        not in persona.client().get("/api/v1/session").json()["permissions"]
    )
    refused = persona.client().post(
        "/api/v1/invitations",
        {"role": Role.COORDINATOR, "display_name": "Second coordinateur"},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert not Invitation.objects.filter(role=Role.COORDINATOR, created_by__isnull=False).exists()

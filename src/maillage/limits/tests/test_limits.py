"""Rate limits: named, configurable, stored in the database, 429 with a French message and
Retry-After; counted per client address, so nobody can lock a member out of sign-in."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from maillage.limits import actions
from maillage.limits.models import Bucket
from maillage.members import actions as member_actions
from maillage.members.models import Invitation, Membership, Passkey, Person, Role
from maillage.members.tests import factory
from maillage.trust.models import Device

pytestmark = pytest.mark.django_db


def anonymous(address: str) -> tuple[Client, dict[str, str]]:
    client = Client(REMOTE_ADDR=address)
    client.get("/api/v1/session")
    return client, {"X-CSRFToken": client.cookies["maillage_csrf"].value}


def test_a_window_admits_its_count_then_says_how_long_to_wait(settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "passkey_options": (3, 60)}
    assert [actions.hit("passkey_options", "ip:192.0.2.1") for _ in range(3)] == [None] * 3
    wait = actions.hit("passkey_options", "ip:192.0.2.1")
    assert wait is not None and 58 < wait <= 60
    assert actions.hit("passkey_options", "ip:192.0.2.2") is None
    assert actions.hit("passkey_verify", "ip:192.0.2.1") is None


def test_an_ended_window_starts_again(settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "passkey_options": (1, 60)}
    assert actions.hit("passkey_options", "ip:192.0.2.1") is None
    assert actions.hit("passkey_options", "ip:192.0.2.1") is not None
    Bucket.objects.update(window_ends="2000-01-01T00:00:00Z")
    assert actions.hit("passkey_options", "ip:192.0.2.1") is None


def test_the_store_keeps_no_address() -> None:
    actions.hit("passkey_options", "ip:203.0.113.77")
    [bucket] = Bucket.objects.all()
    assert "203.0.113" not in bucket.key
    assert bucket.key == actions.bucket_key("passkey_options", "ip:203.0.113.77")


def test_500_enrolment_attempts_get_429_and_store_nothing() -> None:
    commune = factory.make_commune()
    coordinator = factory.make_member(Role.COORDINATOR, commune)
    issued = member_actions.create_invitation(
        coordinator.actor(), commune, role=Role.OPERATOR, display_name="Invitée"
    )
    counts = [model.objects.count() for model in (Person, Membership, Passkey, Device)]
    client, headers = anonymous("198.51.100.9")
    _, _, enc, sign = factory.new_keys()
    statuses = []
    for attempt in range(500):
        response = client.post(
            "/api/v1/enrolment/complete",
            data={
                "token": issued.token,
                "charter_version": 1,
                "credential": {"id": f"forged-{attempt}", "response": {}},
                "device": {"label": "Pirate", "enc_key": enc, "sign_key": sign},
            },
            content_type="application/json",
            headers=headers,
        )
        statuses.append(response.status_code)
    assert 500 not in statuses
    assert statuses.count(429) >= 500 - 10
    assert set(statuses[:10]) <= {400, 403, 404, 409, 410, 422}
    refusal = response.json()
    assert refusal["code"] == "rate_limited"
    assert refusal["message"].startswith("Trop de tentatives : réessayez dans ")
    assert 0 < int(response["Retry-After"]) <= 300
    assert [model.objects.count() for model in (Person, Membership, Passkey, Device)] == counts
    assert Invitation.objects.get(pk=issued.invitation.pk).used_at is None


def test_someone_elses_failures_never_lock_a_member_out_of_sign_in() -> None:
    attacker, attacker_headers = anonymous("203.0.113.5")
    for _ in range(40):
        attacker.post(
            "/api/v1/auth/passkey/verify",
            data={"credential": {"id": "guessed"}},
            content_type="application/json",
            headers=attacker_headers,
        )
    blocked = attacker.post(
        "/api/v1/auth/passkey/verify",
        data={"credential": {"id": "guessed"}},
        content_type="application/json",
        headers=attacker_headers,
    )
    assert blocked.status_code == 429
    member, member_headers = anonymous("192.0.2.44")
    options = member.post("/api/v1/auth/passkey/options", headers=member_headers)
    assert options.status_code == 200
    attempt = member.post(
        "/api/v1/auth/passkey/verify",
        data={"credential": {"id": "mine"}},
        content_type="application/json",
        headers=member_headers,
    )
    assert attempt.status_code != 429


def test_ipv6_clients_are_counted_per_64_block(settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "passkey_options": (2, 60)}
    for suffix in ("1", "2"):
        client, headers = anonymous(f"2001:db8:1:2::{suffix}")
        assert client.post("/api/v1/auth/passkey/options", headers=headers).status_code == 200
    client, headers = anonymous("2001:db8:1:2::ffff")
    assert client.post("/api/v1/auth/passkey/options", headers=headers).status_code == 429
    client, headers = anonymous("2001:db8:1:3::1")
    assert client.post("/api/v1/auth/passkey/options", headers=headers).status_code == 200


def test_invitations_are_limited_per_coordinator(settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "invitation_create": (2, 3600)}
    commune = factory.make_commune()
    first = factory.make_member(Role.COORDINATOR, commune).client()
    second = factory.make_member(Role.COORDINATOR, commune).client()

    def invite(client: Client) -> int:
        return client.post(
            "/api/v1/invitations",
            data={"role": Role.OPERATOR, "display_name": "Agent"},
            content_type="application/json",
        ).status_code

    before = Invitation.objects.count()
    assert [invite(first) for _ in range(3)] == [201, 201, 429]
    assert invite(second) == 201
    assert Invitation.objects.count() == before + 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="several connections with row locks: PostgreSQL"
)
def test_concurrent_processes_share_one_count(settings: Any) -> None:
    """Twelve connections race for five places: exactly five are admitted."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "passkey_options": (5, 60)}
    barrier = threading.Barrier(12)
    results: list[float | None] = []
    lock = threading.Lock()

    def racer() -> None:
        try:
            barrier.wait()
            outcome = actions.hit("passkey_options", "ip:192.0.2.200")
            with lock:
                results.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=racer) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 12
    assert results.count(None) == 5
    assert Bucket.objects.get().count == 5

"""/api/v1/push: consent is required, only push services (never an internal address)
are accepted, nothing half-stored on a refusal, a repeat records nothing; the police and
the coordinator see which devices no channel reaches and the attempt log."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.push import worker
from maillage.push.models import PushSubscription
from maillage.push.subscriptions import disable
from maillage.stream.models import Event
from maillage.testing.push_receiver import PushReceiver

pytestmark = pytest.mark.django_db


def client_of(persona: factory.Persona) -> Client:
    return persona.client()


def post(persona: factory.Persona, body: dict[str, Any]) -> Any:
    return client_of(persona).post("/api/v1/push/subscriptions", body, "application/json")


def events(kind: str) -> int:
    return Event.objects.filter(kind=kind).count()


def test_the_key_is_made_once_and_kept(merchant) -> None:
    first = client_of(merchant).get("/api/v1/push/key").json()["application_server_key"]
    again = client_of(merchant).get("/api/v1/push/key").json()["application_server_key"]
    assert first == again
    assert len(first) == 87  # 65 bytes, base64url


def test_a_subscription_needs_consent_and_stores_nothing_without_it(
    receiver: PushReceiver, merchant
) -> None:
    info = receiver.subscription()
    refused = post(merchant, {**info, "consent": False})
    assert refused.status_code == 422
    assert refused.json()["code"] == "consent_required"
    assert refused.json()["field"] == "consent"
    assert "accord" in refused.json()["message"]
    assert PushSubscription.objects.count() == 0
    assert events("push.subscribed") == 0

    made = post(merchant, {**info, "consent": True})
    assert made.status_code == 201
    assert made.json()["service"] == "127.0.0.1"
    assert "endpoint" not in made.json()
    repeat = post(merchant, {**info, "consent": True})
    assert repeat.status_code == 200
    assert events("push.subscribed") == 1


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://10.0.0.5/push/x",  # an internal address
        "http://fcm.googleapis.com/fcm/send/x",  # a push service, without TLS
        "https://evil.example/push/x",  # not a push service
        "https://fcm.googleapis.com.evil.example/x",
        "https://user:pw@fcm.googleapis.com/x",
        "ftp://127.0.0.1/x",
    ],
)
def test_only_push_services_are_accepted(receiver: PushReceiver, merchant, endpoint) -> None:
    info = receiver.subscription()
    refused = post(merchant, {**info, "endpoint": endpoint, "consent": True})
    assert refused.status_code == 422
    assert refused.json()["code"] == "push_service_not_allowed"
    assert PushSubscription.objects.count() == 0


def test_a_known_push_service_is_accepted(receiver: PushReceiver, merchant) -> None:
    info = receiver.subscription()
    endpoint = "https://fcm.googleapis.com/fcm/send/abc"
    assert post(merchant, {**info, "endpoint": endpoint, "consent": True}).status_code == 201


def test_loopback_is_refused_in_production_settings(
    receiver: PushReceiver, merchant, settings
) -> None:
    settings.PUSH_ALLOW_LOOPBACK = False
    refused = post(merchant, {**receiver.subscription(), "consent": True})
    assert refused.json()["code"] == "push_service_not_allowed"


@pytest.mark.parametrize(
    ("field", "value"),
    [("p256dh", "AAAA"), ("p256dh", "B" * 87), ("auth", "c2hvcnQ")],
)
def test_bad_keys_are_refused(receiver: PushReceiver, merchant, field, value) -> None:
    info = receiver.subscription()
    info["keys"][field] = value
    refused = post(merchant, {**info, "consent": True})
    assert refused.status_code == 422
    assert (refused.json()["code"], refused.json()["field"]) == ("bad_push_key", f"keys.{field}")
    assert PushSubscription.objects.count() == 0


def test_a_browser_changing_hands_moves_its_subscription(receiver: PushReceiver, commune) -> None:
    first = factory.make_member(Role.MERCHANT, commune, name="Premier")
    second = factory.make_member(Role.MERCHANT, commune, name="Second")
    info = {**receiver.subscription(), "consent": True}
    assert post(first, info).status_code == 201
    assert post(second, info).status_code == 201
    live = PushSubscription.objects.filter(disabled_at__isnull=True)
    assert [row.device_id for row in live] == [second.device.pk]
    assert PushSubscription.objects.get(device=first.device).disabled_reason == "replaced"


def test_withdrawing_stops_the_pushes(receiver: PushReceiver, merchant, operator) -> None:
    made = post(operator, {**receiver.subscription(), "consent": True}).json()
    gone = client_of(operator).delete(f"/api/v1/push/subscriptions/{made['id']}")
    assert gone.status_code == 200
    assert gone.json()["disabled_reason"] == "withdrawn"
    assert events("push.unsubscribed") == 1
    # Someone else's subscription looks absent.
    other = client_of(merchant).delete(f"/api/v1/push/subscriptions/{made['id']}")
    assert other.status_code == 404


def test_the_police_see_the_devices_no_channel_reaches(
    receiver: PushReceiver, merchant, operator, commune
) -> None:
    reached = factory.make_member(Role.MERCHANT, commune, name="Joignable")
    info = receiver.subscription()
    assert post(reached, {**info, "consent": True}).status_code == 201
    dead = factory.make_member(Role.MERCHANT, commune, name="Expiré")
    dead_info = receiver.subscription()
    assert post(dead, {**dead_info, "consent": True}).status_code == 201
    disable(PushSubscription.objects.get(device=dead.device), 410, "HTTP 410")

    listed = client_of(operator).get("/api/v1/push/channels").json()
    by_name = {d["name"]: d for d in listed["devices"]}
    assert by_name["Joignable"]["reachable"] is True
    assert by_name["Expiré"]["reachable"] is False
    assert by_name["Expiré"]["push_disabled_reason"] == "HTTP 410"
    assert by_name[merchant.membership.person.display_name]["reachable"] is False
    assert listed["unreachable"] == sum(1 for d in listed["devices"] if not d["reachable"])
    assert client_of(merchant).get("/api/v1/push/channels").status_code == 403
    assert worker.run_once().outcomes == []
    assert client_of(operator).get("/api/v1/push/attempts").json() == []

"""Neighbour alerts over the API: held until an operator validates them (the commune's
default), refused = deleted with their files, out at once otherwise or from the police,
ended once (by an operator, or at expiry by the server's timer), and seen by nobody
outside their sector. Sealed and opened with the real wire code and keys."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import close_old_connections, connection

from maillage.access.roles import Role
from maillage.broadcasts.models import Broadcast, BroadcastAttachment
from maillage.incidents import alert_settings
from maillage.incidents.tests.helpers import make_incident
from maillage.members.tests import factory
from maillage.neighbours import actions, rules
from maillage.neighbours.models import NeighbourAlert, Status
from maillage.stream.action import CLI
from maillage.stream.delivery import content_right, sealed_for
from maillage.stream.models import ActorKind, Event
from maillage.stream.tests.helpers import assert_by, head, since
from maillage.stream.visibility import visible_to
from maillage.trust.tests import group_key_factory as keys

from .helpers import ALERTS, Street, listed, make_street, open_alert, send

pytestmark = pytest.mark.django_db

PHOTO = b"\x00sealed-looking bytes of a photo part " * 40


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def street() -> Street:
    return make_street()


def test_a_shops_alert_waits_for_validation_then_reaches_its_sector_only(street: Street) -> None:
    reporter, neighbour, far, operator = (
        street.reporter,
        street.neighbour,
        street.far,
        street.operator,
    )
    incident, _ = make_incident(reporter)
    text = "Vol à l'étalage, deux personnes parties vers la gare."
    before = head(street.commune)
    response = send(reporter, street.key_a, text, incident=str(incident.public_id))
    assert response.status_code == 201, response.content
    alert = response.json()
    assert alert["status"] == "pending"
    assert alert["sender"] == {
        "kind": "shop",
        "label": "Boulangerie du Centre",
        "shop": str(reporter.shop.public_id),
    }
    assert (alert["scope"], alert["sector"]["name"]) == (street.scope_a, "Centre")
    assert alert["incident"] == str(incident.public_id)
    assert alert["expires_at"] is None
    [event] = since(street.commune, before)
    assert event.kind == "neighbour_alert.submitted"
    assert_by(event, reporter.membership, reporter.device)
    assert event.payload == {
        "scope": street.scope_a,
        "number": 1,
        "incident": str(incident.public_id),
        "attachments": 0,
    }
    # Held: the police and the reporting shop see it, the neighbours nothing of it.
    assert [a["status"] for a in listed(reporter)] == ["pending"]
    assert [a["id"] for a in listed(operator)] == [alert["id"]]
    assert listed(neighbour) == []
    assert neighbour.client().get(f"{ALERTS}/{alert['id']}").status_code == 404
    assert neighbour.client().get(f"/api/v1/broadcasts?scope={street.scope_a}").json() == []
    assert visible_to(event, operator.membership) and visible_to(event, reporter.membership)
    assert not visible_to(event, neighbour.membership)
    assert not visible_to(event, far.membership)
    # The police can read it before validating: operators hold every sector's key.
    assert open_alert(operator, listed(operator)[0]).text == text

    # One click.
    before = head(street.commune)
    validated = operator.client().post(f"{ALERTS}/{alert['id']}/validate")
    assert validated.status_code == 200, validated.content
    out = validated.json()
    assert out["status"] == "active"
    expires = out["expires_at"]
    assert expires is not None
    [event] = since(street.commune, before)
    assert event.kind == "neighbour_alert.validated"
    assert_by(event, operator.membership, operator.device)
    row = NeighbourAlert.objects.get(public_id=alert["id"])
    assert row.expires_at is not None and row.activated_at is not None
    assert row.expires_at - row.activated_at == timedelta(minutes=rules.DEFAULT_EXPIRY_MINUTES)
    assert event.payload == {
        "scope": street.scope_a,
        "number": 1,
        "expires_at": int(row.expires_at.timestamp()),
    }
    assert visible_to(event, neighbour.membership) and not visible_to(event, far.membership)
    # Delivered inline to the sector's holders: the neighbour's device, not sector B's.
    sealed = sealed_for([event])[event.seq]
    assert str(neighbour.device.public_id) in sealed.recipients
    assert str(far.device.public_id) not in sealed.recipients
    assert sealed.body["broadcast"]["envelope"] == out["broadcast"]["envelope"]
    assert content_right(event.kind).value == "neighbours.view"

    [item] = listed(neighbour)
    assert item["status"] == "active"
    assert open_alert(neighbour, item).text == text
    assert listed(far) == []
    assert far.client().get(f"{ALERTS}/{alert['id']}").status_code == 404
    assert far.client().get(f"{ALERTS}/{alert['id']}/attachments/1").status_code == 404

    # A second click, or a second operator: nothing changes, no event.
    again = operator.client().post(f"{ALERTS}/{alert['id']}/validate")
    assert (again.status_code, again.json()["status"]) == (200, "active")
    assert len(since(street.commune, before)) == 1


def test_a_refused_alert_is_deleted_with_its_files_and_the_log_keeps_only_the_fact(
    street: Street, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    reporter, operator = street.reporter, street.operator
    response = send(reporter, street.key_a, "Canari-refus", attachments=[PHOTO])
    assert response.status_code == 201, response.content
    alert = response.json()
    stored = BroadcastAttachment.objects.get(broadcast__public_id=alert["id"])
    path = Path(settings.MEDIA_ROOT) / stored.file.name
    assert path.is_file()
    # The reporter reads its own attachment part; the neighbour cannot, even by the
    # broadcasts route (held).
    part = reporter.client().get(f"{ALERTS}/{alert['id']}/attachments/1")
    assert part.status_code == 200
    assert (
        street.neighbour.client().get(f"/api/v1/broadcasts/{alert['id']}/attachments/1").status_code
        == 404
    )

    before = head(street.commune)
    # Merchants do not validate or refuse.
    assert reporter.client().post(f"{ALERTS}/{alert['id']}/refuse").status_code == 403
    # The files go once the deletion commits.
    with django_capture_on_commit_callbacks(execute=True):
        refused = operator.client().post(f"{ALERTS}/{alert['id']}/refuse")
    assert refused.status_code == 200, refused.content
    assert refused.json() == {"id": alert["id"], "status": "refused"}
    assert not NeighbourAlert.objects.filter(public_id=alert["id"]).exists()
    assert not Broadcast.objects.filter(public_id=alert["id"]).exists()
    assert not BroadcastAttachment.objects.filter(broadcast__public_id=alert["id"]).exists()
    assert not path.exists()
    [event] = since(street.commune, before)
    assert (event.kind, event.payload, event.target_id) == (
        "neighbour_alert.refused",
        {"scope": street.scope_a},
        alert["id"],
    )
    assert visible_to(event, reporter.membership)
    assert not visible_to(event, street.neighbour.membership)
    assert sealed_for([event]) == {}
    assert listed(reporter) == []
    assert reporter.client().get(f"{ALERTS}/{alert['id']}").status_code == 404
    assert operator.client().post(f"{ALERTS}/{alert['id']}/validate").status_code == 404
    assert operator.client().post(f"{ALERTS}/{alert['id']}/refuse").status_code == 404


def test_without_validation_or_from_the_police_an_alert_goes_out_at_once(
    street: Street,
) -> None:
    operator, neighbour = street.operator, street.neighbour
    before = head(street.commune)
    police = send(operator, street.key_a, "Police municipale : fermez vos portes 10 min.")
    assert police.status_code == 201, police.content
    out = police.json()
    assert out["status"] == "active"
    assert out["sender"] == {"kind": "police", "label": "Police municipale", "shop": None}
    [event] = since(street.commune, before)
    assert event.kind == "neighbour_alert.sent"
    assert set(event.payload) == {"scope", "number", "incident", "attachments", "expires_at"}
    # An operator may write to any sector; sector B's shop sees that one only.
    assert send(operator, street.key_b, "Gare : colis suspect.").status_code == 201
    assert [a["scope"] for a in listed(street.far)] == [street.scope_b]
    assert [a["id"] for a in listed(neighbour)] == [out["id"]]

    # A commune that chose « at once »: a shop's alert goes out without waiting.
    current = alert_settings.for_commune(street.commune).as_dict()
    current.update(neighbour_validation=False, neighbour_expiry_minutes=30)
    alert_settings.change(CLI, street.commune, current)
    immediate = send(street.reporter, street.key_a, "Tout de suite.")
    assert immediate.status_code == 201, immediate.content
    row = NeighbourAlert.objects.get(public_id=immediate.json()["id"])
    assert row.status == Status.ACTIVE
    assert row.expires_at is not None and row.activated_at is not None
    assert row.expires_at - row.activated_at == timedelta(minutes=30)


def test_an_operator_ends_an_alert_with_a_sealed_message_and_it_leaves_the_home(
    street: Street,
) -> None:
    operator, neighbour, reporter = street.operator, street.neighbour, street.reporter
    alert = send(reporter, street.key_a).json()
    # Still pending: ending is not how one refuses.
    pending = operator.client().post(f"{ALERTS}/{alert['id']}/end")
    assert (pending.status_code, pending.json()["code"]) == (409, "alert_not_active")
    operator.client().post(f"{ALERTS}/{alert['id']}/validate")
    assert reporter.client().post(f"{ALERTS}/{alert['id']}/end").status_code == 403

    words = "Fin d'alerte : les personnes ont été interpellées."
    sealed = keys.seal(operator, street.key_a, words)
    before = head(street.commune)
    ended = operator.client().post(f"{ALERTS}/{alert['id']}/end", **keys.multipart(sealed))
    assert ended.status_code == 200, ended.content
    out = ended.json()
    assert (out["status"], out["end_reason"]) == ("ended", "operator")
    assert out["end_message"]["broadcast"] == keys.broadcast_id(sealed)
    [event] = since(street.commune, before)
    assert event.kind == "neighbour_alert.ended"
    assert event.payload == {
        "scope": street.scope_a,
        "reason": "operator",
        "message": keys.broadcast_id(sealed),
    }
    sealed_copy = sealed_for([event])[event.seq]
    assert str(neighbour.device.public_id) in sealed_copy.recipients
    assert sealed_copy.body["end_message"]["envelope"] == sealed.wire
    # It leaves the neighbours' list; the alert itself stays readable, with its end.
    assert listed(neighbour) == []
    item = neighbour.client().get(f"{ALERTS}/{alert['id']}").json()
    assert item["status"] == "ended"
    end_item = {**item, "id": item["id"], "broadcast": item["end_message"]}
    end_item["broadcast"]["attachments"] = []
    assert open_alert(neighbour, end_item).text == words
    # Once only.
    twice = operator.client().post(f"{ALERTS}/{alert['id']}/end")
    assert (twice.status_code, twice.json()["code"]) == (409, "alert_ended")
    # A message sealed for another sector is refused, nothing stored.
    other = send(operator, street.key_a, "Deuxième alerte").json()
    wrong = keys.seal(operator, street.key_b, "Fin, mais pour la gare")
    refused = operator.client().post(f"{ALERTS}/{other['id']}/end", **keys.multipart(wrong))
    assert (refused.status_code, refused.json()["code"]) == (400, "wrong_scope")
    assert not Broadcast.objects.filter(public_id=keys.broadcast_id(wrong)).exists()
    assert NeighbourAlert.objects.get(public_id=other["id"]).status == Status.ACTIVE


def test_expiry_ends_each_alert_once_by_the_server(street: Street) -> None:
    operator, neighbour = street.operator, street.neighbour
    first = send(operator, street.key_a, "Première").json()
    second = send(operator, street.key_a, "Seconde").json()
    row = NeighbourAlert.objects.get(public_id=first["id"])
    assert row.expires_at is not None
    before = head(street.commune)
    assert actions.expire_due(row.expires_at - timedelta(seconds=1)) == 0
    later = row.expires_at + timedelta(minutes=1)
    assert actions.expire_due(later) == 2
    assert actions.expire_due(later) == 0
    events = since(street.commune, before)
    assert sorted(e.target_id for e in events) == sorted([first["id"], second["id"]])
    for event in events:
        assert event.kind == "neighbour_alert.ended"
        assert event.actor_kind == ActorKind.SYSTEM
        assert event.payload == {"scope": street.scope_a, "reason": "expired", "message": None}
        assert visible_to(event, neighbour.membership)
    assert listed(neighbour) == []
    ended = neighbour.client().get(f"{ALERTS}/{first['id']}").json()
    assert (ended["status"], ended["end_reason"]) == ("ended", "expired")
    # An operator's end after the timer's: refused, still one end.
    late = operator.client().post(f"{ALERTS}/{first['id']}/end")
    assert late.status_code == 409
    assert len(since(street.commune, before)) == 2


def test_access_another_sectors_shop_can_neither_send_list_nor_fetch(street: Street) -> None:
    far, reporter = street.far, street.reporter
    # Sector B's shop sealing to sector A (it does not hold A's key, but try anyway).
    response = send(far, street.key_a)
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    # The commune scope is no neighbour alert.
    commune_key = keys.publish(street.operator, others=(reporter.device,))
    refused = send(street.operator, commune_key)
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_scope")
    # An incident of another shop cannot be named by a merchant.
    foreign, _ = make_incident(far)
    named = send(reporter, street.key_a, incident=str(foreign.public_id))
    assert named.status_code == 404
    assert NeighbourAlert.objects.count() == 0

    alert = send(street.operator, street.key_a).json()
    assert far.client().get(f"{ALERTS}/{alert['id']}").status_code == 404
    assert listed(far) == []
    for role in (Role.AGENT, Role.COORDINATOR, Role.DPO):
        other = factory.make_member(role, street.commune)
        assert other.client().get(ALERTS).status_code == 403
    outsider = factory.make_member(Role.OPERATOR, factory.make_commune())
    assert outsider.client().get(f"{ALERTS}/{alert['id']}").status_code == 404
    assert outsider.client().post(f"{ALERTS}/{alert['id']}/end").status_code == 404


def test_a_retry_stores_nothing_more(street: Street) -> None:
    reporter = street.reporter
    sealed = keys.seal(reporter, street.key_a, "Une seule fois")
    first = reporter.client().post(ALERTS, **keys.multipart(sealed))
    before = head(street.commune)
    retry = reporter.client().post(ALERTS, **keys.multipart(sealed))
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json()["id"] == first.json()["id"]
    assert since(street.commune, before) == []
    assert NeighbourAlert.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_processes_claiming_expiry_at_once_end_it_once() -> None:
    """Two timers racing (threads with their own connections; on PostgreSQL the claim
    is FOR UPDATE SKIP LOCKED, on SQLite the conditional UPDATE serialises)."""
    street = make_street()
    alerts = [send(street.operator, street.key_a, f"Alerte {i}").json() for i in range(5)]
    row = NeighbourAlert.objects.get(public_id=alerts[0]["id"])
    assert row.expires_at is not None
    later = row.expires_at + timedelta(minutes=1)
    before = head(street.commune)
    counts: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def timer() -> None:
        try:
            start.wait()
            counts.append(actions.expire_due(later))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=timer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sum(counts) == 5
    ended = Event.objects.filter(
        commune=street.commune, seq__gt=before, kind="neighbour_alert.ended"
    )
    # Each alert ended exactly once, whichever timer took it.
    assert sorted(ended.values_list("target_id", flat=True)) == sorted(a["id"] for a in alerts)
    assert connection.vendor in ("sqlite", "postgresql")


def test_a_shops_alerts_are_limited_and_the_police_sees_it(street: Street) -> None:
    current = alert_settings.for_commune(street.commune).as_dict()
    current["limits"]["neighbour_device"] = {"count": 1, "minutes": 10}
    alert_settings.change(CLI, street.commune, current)
    reporter = street.reporter
    assert send(reporter, street.key_a, "Première").status_code == 201
    before = head(street.commune)
    limited = send(reporter, street.key_a, "Seconde")
    assert limited.status_code == 429, limited.content
    body = limited.json()
    assert (body["code"], body["limit"]) == ("rate_limited", "neighbour_device")
    assert body["retry_after"] > 0 and "17" in body["message"]
    assert limited.headers["Retry-After"] == str(body["retry_after"])
    assert NeighbourAlert.objects.filter(shop=reporter.shop).count() == 1
    assert Broadcast.objects.filter(sender_membership=reporter.membership).count() == 1
    [event] = since(street.commune, before)
    assert (event.kind, event.payload["limit"]) == ("alert_limit.reached", "neighbour_device")
    assert send(reporter, street.key_a, "Troisième").status_code == 429
    assert len(since(street.commune, before)) == 1  # once per window
    # The police are not limited.
    for text in ("Police 1", "Police 2"):
        assert send(street.operator, street.key_a, text).status_code == 201

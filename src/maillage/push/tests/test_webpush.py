"""Web Push end to end through a real RFC 8030 receiver on loopback: our server's pushes
carry a valid VAPID signature and an RFC 8291 body whose plaintext is our sealed envelope
(never the content), which the device's own key opens; a 410 disables the subscription
and a 500 is retried with backoff, every try in the attempt log."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from maillage.incidents import actions
from maillage.incidents.tests.helpers import Draft
from maillage.incidents.tests.test_api_incidents import open_as
from maillage.members.tests import factory
from maillage.push import subscriptions, vapid, worker
from maillage.push.models import Attempt, Delivery, PushSubscription
from maillage.stream.models import Event
from maillage.testing.push_receiver import PushReceiver

pytestmark = pytest.mark.django_db


def subscribe(persona: factory.Persona, info: dict[str, Any]) -> PushSubscription:
    row, created = subscriptions.subscribe(
        persona.membership,
        persona.device,
        info["endpoint"],
        info["keys"]["p256dh"],
        info["keys"]["auth"],
        consent=True,
    )
    assert created
    return row


def report(merchant: factory.Persona, operator: factory.Persona, text: str) -> Draft:
    draft = Draft(merchant, readers=[operator.device], text=text)
    sealed = draft.seal()
    actions.report_incident(
        merchant.membership,
        merchant.device,
        draft.incident,
        actions.Upload(json.dumps(sealed.wire), sealed.attachments),
        actions.ReportFields(category="vol"),
    )
    return draft


def test_a_report_wakes_the_police_with_its_envelope_sealed_twice(
    receiver: PushReceiver, merchant, operator
) -> None:
    info = receiver.subscription()
    subscribe(operator, info)
    subscribe(merchant, receiver.subscription())
    canary = f"CANARY-{uuid.uuid4()}"
    draft = report(merchant, operator, f"Individu menaçant {canary}")

    summary = worker.run_once()

    # The police device only: the merchant is not woken by its own report.
    assert (summary.fanned, summary.sent) == (1, 1)
    [message] = receiver.wait(1)
    assert receiver.rejected == []
    assert message.endpoint == info["endpoint"]
    assert message.vapid_key == vapid.application_server_key()
    assert message.claims["aud"] == receiver.origin
    assert message.headers["urgency"] == "high"
    assert canary.encode() not in message.plaintext
    pushed = message.json()
    assert pushed["kind"] == "incident.reported"
    assert pushed["incident"] == draft.incident
    assert pushed["category"].startswith("Vol")
    assert pushed["from"] == merchant.membership.shop.enseigne
    assert pushed["sector"] == merchant.membership.shop.sector.name
    assert pushed["fetch"] is False
    sealed = pushed["sealed"]
    assert sealed["id"] == pushed["ref"] == draft.message
    opened = open_as(operator, sealed, [])
    assert canary in opened.text
    [attempt] = Attempt.objects.all()
    assert (attempt.result, attempt.status, attempt.number) == ("ok", 201, 1)
    assert attempt.transport == "webpush"
    # Nothing twice: a second tick finds nothing new.
    again = worker.run_once()
    assert (again.fanned, again.sent) == (0, 0)


def test_a_gone_subscription_is_disabled_and_logged(
    receiver: PushReceiver, merchant, operator
) -> None:
    info = receiver.subscription()
    row = subscribe(operator, info)
    receiver.answer(info, 410)
    report(merchant, operator, "Vol à l'étalage")

    summary = worker.run_once()

    assert summary.failed == 1
    row.refresh_from_db()
    assert row.disabled_at is not None
    [attempt] = Attempt.objects.filter(device=operator.device)
    assert (attempt.result, attempt.status) == ("permanent", 410)
    assert Event.objects.filter(kind="push.subscription_disabled", target_id=str(row.public_id))
    # Never tried again.
    report(merchant, operator, "Encore un vol")
    later = worker.run_once()
    assert (later.fanned, later.sent) == (0, 0)
    assert Attempt.objects.count() == 1


def test_a_server_error_is_retried_with_backoff(
    receiver: PushReceiver, merchant, operator, settings
) -> None:
    settings.PUSH_BACKOFF_BASE_SECONDS = 2
    info = receiver.subscription()
    subscribe(operator, info)
    receiver.answer(info, 500, 503)
    report(merchant, operator, "Alarme déclenchée")

    first = worker.run_once()
    assert (first.sent, first.retried) == (0, 1)
    delivery = Delivery.objects.get()
    assert delivery.state == "pending"
    wait = delivery.due_at - timezone.now()
    assert timedelta(seconds=1) < wait <= timedelta(seconds=2)
    # Not due yet: nothing is sent.
    assert worker.run_once().outcomes == []
    Delivery.objects.update(due_at=timezone.now())
    second = worker.run_once()
    assert second.retried == 1
    delivery.refresh_from_db()
    assert timedelta(seconds=3) < delivery.due_at - timezone.now() <= timedelta(seconds=4)
    Delivery.objects.update(due_at=timezone.now())
    third = worker.run_once()
    assert third.sent == 1
    tries = list(Attempt.objects.order_by("number").values_list("number", "result", "status"))
    assert tries == [(1, "temporary", 500), (2, "temporary", 503), (3, "ok", 201)]
    assert len(receiver.wait(1)) == 1


def test_a_neighbour_alert_wakes_the_sector_with_its_sealed_broadcast(
    receiver: PushReceiver,
) -> None:
    from maillage.neighbours.tests import helpers as street_helpers

    street = street_helpers.make_street()
    neighbour_info, far_info = receiver.subscription(), receiver.subscription()
    subscribe(street.neighbour, neighbour_info)
    subscribe(street.far, far_info)
    subscribe(street.reporter, receiver.subscription())
    canary = f"CANARY-{uuid.uuid4()}"
    sent = street_helpers.send(street.reporter, street.key_a, f"Deux individus {canary}")
    assert sent.status_code == 201, sent.content
    alert = sent.json()["id"]
    validated = street.operator.client().post(f"{street_helpers.ALERTS}/{alert}/validate")
    assert validated.status_code == 200, validated.content

    summary = worker.run_once()

    # The neighbour of sector A only: not the sender, not the shop of sector B.
    assert summary.sent == 1
    [message] = receiver.wait(1)
    assert message.endpoint == neighbour_info["endpoint"]
    assert canary.encode() not in message.plaintext
    pushed = message.json()
    assert pushed["kind"] == "neighbour_alert.validated"
    assert pushed["sector"] == "Centre"
    opened = street_helpers.open_alert(street.neighbour, {**pushed["sealed"], "id": alert})
    assert canary in (opened.text or "")

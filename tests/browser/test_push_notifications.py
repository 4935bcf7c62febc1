"""Web Push in Chromium, end to end but for the browser's push service: a shopkeeper's
report is pushed by our worker to a loopback RFC 8030 receiver (which checks VAPID and
decrypts RFC 8291), and the bytes it received are handed to the police device's service
worker through DevTools (`ServiceWorker.deliverPushMessage`), as the push service would.
The worker opens the sealed envelope with the device's own keys and shows the
notification: the canary is in its text and nowhere on the server. Too big for a push
(`fetch: true`), the worker fetches the message itself and shows the same text."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from maillage.members.models import Role
from maillage.push import subscriptions, worker
from maillage.push.models import Attempt
from maillage.stream.tests.live import live_db
from maillage.testing.push_receiver import PushReceiver
from maillage.trust.models import Device, DeviceStatus

from .push_service import receiver
from .test_alert import SEND, VOL, PhoneFactory, app_url, merchant_phone, phone, shop_name
from .test_envelopes import demo, demo_sign_in, member, open_console, rows_containing
from .test_pwa import CONTROLLED, profile_page

__all__ = ["app_url", "demo", "live_db", "phone", "profile_page", "receiver"]  # fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTIFICATIONS = """async () => {
  const registration = await navigator.serviceWorker.ready;
  return (await registration.getNotifications()).map((n) => ({
    title: n.title, body: n.body, tag: n.tag, lang: n.lang, data: n.data,
  }));
}"""

# Closing is asynchronous: resolves once none is listed any more.
CLOSE_NOTIFICATIONS = """async () => {
  const registration = await navigator.serviceWorker.ready;
  for (const n of await registration.getNotifications()) n.close();
  while ((await registration.getNotifications()).length > 0) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}"""


class WorkerRegistration:
    """The page's service worker registration as DevTools knows it, to push into."""

    def __init__(self, page: Page, origin: str) -> None:
        self.origin = origin
        self.cdp = page.context.new_cdp_session(page)
        self.ids: list[str] = []
        self.cdp.on(
            "ServiceWorker.workerRegistrationUpdated",
            lambda event: self.ids.extend(
                r["registrationId"] for r in event["registrations"] if not r["isDeleted"]
            ),
        )
        self.cdp.send("ServiceWorker.enable")
        page.wait_for_timeout(200)
        deadline = 50
        while not self.ids and deadline:
            page.wait_for_timeout(100)
            deadline -= 1
        assert self.ids, "aucun service worker enregistré"

    def deliver(self, data: str) -> None:
        self.cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": self.origin, "registrationId": self.ids[-1], "data": data},
        )

    def deliver_until_shown(self, page: Page, data: str) -> dict[str, Any]:
        """Delivers `data` and returns the notification it shows. DevTools now and then
        drops a delivery to a worker it is stopping (a push service would retry): the same
        bytes are delivered again, at most three times, and the notification must come."""
        for _ in range(3):
            self.deliver(data)
            for _ in range(50):
                found = list(page.evaluate(NOTIFICATIONS))
                if found:
                    assert len(found) == 1, found
                    return dict(found[0])
                page.wait_for_timeout(100)
        raise AssertionError("aucune notification affichée")


def police_device_subscribed(demo: Any, receiver: PushReceiver) -> dict[str, Any]:
    """The console's own device (made by this browser at sign-in), subscribed to the
    receiver as the consent button does; the receiver plays the browser's push service."""
    operator = member(demo, Role.OPERATOR)
    device = (
        Device.objects.filter(membership=operator, status=DeviceStatus.ACTIVE)
        .order_by("-pk")
        .first()
    )
    assert device is not None
    info = receiver.subscription()
    subscriptions.subscribe(
        operator, device, info["endpoint"], info["keys"]["p256dh"], info["keys"]["auth"], True
    )
    return info


def test_a_pushed_report_is_opened_by_the_service_worker_and_shown(
    profile_page: Page, phone: PhoneFactory, demo: Any, app_url: str, receiver: PushReceiver
) -> None:
    canary = f"canari-push-{uuid.uuid4().hex}"
    console = profile_page
    console.context.grant_permissions(["notifications"], origin=app_url)
    demo_sign_in(console, member(demo, Role.OPERATOR))
    open_console(console)
    expect(
        console.get_by_text("Clé de service créée sur cet appareil (génération 1).")
    ).to_be_visible()
    console.evaluate(CONTROLLED)
    registration = WorkerRegistration(console, app_url)
    police_device_subscribed(demo, receiver)

    shop = merchant_phone(phone, demo)
    shop.get_by_role("button", name=VOL).tap()
    shop.get_by_label("Ce qui se passe (facultatif)").fill(f"Deux individus, caisse 2. {canary}")
    shop.get_by_role("button", name=SEND).tap()
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()

    summary = worker.run_once()
    assert summary.sent == 1
    [message] = receiver.wait(1)
    assert canary.encode() not in message.plaintext
    pushed = message.json()
    assert pushed["kind"] == "incident.reported" and pushed["fetch"] is False
    assert "sealed" in pushed

    # The push service's delivery, with exactly the bytes our server sent.
    notice = registration.deliver_until_shown(console, message.plaintext.decode())
    assert notice["title"] == f"Nouveau signalement : {VOL}"
    sector = member(demo, Role.MERCHANT).shop.sector.name
    assert notice["body"].splitlines() == [
        f"{shop_name(demo)} · {sector}",
        f"Deux individus, caisse 2. {canary}",
    ]
    assert notice["tag"] == pushed["incident"]
    assert notice["lang"] == "fr"
    assert notice["data"]["url"] == f"/incidents/{pushed['incident']}"

    # Too big for a push: the same event without its copy; the worker fetches it.
    console.evaluate(CLOSE_NOTIFICATIONS)
    wake_up = {key: value for key, value in pushed.items() if key != "sealed"}
    wake_up["fetch"] = True
    fetched = registration.deliver_until_shown(console, json.dumps(wake_up))
    assert fetched["body"].splitlines()[-1] == f"Deux individus, caisse 2. {canary}"

    # Not ours (another sender, a newer format): a plain notification, no content.
    console.evaluate(CLOSE_NOTIFICATIONS)
    plain = registration.deliver_until_shown(console, json.dumps({**wake_up, "v": 2}))
    assert (plain["title"], plain["body"]) == ("Maillage", "")

    [attempt] = Attempt.objects.all()
    assert (attempt.result, attempt.status) == ("ok", 201)
    assert rows_containing(canary) == []

"""« Notifications sur cet appareil » in Chromium: nothing is subscribed before the
consent is ticked; « Activer les notifications » makes the browser's subscription and the
server keeps it with its consent; a report then reaches this police device's push
endpoint sealed; a subscription the push service ended is renewed at the next start
without asking; withdrawing disables it, and a withdrawn device is never renewed. A
refused permission stores nothing and says how to allow it again.

Headless Chromium has no push service: `push_service.py` puts a stand-in for
`PushManager` in the page (real WebCrypto keys, the loopback receiver's endpoint) and
hands its private key to the receiver, which decrypts what our server pushed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from maillage.members.models import Role
from maillage.push import subscriptions, worker
from maillage.push.models import PushSubscription
from maillage.stream.tests.live import live_db
from maillage.testing.push_receiver import PushReceiver
from maillage.trust.models import Device, DeviceStatus

from .conftest import DESKTOP, PersonFactory
from .push_service import (
    adopt_browser_subscription,
    browser_subscription,
    install_push_stand_in,
    receiver,
)
from .test_alert import SEND, VOL, PhoneFactory, app_url, merchant_phone, phone
from .test_envelopes import demo, demo_sign_in, member, open_console, rows_containing

__all__ = ["app_url", "demo", "live_db", "phone", "receiver"]  # fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Notifications sur cet appareil"
AGREE = "J'accepte de recevoir sur cet appareil les alertes de Maillage, même téléphone verrouillé."
ENABLE = "Activer les notifications"
WITHDRAW = "Ne plus recevoir de notifications"
ON = "Notifications activées sur cet appareil"


def consent_panel(page: Page) -> Locator:
    return page.get_by_role("region", name=TITLE)


def device_of(role: Role, demo: Any) -> Device:
    device = (
        Device.objects.filter(membership=member(demo, role), status=DeviceStatus.ACTIVE)
        .order_by("-pk")
        .first()
    )
    assert device is not None
    return device


def live_rows(device: Device) -> list[PushSubscription]:
    return list(PushSubscription.objects.filter(device=device, disabled_at__isnull=True))


def reopen_console(page: Page) -> Locator:
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Console police")
    return consent_panel(page)


def test_consent_subscribes_this_device_and_a_report_reaches_it_sealed(
    open_browser: PersonFactory,
    phone: PhoneFactory,
    demo: Any,
    app_url: str,
    receiver: PushReceiver,
) -> None:
    canary = f"canari-consent-{uuid.uuid4().hex}"
    person = open_browser("operateur", viewport=DESKTOP, passkeys=False)
    install_push_stand_in(person.context, receiver)
    person.context.grant_permissions(["notifications"], origin=app_url)
    console = person.page
    demo_sign_in(console, member(demo, Role.OPERATOR))
    open_console(console)
    expect(
        console.get_by_text("Clé de service créée sur cet appareil (génération 1).")
    ).to_be_visible()
    device = device_of(Role.OPERATOR, demo)

    # The button without the box: it says why, and nothing is asked or stored.
    panel = consent_panel(console)
    panel.get_by_role("button", name=ENABLE).click()
    expect(panel.get_by_role("alert")).to_contain_text("Cochez d'abord la case")
    expect(panel.get_by_label(AGREE)).to_have_attribute("aria-invalid", "true")
    assert PushSubscription.objects.count() == 0
    assert browser_subscription(console) is None

    panel.get_by_label(AGREE).check()
    panel.get_by_role("button", name=ENABLE).click()
    expect(panel.get_by_role("status")).to_have_text(ON)
    expect(panel.get_by_role("alert")).to_have_count(0)
    [row] = live_rows(device)
    assert row.consented_at is not None
    saved = adopt_browser_subscription(console, receiver)
    assert row.endpoint == saved["endpoint"]
    assert (row.p256dh, row.auth) == (saved["p256dh"], saved["auth"])

    # A report wakes the police device: our server's push reaches its endpoint, sealed.
    shop = merchant_phone(phone, demo)
    shop.get_by_role("button", name=VOL).tap()
    shop.get_by_label("Ce qui se passe (facultatif)").fill(f"Caisse 3. {canary}")
    shop.get_by_role("button", name=SEND).tap()
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()
    assert worker.run_once().sent == 1
    [message] = receiver.wait(1)
    assert message.endpoint == row.endpoint
    assert canary.encode() not in message.plaintext
    pushed = message.json()
    assert pushed["kind"] == "incident.reported" and "sealed" in pushed
    assert rows_containing(canary) == []

    # Back later: still on, nothing subscribed again.
    panel = reopen_console(console)
    expect(panel.get_by_role("status")).to_have_text(ON)
    assert PushSubscription.objects.filter(device=device).count() == 1

    # The push service ended it (and the browser dropped it): renewed without asking.
    subscriptions.disable(row, 410, "HTTP 410")
    console.evaluate("() => localStorage.removeItem('maillage-test.push-subscription')")
    panel = reopen_console(console)
    expect(panel.get_by_role("status")).to_have_text(ON)
    expect(panel.get_by_label(AGREE)).to_have_count(0)
    [renewed] = live_rows(device)
    assert renewed.pk != row.pk and renewed.endpoint != row.endpoint

    # Withdrawn: the row is disabled, the browser unsubscribed, the off-state shown.
    panel.get_by_role("button", name=WITHDRAW).click()
    expect(panel.get_by_role("status")).to_have_text("Notifications arrêtées sur cet appareil.")
    expect(panel.get_by_role("button", name=ENABLE)).to_be_visible()
    expect(panel.get_by_label(AGREE)).not_to_be_checked()
    renewed.refresh_from_db()
    assert renewed.disabled_at is not None and renewed.disabled_reason == "withdrawn"
    assert browser_subscription(console) is None

    # A withdrawal is never undone silently, whatever the browser still allows.
    panel = reopen_console(console)
    expect(panel.get_by_role("button", name=ENABLE)).to_be_visible()
    assert live_rows(device) == []
    assert browser_subscription(console) is None


def test_a_refused_permission_stores_nothing_and_says_how_to_allow_it(
    phone: PhoneFactory, demo: Any, receiver: PushReceiver
) -> None:
    shop = phone("commercant")
    install_push_stand_in(shop.context, receiver)
    demo_sign_in(shop, member(demo, Role.MERCHANT))
    panel = consent_panel(shop)
    # Below the main actions: nothing between the categories and « Signaler un incident ».
    report = shop.get_by_role("link", name="Signaler un incident")
    report_box, panel_box = report.bounding_box(), panel.bounding_box()
    assert report_box is not None and panel_box is not None
    assert panel_box["y"] > report_box["y"] + report_box["height"]

    # Headless Chromium answers the permission prompt « block ».
    panel.get_by_label(AGREE).check()
    panel.get_by_role("button", name=ENABLE).click()
    alert = panel.get_by_role("alert")
    expect(alert).to_contain_text("Les notifications de Maillage sont bloquées")
    expect(alert).to_contain_text("paramètres du site")
    assert shop.evaluate("() => Notification.permission") == "denied"
    assert PushSubscription.objects.count() == 0
    assert browser_subscription(shop) is None

    # Next time, the help is there at once, without a button that cannot work.
    shop.reload()
    panel = consent_panel(shop)
    expect(panel).to_contain_text("paramètres du site")
    expect(panel.get_by_role("button", name=ENABLE)).to_have_count(0)
    assert PushSubscription.objects.count() == 0

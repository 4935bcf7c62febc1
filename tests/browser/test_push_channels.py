"""« Joignabilité des appareils » in real Chromium (issue 11, point 3: « a device with no
working channel is shown to the operator and the coordinator »).

The demo commune, its rows made by the server's own functions: Karim's new phone
subscribed to a loopback RFC 8030 receiver (maillage.testing.push_receiver) and pushed
to once by the real worker (his report taken in charge), Sophie's subscription disabled
after a 410, and a third merchant who never subscribed. The coordinator's page and the
operator's console list exactly the devices `maillage.push.channels` finds unreachable,
each with its reason; a `push.subscription_disabled` arriving while both are open adds
Karim's phone to both lists without a reload, and its attempt log shows the push it had.

The server is the real ASGI application under uvicorn (as in test_live_console): the
stream is what updates the pages. It runs no ticker, so the test runs the push worker.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from maillage.demo.seed import _demo_member
from maillage.duty.presence import connected_devices
from maillage.incidents import workflow
from maillage.incidents.tests.helpers import make_incident
from maillage.members.models import Membership, Role
from maillage.members.tests import factory
from maillage.push import channels, subscriptions, worker
from maillage.push.models import PushSubscription
from maillage.stream.action import DEMO
from maillage.territory.models import Shop
from maillage.testing.push_receiver import PushReceiver
from maillage.trust.certificates import certify_with_root
from maillage.trust.models import Device
from maillage.trust.roots import demo_root_key

from .a11y import axe
from .conftest import DESKTOP, PersonFactory, save_screenshot
from .push_service import receiver
from .test_envelopes import demo, demo_sign_in, member, open_console
from .test_live_console import app_url, live_db

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["app_url", "demo", "live_db", "receiver"]  # fixtures

LIVE = 30_000  # ms: a delivery is checked here, never timed
EXPIRED = "Abonnement expiré (HTTP 410)"
NOT_ENABLED = "Notifications non activées"
NEW_MERCHANT = "Yasmine Khelifi"


def subscribe(who: Membership, device: Device, receiver: PushReceiver) -> PushSubscription:
    info = receiver.subscription()
    row, created = subscriptions.subscribe(
        who, device, info["endpoint"], info["keys"]["p256dh"], info["keys"]["auth"], consent=True
    )
    assert created
    return row


def demo_device(who: Membership) -> Device:
    return Device.objects.get(membership=who, label="Téléphone (démo)")


def new_phone(demo: Any, who: Membership) -> factory.Persona:
    """A second phone of `who`, with keys this test holds, certified by the demo root."""
    device = factory.add_device(who, label="Téléphone neuf")
    certify_with_root(DEMO, device, demo_root_key(demo.commune))
    device.refresh_from_db()
    sign_key, enc_key = factory.device_keys(device)
    return factory.Persona(who, device, sign_key, enc_key)


def unreachable(demo: Any) -> set[str]:
    """What the server itself says: the devices no channel reaches now."""
    return {str(c.device.public_id) for c in channels.for_commune(demo.commune) if not c.reachable}


def listed(rows: Locator) -> dict[str, str]:
    """The rows marked unreachable on screen: device → the reason in words."""
    found: dict[str, str] = {}
    for row in rows.locator('tr[data-reachable="false"]').all():
        state = row.locator("td").nth(2)
        assert state.locator(".badge").inner_text() == "Injoignable"  # written out
        found[str(row.get_attribute("data-device"))] = state.locator(".channels-why").inner_text()
    return found


def wait_for_presence(page: Page, demo: Any, operator: Membership) -> None:
    """Until the console's stream counts in the presence table (it has no event)."""
    devices = Device.objects.filter(membership=operator).exclude(pk=demo_device(operator).pk)
    mine = set(devices.values_list("pk", flat=True))
    for _ in range(120):
        if mine & connected_devices(demo.commune.pk):
            return
        page.wait_for_timeout(250)
    raise AssertionError("la console de l'opérateur n'est pas comptée comme connectée")


def test_coordinator_and_console_list_the_unreachable_devices_live(
    open_browser: PersonFactory, demo: Any, receiver: PushReceiver, tmp_path: Path
) -> None:
    karim = member(demo, Role.MERCHANT)
    sophie = next(m for m in demo.members if m.person.display_name == "Sophie Martin")
    operator = member(demo, Role.OPERATOR)
    assert karim.shop is not None

    # Karim's new phone: subscribed, and pushed to once (his report taken in charge).
    phone = new_phone(demo, karim)
    karim_row = subscribe(karim, phone.device, receiver)
    incident, _ = make_incident(phone, readers=[demo_device(operator)])
    workflow.take(operator, demo_device(operator), incident)
    assert worker.run_once().sent == 1
    assert receiver.wait(1)
    # Sophie's subscription: the push service said it is gone.
    sophie_row = subscribe(sophie, demo_device(sophie), receiver)
    assert subscriptions.disable(sophie_row, 410, "HTTP 410")
    # A merchant who never subscribed.
    shop = Shop.objects.filter(commune=demo.commune).exclude(pk=karim.shop.pk).order_by("pk")[3]
    yasmine = _demo_member(
        demo.commune, demo_root_key(demo.commune), NEW_MERCHANT, Role.MERCHANT, shop
    )

    # The police console, open first: its stream is a channel of its own.
    police_person = open_browser("operateur", viewport=DESKTOP, passkeys=False)
    police = police_person.page
    demo_sign_in(police, operator)
    open_console(police)
    wait_for_presence(police, demo, operator)

    mairie_person = open_browser("coordinatrice", viewport=DESKTOP, passkeys=False)
    mairie = mairie_person.page
    demo_sign_in(mairie, member(demo, Role.COORDINATOR))
    mairie.goto("/coordination")
    mairie.get_by_role("link", name="Joignabilité des appareils").click()
    expect(mairie.get_by_role("heading", level=1)).to_have_text("Joignabilité des appareils")
    table = mairie.get_by_role("table", name="Appareils qu'aucun canal n'atteint")
    expect(table).to_be_visible()

    expected = unreachable(demo)
    sophie_device = str(demo_device(sophie).public_id)
    yasmine_device = str(demo_device(yasmine).public_id)
    karim_device = str(phone.device.public_id)
    assert {sophie_device, yasmine_device} <= expected and karim_device not in expected

    on_page = listed(table)
    assert set(on_page) == expected
    assert on_page[sophie_device] == EXPIRED
    assert on_page[yasmine_device] == NOT_ENABLED
    summary = f"{len(expected)} appareils injoignables"
    expect(mairie.get_by_text(summary, exact=True)).to_be_visible()
    # The reachable ones on demand, after the unreachable ones, with their channel.
    mairie.get_by_label(re.compile(r"^Afficher aussi les appareils joignables")).check()
    every = mairie.get_by_role("table", name="Appareils certifiés, les injoignables d'abord")
    karim_line = every.locator(f'tr[data-device="{karim_device}"]')
    expect(karim_line).to_contain_text("Joignable")
    expect(karim_line).to_contain_text("Notifications actives")
    states = every.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.reachable)")
    assert states == sorted(states)  # "false" before "true"
    mairie.get_by_label(re.compile(r"^Afficher aussi les appareils joignables")).uncheck()

    # The console's one line opens the same list, read again on opening.
    line = police.locator("details.channels-console")
    line.locator("summary").click()
    console_table = line.get_by_role("table", name="Appareils qu'aucun canal n'atteint")
    expect(console_table).to_be_visible()
    expect(line.locator("summary")).to_have_text(summary)
    in_console = listed(console_table)
    assert set(in_console) == expected
    assert in_console[sophie_device] == EXPIRED
    assert in_console[yasmine_device] == NOT_ENABLED
    save_screenshot(police, "console-joignabilite", tmp_path)
    assert axe(police) == []

    # The push service drops Karim's subscription while both pages are open.
    assert subscriptions.disable(karim_row, 410, "HTTP 410")
    for rows in (table, console_table):
        expect(rows.locator(f'tr[data-device="{karim_device}"] .channels-why')).to_have_text(
            EXPIRED, timeout=LIVE
        )
    after = unreachable(demo)
    assert after == expected | {karim_device}
    assert set(listed(table)) == after
    assert set(listed(console_table)) == after
    expect(line.locator("summary")).to_have_text(f"{len(after)} appareils injoignables")
    expect(mairie.get_by_text(f"{len(after)} appareils injoignables", exact=True)).to_be_visible()

    # His phone's attempt log: the push the worker made, in words.
    table.locator(f'tr[data-device="{karim_device}"]').get_by_role(
        "button", name="Voir les essais de remise vers l'appareil de Karim Benali"
    ).click()
    attempts = mairie.get_by_role(
        "table",
        name="Les derniers essais de remise vers l'appareil de Karim Benali, "
        "du plus récent au plus ancien",
    )
    expect(attempts).to_be_visible()
    expect(attempts.locator("tbody tr")).to_have_count(1)
    cells = attempts.locator("tbody tr td")
    expect(cells.nth(0)).to_have_text("Web Push")
    expect(cells.nth(2)).to_have_text("Remis")
    expect(cells.nth(3)).to_have_text("201")
    expect(cells.nth(4)).to_have_text(re.compile(r"^\d+ ms$"))
    expect(attempts.locator("tbody th")).to_have_text(re.compile(r"\d{4} à \d{2}:\d{2}$"))
    save_screenshot(mairie, "joignabilite", tmp_path)
    assert axe(mairie) == []

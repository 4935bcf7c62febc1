"""History across a police service key rotation, in real Chromium (docs/envelope.md,
"Police service key"): content sealed before a rotation stays wrapped to the older
generation, so a holder passes the older generations too to an operator device approved
after the rotation, and that device reads the whole history.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from maillage.incidents.models import SealedMessage
from maillage.members.models import Membership, Role
from maillage.stream.action import CLI
from maillage.trust import revocations as trust_revocations
from maillage.trust import roots as trust_roots
from maillage.trust.models import Device, ServiceKey, ServiceKeyGrant

from .conftest import DESKTOP, PHONE, PersonFactory
from .test_envelopes import demo, demo_sign_in, member, open_console, report, shows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["demo"]  # the demo commune fixture, shared with test_envelopes


def new_device(open_browser: PersonFactory, name: str, operator: Membership) -> tuple[Page, Device]:
    """Another browser signed in as the operator: a new device of that member."""
    page = open_browser(name, viewport=DESKTOP, passkeys=False).page
    demo_sign_in(page, operator)
    device = operator.devices.order_by("-pk").first()
    assert device is not None
    return page, device


def generations_held_by(device: Device) -> list[int]:
    return sorted(
        ServiceKeyGrant.objects.filter(recipient_device=device).values_list(
            "service_key__number", flat=True
        )
    )


def test_an_operator_device_approved_after_a_rotation_reads_older_reports(
    open_browser: PersonFactory, demo: Any
) -> None:
    operator = member(demo, Role.OPERATOR)
    merchant = member(demo, Role.MERCHANT)
    assert merchant.shop is not None
    open_report = f"Ouvrir le signalement de {merchant.shop.enseigne}"

    a, device_a = new_device(open_browser, "operateur-a", operator)
    open_console(a)
    shows(a, "Clé de service créée sur cet appareil (génération 1).")

    shop = open_browser("commercant", viewport=PHONE, passkeys=False).page
    demo_sign_in(shop, merchant)
    text = f"Avant la rotation {uuid.uuid4().hex}"
    report(shop, text)
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()
    sealed = SealedMessage.objects.get()
    wrapped_to = {(r["kind"], r["id"]) for r in json.loads(sealed.header)["recipients"]}
    assert {("device", str(device_a.public_id)), ("service", "police:1")} <= wrapped_to
    assert [r for r in wrapped_to if r[0] == "service"] == [("service", "police:1")]

    # B receives generation 1, then is revoked: A's next visit rotates to generation 2.
    b, device_b = new_device(open_browser, "operateur-b", operator)
    open_console(b)
    shows(b, "Cet appareil attend la clé de service (génération 1)")
    a.reload()
    shows(a, re.compile(r"Clé transmise à 1 nouvel\(s\) appareil"))
    assert generations_held_by(device_b) == [1]
    trust_revocations.revoke_devices_with_root(
        CLI, demo.commune, trust_roots.demo_root_key(demo.commune), [device_b]
    )
    a.reload()
    shows(a, "Clé de service créée sur cet appareil (génération 2).")
    assert sorted(ServiceKey.objects.values_list("number", flat=True)) == [1, 2]
    assert generations_held_by(device_a) == [1, 2]
    assert generations_held_by(device_b) == [1]

    # C arrives after the rotation: A passes it generation 2 and, for R1, generation 1.
    c, device_c = new_device(open_browser, "operateur-c", operator)
    open_console(c)
    shows(c, "Cet appareil attend la clé de service (génération 2)")
    a.reload()
    shows(a, "Cet appareil détient la clé de service (génération 2).")
    shows(a, re.compile(r"Clé transmise à 1 nouvel\(s\) appareil"))
    assert generations_held_by(device_c) == [1, 2]
    assert ("device", str(device_c.public_id)) not in wrapped_to

    c.reload()
    shows(c, "Cet appareil détient la clé de service (génération 2).")
    shows(c, "Générations précédentes détenues (historique lisible) : 1.")
    c.get_by_role("button", name=open_report).click()
    expect(c.get_by_text(text)).to_be_visible()
    expect(c.get_by_text("Ouvert avec la clé de service de la police.")).to_be_visible()

"""Demo sign-in: certified by the demo root, and the same keys come back as the same device."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from maillage.demo.seed import DemoSeed, seed_demo
from maillage.members.models import Role
from maillage.members.tests.factory import new_keys
from maillage.stream.action import CLI
from maillage.trust import revocations as trust_revocations
from maillage.trust import roots as trust_roots
from maillage.trust.models import Device

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings: Any) -> DemoSeed:
    settings.DEMO_MODE = True
    return seed_demo()


def login(demo: DemoSeed, role: Role, enc_key: str, sign_key: str) -> Any:
    member = next(m for m in demo.members if m.role == role)
    return Client().post(
        "/api/v1/demo/login",
        {"member": str(member.public_id), "device": {"enc_key": enc_key, "sign_key": sign_key}},
        content_type="application/json",
    )


def test_same_keys_sign_the_same_member_back_in_on_the_same_device(demo: DemoSeed) -> None:
    _, _, enc, sign = new_keys()
    first = login(demo, Role.OPERATOR, enc, sign)
    assert first.status_code == 200, first.content
    again = login(demo, Role.OPERATOR, enc, sign)
    assert again.status_code == 200, again.content
    assert again.json()["device"]["id"] == first.json()["device"]["id"]
    assert Device.objects.filter(sign_public_key=sign).count() == 1


def test_keys_of_another_member_or_a_revoked_device_are_refused(demo: DemoSeed) -> None:
    _, _, enc, sign = new_keys()
    assert login(demo, Role.OPERATOR, enc, sign).status_code == 200
    other = login(demo, Role.MERCHANT, enc, sign)
    assert (other.status_code, other.json()["code"]) == (409, "device_key_in_use")

    device = Device.objects.get(sign_public_key=sign)
    trust_revocations.revoke_devices_with_root(
        CLI, demo.commune, trust_roots.demo_root_key(demo.commune), [device]
    )
    revoked = login(demo, Role.OPERATOR, enc, sign)
    assert (revoked.status_code, revoked.json()["code"]) == (409, "device_key_in_use")
    _, _, fresh_enc, fresh_sign = new_keys()
    assert login(demo, Role.OPERATOR, fresh_enc, fresh_sign).status_code == 200

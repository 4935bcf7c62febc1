"""Demo sign-in: exists only in demo mode, where the server holds the demo root key."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema

from maillage.errors import Conflict, NotFound
from maillage.limits.throttle import per_client
from maillage.members.api import session_payload
from maillage.members.auth import anonymous_csrf
from maillage.members.models import Membership, MembershipStatus
from maillage.members.sessions import start_session
from maillage.stream.action import DEMO
from maillage.trust import directory as trust_directory
from maillage.trust.certificates import certify_with_root
from maillage.trust.devices import DeviceKeys, register_device
from maillage.trust.models import Device
from maillage.trust.roots import demo_root_key

router = Router(tags=["demo"])


class DemoMemberOut(Schema):
    id: uuid.UUID
    display_name: str
    role: str
    role_label: str
    shop: str | None


class DemoDeviceIn(Schema):
    label: str = "Navigateur (démo)"
    enc_key: str
    sign_key: str


class DemoLoginIn(Schema):
    member: uuid.UUID
    device: DemoDeviceIn


def _demo_members() -> Any:
    if not settings.DEMO_MODE:
        raise NotFound("La connexion de démonstration n'existe qu'en mode démo.")
    return (
        Membership.objects.filter(commune__is_demo=True, status=MembershipStatus.ACTIVE)
        .select_related("person", "shop", "commune")
        .order_by("pk")
    )


@router.get("/members", response=list[DemoMemberOut], auth=None)
def demo_members(request: HttpRequest) -> list[DemoMemberOut]:
    return [
        DemoMemberOut(
            id=m.public_id,
            display_name=m.person.display_name,
            role=m.role,
            role_label=m.get_role_display(),
            shop=m.shop.enseigne if m.shop else None,
        )
        for m in _demo_members()
    ]


@router.post("/login", auth=anonymous_csrf, throttle=[per_client("demo_login")])
def demo_login(request: HttpRequest, payload: DemoLoginIn) -> dict[str, Any]:
    """Sign in as a demo member; this browser's keys get certified by the demo root.

    Keys this member already signed in with are taken back as the same device: one
    browser can then play the shopkeeper and the operator in turn and keep what each
    device holds (the police service key, history readable by the operator's device).
    """
    membership = _demo_members().filter(public_id=payload.member).first()
    if membership is None:
        raise NotFound("Compte de démonstration introuvable.")
    known = _returning_device(membership, payload.device.sign_key, payload.device.enc_key)
    if known is not None:
        start_session(request, membership, known)
        return session_payload(request)
    with transaction.atomic():
        device = register_device(
            DEMO,
            membership,
            DeviceKeys(
                label=payload.device.label,
                enc_key=payload.device.enc_key,
                sign_key=payload.device.sign_key,
            ),
        )
        certify_with_root(DEMO, device, demo_root_key(membership.commune))
        device = Device.objects.get(pk=device.pk)
    start_session(request, membership, device)
    return session_payload(request)


def _returning_device(membership: Membership, sign_key: str, enc_key: str) -> Device | None:
    """This member's still-certified device with exactly these keys, if any."""
    device = Device.objects.filter(sign_public_key=sign_key).first()
    if device is None:
        return None
    if (
        device.membership_id != membership.pk
        or device.enc_public_key != enc_key
        or trust_directory.current_certificate(device) is None
    ):
        raise Conflict(
            "device_key_in_use",
            "Ces clés d'appareil servent déjà à un autre compte ou ne sont plus certifiées.",
            field="device.sign_key",
        )
    return device

"""Sessions: who member_auth / pending_auth admit, and suspension ending a session at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from maillage.access.policy import Action
from maillage.members.models import MemberSession, MembershipStatus, Role
from maillage.members.tests import factory
from maillage.territory.models import Commune
from maillage.trust import memberships as trust_memberships
from maillage.trust.models import Device, DeviceStatus

pytestmark = pytest.mark.django_db


def test_anonymous_session_says_so_and_sets_the_csrf_cookie() -> None:
    client = Client()
    response = client.get("/api/v1/session")
    assert response.json()["authenticated"] is False
    assert "maillage_csrf" in client.cookies
    assert client.get("/api/v1/members").status_code == 401
    assert client.get("/api/v1/members").json()["code"] == "unauthenticated"


def test_session_describes_member_device_root_and_permissions(commune) -> None:
    coordinator = factory.make_member(Role.COORDINATOR, commune)
    body = coordinator.client().get("/api/v1/session").json()
    assert body["authenticated"] is True
    assert body["membership"]["role"] == "coordinateur"
    assert body["membership"]["commune"]["id"] == str(commune.public_id)
    assert body["device"]["fingerprint"] == coordinator.device.sign_key_fingerprint
    assert body["root"]["public_key"] == commune.root.public_key
    assert "members.invite" in body["permissions"]
    assert body["demo"] is False


def test_pending_member_may_only_do_pending_things(commune) -> None:
    pending = factory.make_member(Role.MERCHANT, commune, approved=False)
    client = pending.client()
    assert client.get("/api/v1/trust/root").status_code == 200
    assert client.get("/api/v1/charter").status_code == 200
    assert client.get("/api/v1/trust/revocations").json()["code"] == "pending_approval"
    assert client.get("/api/v1/territory/shops").status_code == 403


def test_logout_ends_the_session(commune) -> None:
    member = factory.make_member(Role.AGENT, commune)
    client = member.client()
    assert client.post("/api/v1/session/logout").status_code == 204
    assert client.get("/api/v1/session").json()["authenticated"] is False
    assert not MemberSession.objects.filter(membership=member.membership).exists()


def test_suspension_throws_the_member_out_at_the_next_request(commune) -> None:
    coordinator = factory.make_member(Role.COORDINATOR, commune)
    merchant = factory.make_member(Role.MERCHANT, commune)
    merchant_client = merchant.client()
    assert merchant_client.get("/api/v1/territory/shops").status_code == 200

    # Suspend behind the merchant's back (the session row survives: only the status changed).
    from maillage.members.models import Membership

    Membership.objects.filter(pk=merchant.membership.pk).update(status=MembershipStatus.SUSPENDED)
    response = merchant_client.get("/api/v1/territory/shops")
    assert response.status_code == 401
    assert response.json() == {
        "code": "access_revoked",
        "message": "Votre accès a été suspendu ou révoqué par la mairie.",
        "field": None,
    }
    # Thrown out: the next call is simply anonymous, even after reinstatement.
    Membership.objects.filter(pk=merchant.membership.pk).update(status=MembershipStatus.ACTIVE)
    assert merchant_client.get("/api/v1/territory/shops").json()["code"] == "unauthenticated"
    assert coordinator.client().get("/api/v1/members").status_code == 200


def test_suspend_action_deletes_the_members_sessions_and_says_why(commune: Commune) -> None:
    coordinator = factory.make_member(Role.COORDINATOR, commune)
    member = factory.make_member(Role.AGENT, commune, approved=False)
    client = member.client()
    key = client.cookies["maillage_session"].value
    assert Session.objects.filter(session_key=key).exists()
    trust_memberships.suspend_member(coordinator.actor(), member.membership, revocation_list=None)
    # Gone from the server at once, not merely refused at the next request…
    assert not Session.objects.filter(session_key=key).exists()
    assert MemberSession.objects.get(session_key=key).ended_at is not None
    # …and the browser's next call is told why, once.
    response = client.get("/api/v1/session")
    assert response.status_code == 401
    assert response.json()["code"] == "access_revoked"
    assert client.get("/api/v1/session").json()["authenticated"] is False
    assert not MemberSession.objects.filter(membership=member.membership).exists()


def test_revoked_device_session_is_thrown_out_with_a_page_still_served(commune) -> None:
    member = factory.make_member(Role.OPERATOR, commune)
    client = member.client()
    Device.objects.filter(pk=member.device.pk).update(status=DeviceStatus.REVOKED)
    assert client.get("/").status_code == 200  # the shell still loads, anonymously
    assert client.get("/api/v1/session").json()["authenticated"] is False


def test_session_with_a_device_of_someone_else_is_refused(commune) -> None:
    member = factory.make_member(Role.OPERATOR, commune)
    other = factory.make_member(Role.OPERATOR, commune)
    client = Client()
    factory.login(client, member.membership, other.device)
    assert client.get("/api/v1/session").status_code == 401


def _documented_permissions() -> dict[str, str]:
    """The permissions table of docs/architecture.md: name → roles column."""
    text = (Path(__file__).resolve().parents[4] / "docs" / "architecture.md").read_text()
    section = text.split("## Permissions", 1)[1]
    rows = re.findall(r"^\| `([a-z_.]+)` \| ([^|]+) \|", section, flags=re.MULTILINE)
    return {name: roles.strip() for name, roles in rows}


def test_every_permission_is_documented_for_the_front_end() -> None:
    assert set(_documented_permissions()) == {action.value for action in Action}


@pytest.mark.parametrize("role", list(Role))
def test_session_permissions_are_the_documented_ones_for_each_role(commune, role: str) -> None:
    persona = factory.make_member(role, commune)
    granted = set(persona.client().get("/api/v1/session").json()["permissions"])
    label = Role(role).label
    documented = {
        name
        for name, roles in _documented_permissions().items()
        if (roles.startswith("all") and not (roles.startswith("all but") and label in roles))
        or re.search(rf"(^|, ){re.escape(label)}( \(|,|$)", roles)
    }
    assert granted == documented


def test_a_request_with_the_replaced_cookie_does_not_sign_the_browser_out(commune) -> None:
    """A request sent before a sign-in and answered after it must not delete the new
    session's cookie: only the request that ends a session does."""
    member = factory.make_member(Role.MERCHANT, commune)
    client = member.client()
    old_key = client.cookies["maillage_session"].value
    assert Session.objects.filter(session_key=old_key).exists()
    Session.objects.filter(session_key=old_key).delete()  # as start_session does

    late = Client()
    late.cookies["maillage_session"] = old_key
    response = late.get("/api/v1/session")
    assert response.json()["authenticated"] is False
    assert "maillage_session" not in response.cookies  # no deletion sent

    signed_out = member.client()
    response = signed_out.post("/api/v1/session/logout")
    assert response.status_code == 204
    assert response.cookies["maillage_session"].value == ""  # sign-out still deletes it

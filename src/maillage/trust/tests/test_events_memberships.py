"""Suspend, reinstate, revoke: one event each, naming the coordinator and their device."""

from __future__ import annotations

from typing import Any

import pytest

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.tests.helpers import assert_by, head, since
from maillage.territory.models import Commune
from maillage.trust.tests.test_api_revocations import signed_draft

pytestmark = pytest.mark.django_db


def act(coordinator: factory.Persona, member: factory.Persona, verb: str, payload: Any) -> Any:
    return coordinator.client().post(
        f"/api/v1/members/{member.membership.public_id}/{verb}",
        payload,
        content_type="application/json",
    )


def signed(coordinator: factory.Persona, member: factory.Persona, verb: str) -> dict[str, Any]:
    return signed_draft(coordinator, f"member={member.membership.public_id}&action={verb}")


def test_suspension_names_the_list_and_the_devices(
    commune: Commune, coordinator: factory.Persona
) -> None:
    merchant = factory.make_member(Role.MERCHANT, commune)
    before = head(commune)
    response = act(coordinator, merchant, "suspend", signed(coordinator, merchant, "suspend"))
    assert response.status_code == 200, response.json()
    [event] = since(commune, before)
    assert event.kind == "member.suspended"
    assert_by(event, coordinator.membership, coordinator.device)
    assert (event.target_type, event.target_id) == (
        "membership",
        str(merchant.membership.public_id),
    )
    assert (event.member, event.shop) == (merchant.membership, merchant.shop)
    assert event.payload == {"revocation_list": 1, "devices": 1}


def test_reinstating_records_the_status_it_restored(
    commune: Commune, coordinator: factory.Persona
) -> None:
    agent = factory.make_member(Role.AGENT, commune)
    pending = factory.make_member(Role.AGENT, commune, approved=False)
    act(coordinator, agent, "suspend", signed(coordinator, agent, "suspend"))
    act(coordinator, pending, "suspend", {})
    before = head(commune)
    assert act(coordinator, agent, "reinstate", None).status_code == 200
    assert act(coordinator, pending, "reinstate", None).status_code == 200
    first, second = since(commune, before)
    assert (first.kind, first.member, first.payload) == (
        "member.reinstated",
        agent.membership,
        {"status": "active"},
    )
    assert (second.member, second.payload) == (pending.membership, {"status": "pending"})
    assert_by(first, coordinator.membership, coordinator.device)


def test_a_member_without_certificate_is_suspended_without_a_list(
    commune: Commune, coordinator: factory.Persona
) -> None:
    pending = factory.make_member(Role.AGENT, commune, approved=False)
    before = head(commune)
    assert act(coordinator, pending, "suspend", {}).status_code == 200
    [event] = since(commune, before)
    assert event.payload == {"revocation_list": None, "devices": 1}


def test_revocation_names_the_list_and_every_device(
    commune: Commune, coordinator: factory.Persona
) -> None:
    operator = factory.make_member(Role.OPERATOR, commune)
    factory.certify(factory.add_device(operator.membership, label="Poste CSU"))
    before = head(commune)
    response = act(coordinator, operator, "revoke", signed(coordinator, operator, "revoke"))
    assert response.status_code == 200, response.json()
    [event] = since(commune, before)
    assert event.kind == "member.revoked"
    assert_by(event, coordinator.membership, coordinator.device)
    assert (event.member, event.shop) == (operator.membership, None)
    assert event.payload == {"revocation_list": 1, "devices": 2}


def test_refused_status_changes_leave_no_event(
    commune: Commune, coordinator: factory.Persona
) -> None:
    agent = factory.make_member(Role.AGENT, commune)
    merchant = factory.make_member(Role.MERCHANT, commune)
    before = head(commune)
    assert act(coordinator, coordinator, "suspend", {}).status_code == 409  # oneself
    assert act(coordinator, agent, "suspend", {}).status_code == 422  # list missing
    assert act(coordinator, agent, "reinstate", None).status_code == 409  # not suspended
    denied = merchant.client().post(
        f"/api/v1/members/{agent.membership.public_id}/revoke", {}, "application/json"
    )
    assert denied.status_code == 403
    outsider = factory.certifier_of(factory.make_commune())
    hidden = outsider.client().post(
        f"/api/v1/members/{agent.membership.public_id}/suspend", {}, "application/json"
    )
    assert hidden.status_code == 404
    assert since(commune, before) == []

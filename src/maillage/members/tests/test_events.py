"""Members actions each append exactly one event, with their actor; refusals append none."""

from __future__ import annotations

import pytest
from django.test import Client

from maillage.members.models import Invitation, Membership, Role
from maillage.members.tests import factory
from maillage.members.tests.test_enrolment import enrol, invite, token_of
from maillage.stream import log
from maillage.stream.models import ActorKind
from maillage.stream.tests.helpers import assert_by, events, head, since
from maillage.territory.models import Commune
from maillage.trust.models import Device

pytestmark = pytest.mark.django_db


def test_an_invitation_is_one_event_without_name_or_link(
    commune: Commune, coordinator: factory.Persona
) -> None:
    shop = factory.make_shop(commune)
    before = head(commune)
    created = invite(coordinator, Role.MERCHANT, shop=str(shop.public_id))
    invitation = Invitation.objects.get(public_id=created["id"])
    [event] = since(commune, before)
    assert event.kind == "invitation.created"
    assert_by(event, coordinator.membership, coordinator.device)
    assert (event.target_type, event.target_id) == ("invitation", created["id"])
    assert (event.shop, event.member) == (shop, None)
    assert event.payload == {
        "role": Role.MERCHANT,
        "shop": str(shop.public_id),
        "expires_at": int(invitation.expires_at.timestamp()),
    }
    assert "Camille" not in str(event.payload)
    assert token_of(created["url"]) not in str(event.payload)


def test_refused_invitations_leave_no_event(commune: Commune, coordinator: factory.Persona) -> None:
    merchant = factory.make_member(Role.MERCHANT, commune)
    before = head(commune)
    denied = merchant.client().post(
        "/api/v1/invitations",
        {"role": Role.AGENT, "display_name": "Refusée"},
        content_type="application/json",
    )
    nameless = coordinator.client().post(
        "/api/v1/invitations",
        {"role": Role.AGENT, "display_name": "  "},
        content_type="application/json",
    )
    assert (denied.status_code, nameless.status_code) == (403, 422)
    assert since(commune, before) == []


def test_cancelling_records_who_did_it_once(commune: Commune, coordinator: factory.Persona) -> None:
    created = invite(coordinator)
    before = head(commune)
    client = coordinator.client()
    url = f"/api/v1/invitations/{created['id']}"
    assert client.delete(url).status_code == 204
    assert client.delete(url).status_code == 204  # already cancelled: unchanged
    [event] = since(commune, before)
    assert event.kind == "invitation.cancelled"
    assert_by(event, coordinator.membership, coordinator.device)
    assert (event.target_type, event.target_id, event.payload) == ("invitation", created["id"], {})


def test_a_used_invitation_cannot_be_cancelled_and_records_nothing(
    commune: Commune, coordinator: factory.Persona
) -> None:
    created = invite(coordinator)
    response, _ = enrol(Client(), token_of(created["url"]))
    assert response.status_code == 201
    before = head(commune)
    refused = coordinator.client().delete(f"/api/v1/invitations/{created['id']}")
    assert refused.status_code == 409
    assert since(commune, before) == []


def test_enrolment_is_one_event_by_the_invitee(
    commune: Commune, coordinator: factory.Persona
) -> None:
    created = invite(coordinator, Role.OPERATOR)
    before = head(commune)
    response, _ = enrol(Client(), token_of(created["url"]))
    assert response.status_code == 201, response.json()
    membership = Membership.objects.get(public_id=response.json()["membership"]["id"])
    device = Device.objects.get(membership=membership)
    [event] = since(commune, before)
    assert event.kind == "member.enrolled"
    assert (event.actor_kind, event.actor, event.actor_device) == (ActorKind.INVITEE, None, None)
    assert (event.target_type, event.target_id) == ("membership", str(membership.public_id))
    assert (event.member, event.shop) == (membership, None)
    assert event.payload == {
        "role": Role.OPERATOR,
        "shop": None,
        "invitation": created["id"],
        "charter_version": 1,
        "device": str(device.public_id),
    }


def test_a_refused_enrolment_leaves_no_event(
    commune: Commune, coordinator: factory.Persona
) -> None:
    created = invite(coordinator)
    before = head(commune)
    stale, _ = enrol(Client(), token_of(created["url"]), charter_version=7)
    assert stale.status_code == 409
    assert since(commune, before) == []


def test_publishing_the_charter_is_one_event_with_its_version(
    commune: Commune, coordinator: factory.Persona
) -> None:
    before = head(commune)
    client = coordinator.client()
    published = client.post(
        "/api/v1/charter", {"text": "Charte version deux : " + "x" * 40}, "application/json"
    )
    short = client.post("/api/v1/charter", {"text": "trop court"}, "application/json")
    assert (published.status_code, short.status_code) == (201, 422)
    [event] = since(commune, before)
    assert event.kind == "charter.published"
    assert_by(event, coordinator.membership, coordinator.device)
    assert event.target_type == "charterversion"
    assert event.payload == {"version": 2}


def test_a_merchant_may_not_publish_a_charter(commune: Commune) -> None:
    merchant = factory.make_member(Role.MERCHANT, commune)
    before = head(commune)
    response = merchant.client().post(
        "/api/v1/charter", {"text": "Charte de commerçant : " + "x" * 40}, "application/json"
    )
    assert response.status_code == 403
    assert since(commune, before) == []


def test_the_set_up_leaves_each_step_s_event_by_the_cli() -> None:
    commune = factory.make_commune()
    rows = events(commune)
    assert {event.actor_kind for event in rows} == {ActorKind.CLI}
    # root.installed comes between commune and charter once trust/roots.py records it.
    assert [e.kind for e in rows if e.kind != "root.installed"] == [
        "commune.created",
        "charter.published",
        "invitation.created",
    ]
    assert rows[-1].payload["role"] == Role.COORDINATOR
    assert log.verify_chain(commune).ok


def test_the_demo_people_are_invited_and_enrolled_by_the_demo() -> None:
    from maillage.demo.seed import DEMO_PEOPLE, seed_demo

    seeded = seed_demo()
    commune = seeded.commune
    rows = events(commune)
    enrolled = [event for event in rows if event.kind == "member.enrolled"]
    invited = [event for event in rows if event.kind == "invitation.created"]
    assert len(enrolled) == len(invited) == len(DEMO_PEOPLE)
    assert {event.actor_kind for event in enrolled + invited} == {ActorKind.DEMO}
    assert {event.member for event in enrolled} == set(seeded.members)
    assert all(member.status == "active" for member in seeded.members)
    assert log.verify_chain(commune).ok
    seq = head(commune)
    assert seed_demo().members == seeded.members
    assert since(commune, seq) == []

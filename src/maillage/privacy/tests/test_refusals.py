"""A member's refused requests (401, 403, 404: another commune's object) reach the DPO of
their commune, with who, when and where, never a body or a query string."""

from __future__ import annotations

import pytest

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.privacy.models import RefusedRequest
from maillage.territory.tests.factory import make_shop

pytestmark = pytest.mark.django_db


def test_the_dpo_sees_a_members_403_and_404_on_another_communes_object() -> None:
    commune, elsewhere = factory.make_commune(), factory.make_commune()
    merchant = factory.make_member(Role.MERCHANT, commune, name="Curieuse")
    dpo = factory.make_member(Role.DPO, commune)
    other_dpo = factory.make_member(Role.DPO, elsewhere)
    foreign_shop = make_shop(elsewhere)

    client = merchant.client()
    assert client.get("/api/v1/privacy/access-log?incident=secret").status_code in {403, 422}
    assert client.get("/api/v1/privacy/access-log").status_code == 403
    assert client.get(f"/api/v1/territory/shops/{foreign_shop.public_id}?q=x").status_code == 404
    assert client.get("/api/v1/session").status_code == 200

    listed = dpo.client().get("/api/v1/privacy/refusals").json()["entries"]
    refused = [(entry["status"], entry["code"], entry["path"]) for entry in listed]
    assert (404, "not_found", f"/api/v1/territory/shops/{foreign_shop.public_id}") in refused
    assert (403, "forbidden", "/api/v1/privacy/access-log") in refused
    assert all(entry["member"]["display_name"] == "Curieuse" for entry in listed)
    assert all("?" not in entry["path"] for entry in listed)
    assert listed[0]["device"] == str(merchant.device.public_id)

    assert other_dpo.client().get("/api/v1/privacy/refusals").json()["entries"] == []
    assert merchant.client().get("/api/v1/privacy/refusals").status_code == 403


def test_anonymous_refusals_are_not_stored_one_by_one() -> None:
    client = factory.anonymous_client()
    assert client.get("/api/v1/members").status_code == 401
    assert client.get("/api/v1/nope").status_code == 404
    assert not RefusedRequest.objects.exists()

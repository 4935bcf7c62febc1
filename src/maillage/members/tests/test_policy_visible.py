"""`visible(actor, Model)` is the queryset twin of `may`: the same objects, for every kind.

Two communes, every role in each, a shop per merchant, an incident with its message and an
access-log entry: for every persona and every kind the policy scopes, the queryset holds
exactly the objects `may` lets that persona see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps

from maillage.access.policy import SCOPES, Action, may, visible
from maillage.incidents.models import SealedMessage
from maillage.incidents.tests.helpers import make_incident
from maillage.members.models import Membership, Role
from maillage.members.tests import factory
from maillage.privacy.access_log import record_content_access
from maillage.privacy.models import ContentAccess
from maillage.trust.tests import group_key_factory

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


# What `may` is asked about for an object whose commune is not its own field.
OWNER: dict[str, Callable[[Any], object]] = {
    "trust.device": lambda device: device.membership,
    "trust.devicecertificate": lambda certificate: certificate.device.membership,
    "incidents.sealedmessage": lambda message: message.incident,
}


def _commune_with_everyone() -> list[factory.Persona]:
    cast = factory.make_cast()
    commune = cast.commune
    people = cast.everyone
    people.append(factory.make_member(Role.MERCHANT, commune))  # a second shop
    merchant, operator = cast[Role.MERCHANT], cast[Role.OPERATOR]
    incident, _ = make_incident(merchant)
    message = SealedMessage.objects.get(incident=incident)
    record_content_access(
        membership=operator.membership,
        device=operator.device,
        incident_public_id=str(incident.public_id),
        message_public_id=str(message.public_id),
        what=ContentAccess.What.ENVELOPE,
    )
    factory.make_member(Role.AGENT, commune, approved=False)  # a device waiting
    # Group keys and broadcasts of the commune and of the first merchant's sector only.
    for scope in ("commune", f"sector:{merchant.shop.sector_id}"):
        generation = group_key_factory.publish(operator, scope=scope)
        sealed = group_key_factory.seal(operator, generation)
        response = operator.client().post(
            "/api/v1/broadcasts", **group_key_factory.multipart(sealed)
        )
        assert response.status_code == 201, response.content
    # Neighbour alerts of that sector: the police's (out) and the merchant's (held).
    for sender in (operator, merchant):
        sealed = group_key_factory.seal(sender, generation)
        response = sender.client().post(
            "/api/v1/neighbours/alerts", **group_key_factory.multipart(sealed)
        )
        assert response.status_code == 201, response.content
    return people


def test_visible_is_exactly_what_may_allows(media) -> None:
    people = _commune_with_everyone() + _commune_with_everyone()
    for label, scope in SCOPES.items():
        model = apps.get_model(label)
        objects = list(model._default_manager.all())
        assert objects, label
        owner = OWNER.get(label, lambda obj: obj)
        actions = {scope.action}
        if label == "trust.device":
            actions.add(Action.CERTIFY_DEVICE)
        for persona in people:
            actor = Membership.objects.get(pk=persona.membership.pk)
            for action in actions:
                expected = {obj.pk for obj in objects if may(actor, action, owner(obj))}
                got = set(visible(actor, model, action).values_list("pk", flat=True))
                assert got == expected, (label, action, actor.role)


def test_a_merchant_sees_only_their_own_shop_and_its_incidents(media) -> None:
    people = _commune_with_everyone()
    merchants = [p for p in people if p.membership.role == Role.MERCHANT]
    for merchant in merchants:
        actor = merchant.membership
        assert set(visible(actor, apps.get_model("territory.shop"))) == {merchant.shop}
        for incident in visible(actor, apps.get_model("incidents.incident")):
            assert incident.shop_id == merchant.shop.pk
    assert visible(None, apps.get_model("territory.shop")).count() == 0

"""Installing a commune's root is one action: one `root.installed` event, list 0 with it."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from maillage.errors import Forbidden
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.action import CLI, DEMO, Actor
from maillage.stream.models import ActorKind
from maillage.stream.tests.helpers import events, kinds
from maillage.territory import actions as territory_actions
from maillage.territory.tests.factory import make_commune
from maillage.trust import roots
from maillage.trust.models import CommuneRoot, RevocationList

pytestmark = pytest.mark.django_db


def test_install_root_appends_one_event_by_the_cli() -> None:
    commune = make_commune(slug="herblay", name="Herblay")
    root = roots.install_root(CLI, commune, Ed25519PrivateKey.generate())
    assert kinds(commune) == ["commune.created", "root.installed"]
    event = events(commune)[-1]
    assert (event.actor_kind, event.actor, event.actor_device) == (ActorKind.CLI, None, None)
    assert (event.target_type, event.target_id) == ("communeroot", str(root.pk))
    assert event.payload == {"fingerprint": root.fingerprint, "demo": False}
    assert RevocationList.objects.filter(commune=commune, number=0).exists()


def test_a_demo_root_says_so() -> None:
    commune = territory_actions.create_commune(
        CLI,
        departement_code="95",
        departement_name="Val-d'Oise",
        name="Démo-Ville",
        slug="demo-ville",
        insee_code="95999",
        is_demo=True,
    )
    root = roots.install_root(DEMO, commune, Ed25519PrivateKey.generate(), keep_private_key=True)
    event = events(commune)[-1]
    assert (event.kind, event.actor_kind) == ("root.installed", ActorKind.DEMO)
    assert event.payload == {"fingerprint": root.fingerprint, "demo": True}


def test_a_refused_root_leaves_no_event_and_no_row() -> None:
    commune = make_commune(slug="reelle", name="Réelle")
    with pytest.raises(Forbidden):
        roots.install_root(CLI, commune, Ed25519PrivateKey.generate(), keep_private_key=True)
    assert kinds(commune) == ["commune.created"]
    assert not CommuneRoot.objects.filter(commune=commune).exists()


def test_a_member_may_not_install_a_root() -> None:
    commune = factory.make_commune()
    coordinator = factory.make_member(Role.COORDINATOR, commune)
    before = kinds(commune)
    with pytest.raises(Forbidden):
        roots.install_root(
            Actor.member(coordinator.membership, coordinator.device),
            commune,
            Ed25519PrivateKey.generate(),
        )
    assert kinds(commune) == before

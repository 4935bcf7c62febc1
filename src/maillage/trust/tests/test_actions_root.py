"""Root-signed actions, as the CLI and the demo seeding call them with a key in memory."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from maillage.errors import ApiError, Forbidden
from maillage.members.models import MembershipStatus, Role
from maillage.members.tests import factory
from maillage.setup import commune as commune_setup
from maillage.stream.action import CLI
from maillage.trust import certificates as trust_certificates
from maillage.trust import devices as trust_devices
from maillage.trust import directory
from maillage.trust import revocations as trust_revocations
from maillage.trust import roots as trust_roots
from maillage.trust.models import CommuneRoot, DeviceStatus
from maillage.wire import chain

pytestmark = pytest.mark.django_db


def test_create_commune_with_an_in_memory_key_stores_only_the_public_half() -> None:
    key = Ed25519PrivateKey.generate()
    setup = commune_setup.create_commune(
        name="Limay",
        insee_code="78335",
        departement_code="78",
        departement_name="Yvelines",
        coordinator_name="Martin Paul",
        root_key=key,
    )
    assert setup.root.public_key == chain.public_key_b64(key)
    assert setup.root.demo_private_key == ""
    assert setup.invitation.url.endswith(f"&racine={setup.root.fingerprint}")
    assert setup.charter_version == 1
    assert setup.commune.slug == "limay"


def test_only_a_demo_commune_keeps_its_root_on_the_server() -> None:
    key = Ed25519PrivateKey.generate()
    with pytest.raises(Forbidden):
        commune_setup.create_commune(
            name="Réelle",
            insee_code="78001",
            departement_code="78",
            departement_name="Yvelines",
            coordinator_name="X",
            root_key=key,
            keep_private_key=True,
        )
    demo = factory.make_commune(is_demo=True)
    assert (
        chain.public_key_b64(trust_roots.demo_root_key(demo))
        == CommuneRoot.objects.get(commune=demo).public_key
    )
    real = factory.make_commune()
    with pytest.raises(Forbidden):
        trust_roots.demo_root_key(real)


def test_root_certifies_any_device_but_only_coordinators_may_certify() -> None:
    commune = factory.make_commune(is_demo=True)
    merchant = factory.make_member(Role.MERCHANT, commune, approved=False)
    assert merchant.device is not None
    certificate = trust_certificates.certify_with_root(
        CLI, merchant.device, trust_roots.demo_root_key(commune)
    )
    assert certificate.may_certify is False
    assert merchant.refresh().membership.status == MembershipStatus.ACTIVE
    root = directory.root_of(commune)
    leaf = chain.verify_chain(
        directory.device_chain(merchant.device),
        root.public_key,
        root.fingerprint,
        str(commune.public_id),
        directory.parsed_revocations(commune)[1],
        int(timezone.now().timestamp()),
    )
    assert leaf.role == "commercant" and leaf.shop == str(merchant.shop.public_id)


def test_wrong_root_key_is_refused() -> None:
    commune = factory.make_commune()
    coordinator = factory.make_member(Role.COORDINATOR, commune, approved=False)
    assert coordinator.device is not None
    with pytest.raises(Forbidden):
        trust_certificates.certify_with_root(CLI, coordinator.device, Ed25519PrivateKey.generate())
    assert coordinator.refresh().device.status == DeviceStatus.PENDING


def test_root_revocation_lists_are_cumulative() -> None:
    commune = factory.make_commune()
    first = factory.make_member(Role.AGENT, commune)
    second = factory.make_member(Role.AGENT, commune)
    key = factory.root_key(commune)
    trust_revocations.revoke_devices_with_root(CLI, commune, key, [first.device])
    trust_revocations.revoke_devices_with_root(CLI, commune, key, [second.device])
    latest, content = directory.parsed_revocations(commune)
    assert latest.number == 2
    assert {e.device for e in content.entries} == {
        str(first.device.public_id),
        str(second.device.public_id),
    }
    # Revoking an already revoked device publishes nothing new.
    assert (
        trust_revocations.revoke_devices_with_root(CLI, commune, key, [first.refresh().device])
        is None
    )


def test_device_keys_are_checked() -> None:
    commune = factory.make_commune()
    member = factory.make_member(Role.AGENT, commune, approved=False)
    _, _, enc_public, sign_public = factory.new_keys()
    with pytest.raises(ApiError) as same:
        trust_devices.create_device(
            member.membership, label="x", enc_key=sign_public, sign_key=sign_public
        )
    assert same.value.code == "invalid_key"
    with pytest.raises(ApiError) as padded:
        trust_devices.create_device(
            member.membership, label="x", enc_key=enc_public + "=", sign_key=sign_public
        )
    assert padded.value.field == "device.enc_key"

"""The demo commune: territory, a demo root key kept on the server, one member per role.

Only a demo commune keeps its root private key in the database (`is_demo`), so that a
browser signing in through "Se connecter en tant que…" can get its device certified at
once. `install_root` refuses that for any other commune.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.db import transaction
from django.utils import timezone

from maillage.demo.territory import seed_demo_territory
from maillage.members.models import Membership, MembershipStatus, Person, Role
from maillage.setup.commune import prepare_commune
from maillage.territory.models import Commune, Shop
from maillage.trust.certificates import certify_with_root
from maillage.trust.devices import create_device
from maillage.trust.models import CommuneRoot
from maillage.trust.rootkey import generate_root
from maillage.trust.roots import demo_root_key
from maillage.wire import chain

# (display name, role, index of the shop for a merchant)
DEMO_PEOPLE: tuple[tuple[str, Role, int | None], ...] = (
    ("Claire Dubois", Role.COORDINATOR, None),
    ("Karim Benali", Role.MERCHANT, 0),
    ("Sophie Martin", Role.MERCHANT, 17),
    ("Lucas Moreau", Role.OPERATOR, None),
    ("Julie Leroy", Role.AGENT, None),
    ("Paul Mercier", Role.REFERENT, None),
    ("Nadia Haddad", Role.DPO, None),
    ("Inès Garnier", Role.OBSERVER, None),
)


@dataclass(frozen=True)
class DemoSeed:
    commune: Commune
    members: list[Membership]


def seed_demo() -> DemoSeed:
    """Idempotent: a second call returns what the first created."""
    with transaction.atomic():
        commune = seed_demo_territory()
        if not CommuneRoot.objects.filter(commune=commune).exists():
            prepare_commune(commune, generate_root(), keep_private_key=True)
        root_key = demo_root_key(commune)
        shops = list(commune.shops.order_by("enseigne"))
        members = [
            _demo_member(commune, root_key, name, role, shops[index] if index is not None else None)
            for name, role, index in DEMO_PEOPLE
        ]
    return DemoSeed(commune=commune, members=members)


def demo_commune() -> Commune | None:
    return Commune.objects.filter(is_demo=True).order_by("pk").first()


def _demo_member(
    commune: Commune, root_key: Ed25519PrivateKey, name: str, role: Role, shop: Shop | None
) -> Membership:
    existing = (
        Membership.objects.filter(commune=commune, role=role, person__display_name=name)
        .select_related("person", "shop")
        .first()
    )
    if existing is not None:
        return existing
    person = Person.objects.create_person(display_name=name)
    membership = Membership.objects.create(
        person=person,
        commune=commune,
        role=role,
        shop=shop,
        status=MembershipStatus.ACTIVE,
        approved_at=timezone.now(),
    )
    # The member's phone: keys made here stand for it; their private halves are dropped.
    certify_new_device(
        membership,
        root_key,
        label="Téléphone (démo)",
        enc_key=chain.b64url_encode(X25519PrivateKey.generate().public_key().public_bytes_raw()),
        sign_key=chain.public_key_b64(Ed25519PrivateKey.generate()),
    )
    return membership


def certify_new_device(
    membership: Membership, root_key: Ed25519PrivateKey, *, label: str, enc_key: str, sign_key: str
) -> object:
    device = create_device(membership, label=label, enc_key=enc_key, sign_key=sign_key)
    certify_with_root(device, root_key)
    device.refresh_from_db()
    return device

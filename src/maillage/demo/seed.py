"""The demo commune: territory, a demo root key kept on the server, one member per role.

Only a demo commune keeps its root private key in the database (`is_demo`), so that a
browser signing in through "Se connecter en tant que…" can get its device certified at
once. `install_root` refuses that for any other commune.

Demo people are made as real members are: an invitation, an enrolment (passkey and
device), a certificate from the root; each step is an action and leaves its event, with
DEMO as the actor. Their passkey and device keys are made here and their private halves
dropped: the demo signs in through "Se connecter en tant que…", never with them.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.db import transaction

from maillage.demo.territory import seed_demo_territory
from maillage.duty import actions as duty_actions
from maillage.duty import fallback as duty_fallback
from maillage.members import actions as member_actions
from maillage.members.models import Membership, Role
from maillage.members.passkeys import NewPasskey
from maillage.setup.commune import prepare_commune
from maillage.stream.action import DEMO
from maillage.territory.models import Commune, Shop
from maillage.trust.certificates import certify_with_root
from maillage.trust.devices import DeviceKeys
from maillage.trust.enrolment import complete_enrolment
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
    # The commune's fallback recipient (duty hours and fallback): an intercommunal
    # supervision centre that receives the reports sent while the police is unreachable.
    ("Centre de supervision intercommunal", Role.PARTNER, None),
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
            prepare_commune(DEMO, commune, generate_root(), keep_private_key=True)
        root_key = demo_root_key(commune)
        shops = list(commune.shops.order_by("enseigne"))
        members = [
            _demo_member(commune, root_key, name, role, shops[index] if index is not None else None)
            for name, role, index in DEMO_PEOPLE
        ]
        partners = [m.public_id for m in members if m.role == Role.PARTNER]
        if not duty_fallback.configured(commune):
            duty_actions.set_recipients(DEMO, commune, partners)
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
    charter = member_actions.current_charter(commune)
    assert charter is not None, "prepare_commune publishes the charter"
    issued = member_actions.create_invitation(
        DEMO, commune, role=role, display_name=name, shop=shop
    )
    # The member's phone: keys made here stand for it; their private halves are dropped.
    enrolled = complete_enrolment(
        DEMO,
        issued.token,
        charter_version=charter.version,
        passkey=demo_passkey(),
        device=DeviceKeys(
            label="Téléphone (démo)",
            enc_key=chain.b64url_encode(
                X25519PrivateKey.generate().public_key().public_bytes_raw()
            ),
            sign_key=chain.public_key_b64(Ed25519PrivateKey.generate()),
        ),
    )
    certify_with_root(DEMO, enrolled.device, root_key)
    enrolled.membership.refresh_from_db()
    return enrolled.membership


def demo_passkey() -> NewPasskey:
    """A passkey as a registration would store it: an Ed25519 public key in COSE form
    (kty OKP, alg EdDSA, crv Ed25519), whose private half nobody keeps."""
    public = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    cose = bytes([0xA4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20]) + public
    return NewPasskey(
        credential_id=secrets.token_bytes(32),
        public_key=cose,
        sign_count=0,
        transports=[],
        user_handle=uuid.uuid4().bytes,
    )

"""Personas for tests, with real keys and real certificate chains, built through actions.

A member is made as production makes one: an invitation (`create_invitation`), an
enrolment with a real passkey and device keys (`complete_enrolment`), a certificate
(`certify`); never rows written by hand. Every commune gets a real Ed25519 root key
(kept in memory here, as the CLI would hold it), every device real X25519/Ed25519 keys,
and every certificate is signed for real: by the root for coordinator devices, by a
coordinator's device (through the same action the API uses) for everyone else. Tests
therefore exercise the actual cryptography.
"""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.test import Client
from django.utils import timezone

from maillage.members import actions as member_actions
from maillage.members.models import MemberSession, Membership, MembershipStatus, Person, Role
from maillage.members.sessions import SESSION_DEVICE, SESSION_MEMBERSHIP, SESSION_PERSON
from maillage.members.tests.authenticator import SoftAuthenticator
from maillage.setup import commune as commune_setup
from maillage.stream.action import CLI, INVITEE, Actor
from maillage.territory.models import Commune, Shop
from maillage.territory.tests import factory as territory_factory
from maillage.trust import certificates as trust_certificates
from maillage.trust import devices as trust_devices
from maillage.trust import enrolment as trust_enrolment
from maillage.trust import memberships as trust_memberships
from maillage.trust import revocations as trust_revocations
from maillage.trust.devices import DeviceKeys
from maillage.trust.models import Device, DeviceStatus
from maillage.wire import chain

_numbers = itertools.count(1)
_ROOT_KEYS: dict[str, Ed25519PrivateKey] = {}
_DEVICE_KEYS: dict[str, tuple[Ed25519PrivateKey, X25519PrivateKey]] = {}


@dataclass
class Persona:
    """A member as a test sees them: rows in the database plus the device's private keys."""

    membership: Membership
    maybe_device: Device | None
    maybe_sign_key: Ed25519PrivateKey | None = None
    maybe_enc_key: X25519PrivateKey | None = None
    authenticator: SoftAuthenticator | None = None

    @property
    def device(self) -> Device:
        assert self.maybe_device is not None, "persona made with_device=False"
        return self.maybe_device

    @property
    def sign_key(self) -> Ed25519PrivateKey:
        assert self.maybe_sign_key is not None, "persona made with_device=False"
        return self.maybe_sign_key

    @property
    def enc_key(self) -> X25519PrivateKey:
        assert self.maybe_enc_key is not None, "persona made with_device=False"
        return self.maybe_enc_key

    @property
    def shop(self) -> Shop:
        assert self.membership.shop is not None, "not a merchant"
        return self.membership.shop

    @property
    def person(self) -> Person:
        return self.membership.person

    @property
    def commune(self) -> Commune:
        return self.membership.commune

    def client(self, *, bind_device: bool = True, **kwargs: Any) -> Client:
        """A test client signed in as this persona (session bound to its device)."""
        client = Client(**kwargs)
        login(client, self.membership, self.maybe_device if bind_device else None)
        return client

    def actor(self) -> Actor:
        """This persona acting from its device, as the API builds the actor."""
        return Actor.member(self.membership, self.maybe_device)

    def refresh(self) -> Persona:
        self.membership.refresh_from_db()
        if self.maybe_device is not None:
            self.maybe_device.refresh_from_db()
        return self


def login(client: Client, membership: Membership, device: Device | None) -> None:
    """Bind the client's session as a passkey sign-in would (see members.sessions)."""
    session = client.session
    session[SESSION_PERSON] = membership.person_id
    session[SESSION_MEMBERSHIP] = membership.pk
    session[SESSION_DEVICE] = device.pk if device is not None else None
    session.save()
    assert session.session_key is not None
    MemberSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={"membership": membership, "device_id": device.pk if device else None},
    )


def b64(raw: bytes) -> str:
    return chain.b64url_encode(raw)


def new_keys() -> tuple[Ed25519PrivateKey, X25519PrivateKey, str, str]:
    """A device's key pairs and their public halves as they travel (raw, base64url)."""
    sign_key = Ed25519PrivateKey.generate()
    enc_key = X25519PrivateKey.generate()
    enc_public = b64(enc_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    return sign_key, enc_key, enc_public, chain.public_key_b64(sign_key)


def make_commune(name: str | None = None, *, is_demo: bool = False) -> Commune:
    """A commune with a real root key, revocation list 0, charter v1 (and a first invitation)."""
    number = next(_numbers)
    root_key = Ed25519PrivateKey.generate()
    setup = commune_setup.create_commune(
        name=name or f"Ville d'essai {number}",
        slug=f"ville-essai-{number}",
        insee_code=f"{95000 + number:05d}",
        departement_code="95",
        departement_name="Val-d'Oise",
        coordinator_name="Première Coordinatrice",
        root_key=root_key,
        is_demo=is_demo,
        keep_private_key=is_demo,
    )
    _ROOT_KEYS[str(setup.commune.public_id)] = root_key
    return setup.commune


def root_key(commune: Commune) -> Ed25519PrivateKey:
    return _ROOT_KEYS[str(commune.public_id)]


def device_keys(device: Device) -> tuple[Ed25519PrivateKey, X25519PrivateKey]:
    return _DEVICE_KEYS[str(device.public_id)]


def make_shop(commune: Commune) -> Shop:
    return territory_factory.make_shop(commune)


def add_device(membership: Membership, *, label: str = "Téléphone d'essai") -> Device:
    """A pending device with real keys for an existing membership, registered by the
    member from that new browser (`POST /devices`)."""
    sign_key, enc_key, enc_public, sign_public = new_keys()
    device = trust_devices.register_device(
        Actor.member(membership),
        membership,
        DeviceKeys(label=label, enc_key=enc_public, sign_key=sign_public),
    )
    _DEVICE_KEYS[str(device.public_id)] = (sign_key, enc_key)
    return device


def coordinator_certificate(
    coordinator: Persona,
    device: Device,
    *,
    overrides: dict[str, Any] | None = None,
    signer: Ed25519PrivateKey | None = None,
) -> chain.SignedDocument:
    """The certificate a coordinator's browser would sign for a pending device."""
    membership = device.membership
    now = int(timezone.now().timestamp())
    body: dict[str, Any] = {
        "type": chain.CERTIFICATE_TYPE,
        "v": 1,
        "serial": str(uuid.uuid4()),
        "commune": str(membership.commune.public_id),
        "device": str(device.public_id),
        "member": str(membership.public_id),
        "role": membership.role,
        "shop": str(membership.shop.public_id) if membership.shop else None,
        "enc_key": device.enc_public_key,
        "sign_key": device.sign_public_key,
        "may_certify": False,
        "issuer": chain.fingerprint(
            chain.b64url_decode(chain.public_key_b64(coordinator.sign_key))
        ),
        "issued_at": now,
        "expires_at": now + 365 * 24 * 3600,
    }
    body.update(overrides or {})
    return chain.sign_document(body, signer or coordinator.sign_key)


def certifier_of(commune: Commune) -> Persona:
    """An approved coordinator of the commune with a root-certified device (made if needed)."""
    for device in Device.objects.filter(
        membership__commune=commune,
        membership__role=Role.COORDINATOR,
        membership__status=MembershipStatus.ACTIVE,
        status=DeviceStatus.ACTIVE,
    ).select_related("membership", "membership__person", "membership__commune"):
        if str(device.public_id) in _DEVICE_KEYS:
            sign_key, enc_key = device_keys(device)
            return Persona(device.membership, device, sign_key, enc_key)
    return make_member(Role.COORDINATOR, commune)


def certify(device: Device) -> None:
    """Certify a pending device the way production does: root for coordinators, else a
    coordinator's device through `accept_certificate`."""
    membership = device.membership
    commune = membership.commune
    if membership.role == Role.COORDINATOR:
        trust_certificates.certify_with_root(CLI, device, root_key(commune))
        return
    coordinator = certifier_of(commune)
    trust_certificates.accept_certificate(
        coordinator.actor(),
        device,
        coordinator_certificate(coordinator, device),
    )


def make_member(
    role: str,
    commune: Commune,
    shop: Shop | None = None,
    *,
    approved: bool = True,
    name: str | None = None,
) -> Persona:
    """A member of `commune` in `role`, enrolled by invitation with a passkey and a device
    with real keys. approved: the device's certificate is signed (root for a coordinator,
    a coordinator's device otherwise), which makes the membership active; otherwise the
    member and device are pending, as right after enrolment.
    """
    if role == Role.MERCHANT and shop is None:
        shop = make_shop(commune)
    issued = member_actions.create_invitation(
        CLI, commune, role=role, display_name=name or f"Membre {next(_numbers)}", shop=shop
    )
    charter = member_actions.current_charter(commune)
    assert charter is not None, "make_commune publishes the charter"
    authenticator = SoftAuthenticator()
    sign_key, enc_key, enc_public, sign_public = new_keys()
    enrolled = trust_enrolment.complete_enrolment(
        INVITEE,
        issued.token,
        charter_version=charter.version,
        passkey=authenticator.registered(settings.WEBAUTHN_RP_ID),
        device=DeviceKeys(label="Téléphone d'essai", enc_key=enc_public, sign_key=sign_public),
    )
    device = enrolled.device
    _DEVICE_KEYS[str(device.public_id)] = (sign_key, enc_key)
    if approved:
        certify(device)
    membership = Membership.objects.select_related("person", "commune", "shop").get(
        pk=enrolled.membership.pk
    )
    device.refresh_from_db()
    return Persona(membership, device, sign_key, enc_key, authenticator)


@dataclass(frozen=True)
class Cast:
    """A commune's people, one approved persona per role (coordinator first: the others'
    certificates come from its device), and an outsider: a member of another commune who
    must see and touch nothing of this one."""

    commune: Commune
    by_role: dict[str, Persona]
    outsider: Persona

    def __getitem__(self, role: str) -> Persona:
        return self.by_role[role]

    @property
    def everyone(self) -> list[Persona]:
        return list(self.by_role.values())


def make_cast(commune: Commune | None = None, *, outsider_role: str = Role.COORDINATOR) -> Cast:
    """Every role of `commune` (a new one by default), built through the actions."""
    commune = commune or make_commune()
    roles = [Role.COORDINATOR, *(role for role in Role if role != Role.COORDINATOR)]
    by_role = {str(role): make_member(role, commune) for role in roles}
    return Cast(commune, by_role, make_member(outsider_role, make_commune()))


def suspend(persona: Persona) -> Persona:
    """Suspend through the real action, as a coordinator's browser does: it signs the
    revocation list the server drafts for the member's live certificates."""
    coordinator = certifier_of(persona.commune)
    assert coordinator.membership.pk != persona.membership.pk, "a coordinator cannot suspend self"
    live = persona.membership.devices.exclude(status=DeviceStatus.REVOKED)
    needed = trust_revocations.withdrawals(live, "suspended")
    document = None
    if needed:
        body = trust_revocations.draft_revocation_list(persona.commune, coordinator.device, needed)
        document = chain.sign_document(json.loads(body), coordinator.sign_key)
    trust_memberships.suspend_member(
        coordinator.actor(), persona.membership, revocation_list=document
    )
    return persona.refresh()


def anonymous_client(**kwargs: Any) -> Client:
    return Client(**kwargs)

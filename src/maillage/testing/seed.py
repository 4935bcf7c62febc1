"""A commune of many devices, made through the actions (as the demo seeding and the test
factory do), for the delivery benchmark and the no-loss test: commune and root, sectors,
shops, members invited, enrolled and certified by a coordinator's device, and one
signed-in session per device.

Sessions are written in bulk: a session row and its `MemberSession` binding are what
`members.sessions.start_session` writes for a sign-in (no event: sign-in is not an action,
docs/decisions.md), so `bulk_create` of the same rows is the same state, 10,000 times
faster than 10,000 requests. So are the N devices that receive (`bulk_members`): the rows
an enrolment and a coordinator's certificate leave, without their events (about 110 ms a
member through the actions, i.e. 18 minutes for 10,000; see its docstring).

The commune is a demo commune (its root private key kept in the database, as `maillage
demo` does): the browser case signs its console in through « Se connecter en tant que… »,
which exists only for demo communes; the servers run with MAILLAGE_DEMO=true for it. Nothing
else on the delivery path depends on it.
"""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from maillage.demo.seed import demo_passkey
from maillage.incidents import alert_settings
from maillage.members import actions as member_actions
from maillage.members.models import MemberSession, Membership, Role
from maillage.members.sessions import SESSION_DEVICE, SESSION_MEMBERSHIP, SESSION_PERSON
from maillage.setup.commune import create_commune
from maillage.stream.action import CLI, DEMO, Actor
from maillage.territory import actions as territory_actions
from maillage.territory.models import Commune, Sector, Shop
from maillage.territory.siret import luhn_check_digit
from maillage.trust.certificates import accept_certificate, certify_with_root
from maillage.trust.devices import DeviceKeys
from maillage.trust.enrolment import complete_enrolment
from maillage.trust.models import Device
from maillage.wire import chain

SESSION_KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
BATCH = 200  # members per transaction while seeding


@dataclass
class Keys:
    """A device's private keys, kept for the few devices the benchmark acts with."""

    sign: Ed25519PrivateKey
    enc: X25519PrivateKey

    @property
    def enc_public(self) -> str:
        return chain.b64url_encode(self.enc.public_key().public_bytes_raw())

    @property
    def sign_public(self) -> str:
        return chain.public_key_b64(self.sign)


@dataclass
class Seeded:
    """One member with one certified device and one signed-in session."""

    membership: Membership
    device: Device
    keys: Keys
    session_key: str = ""


@dataclass
class SeededCommune:
    commune: Commune
    root_key: Ed25519PrivateKey
    coordinator: Seeded
    sectors: list[Sector] = field(default_factory=list)
    shops: list[Shop] = field(default_factory=list)
    operators: list[Seeded] = field(default_factory=list)
    merchants: list[Seeded] = field(default_factory=list)
    others: list[Seeded] = field(default_factory=list)  # the other roles
    seconds: dict[str, float] = field(default_factory=dict)


_sirets = itertools.count(1)


def _siret() -> str:
    body = f"{next(_sirets) + 700_000:013d}"
    return body + luhn_check_digit(body)


def _square(lon: float, lat: float, half: float = 0.004) -> dict[str, object]:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def _certificate(coordinator: Seeded, device: Device) -> chain.SignedDocument:
    """What a coordinator's browser signs for a pending device (trust/certificates.py)."""
    membership = device.membership
    now = int(time.time())
    body = {
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
        "issuer": chain.fingerprint(chain.b64url_decode(coordinator.keys.sign_public)),
        "issued_at": now,
        "expires_at": now + 365 * 24 * 3600,
    }
    return chain.sign_document(body, coordinator.keys.sign)


def _member(
    commune: Commune,
    role: Role,
    name: str,
    *,
    shop: Shop | None = None,
    coordinator: Seeded | None = None,
    root_key: Ed25519PrivateKey | None = None,
) -> Seeded:
    """Invitation, enrolment, certificate: three actions, three events, as in production."""
    charter = member_actions.current_charter(commune)
    assert charter is not None
    issued = member_actions.create_invitation(CLI, commune, role=role, display_name=name, shop=shop)
    keys = Keys(Ed25519PrivateKey.generate(), X25519PrivateKey.generate())
    enrolled = complete_enrolment(
        DEMO,
        issued.token,
        charter_version=charter.version,
        passkey=demo_passkey(),
        device=DeviceKeys(
            label="Appareil (banc d'essai)", enc_key=keys.enc_public, sign_key=keys.sign_public
        ),
    )
    device = enrolled.device
    if coordinator is None:
        assert root_key is not None
        certify_with_root(CLI, device, root_key)
    else:
        actor = Actor.member(coordinator.membership, coordinator.device)
        accept_certificate(actor, device, _certificate(coordinator, device))
    device = Device.objects.select_related("membership").get(pk=device.pk)
    membership = Membership.objects.select_related("person", "commune", "shop").get(
        pk=device.membership_id
    )
    return Seeded(membership, device, keys)


def make_commune(shops: int, sectors: int = 5) -> SeededCommune:
    started = time.monotonic()
    root_key = Ed25519PrivateKey.generate()
    setup = create_commune(
        name="Ville du banc d'essai",
        slug=f"banc-{uuid.uuid4().hex[:8]}",
        insee_code="78998",
        departement_code="78",
        departement_name="Yvelines",
        coordinator_name="Coordinatrice du banc",
        root_key=root_key,
        is_demo=True,
        keep_private_key=True,
    )
    commune = setup.commune
    coordinator = _member(commune, Role.COORDINATOR, "Claire Banc", root_key=root_key)
    made = SeededCommune(commune, root_key, coordinator)
    without_alert_limits(commune)
    for index in range(sectors):
        made.sectors.append(
            territory_actions.create_sector(
                CLI,
                commune,
                name=f"Secteur {index + 1}",
                slug=f"secteur-{index + 1}",
                geojson=_square(1.70 + 0.01 * index, 48.99),
            )
        )
    with transaction.atomic():
        for index in range(shops):
            made.shops.append(
                territory_actions.create_shop(
                    CLI,
                    commune,
                    sector=made.sectors[index % sectors],
                    enseigne=f"Commerce {index + 1:05d}",
                    siret=_siret(),
                    address=f"{index + 1} rue du Banc, 78200 Mantes-la-Jolie",
                    latitude=Decimal("48.990000"),
                    longitude=Decimal("1.717000"),
                    activity="commerce",
                )
            )
    made.seconds["commune"] = time.monotonic() - started
    return made


def without_alert_limits(commune: Commune) -> None:
    """A load test measures delivery: a few posters send hundreds of reports, which the
    commune's per-device and per-shop limits exist to refuse."""
    current = alert_settings.for_commune(commune).as_dict()
    current["limits"] = {name: {"count": 0, "minutes": 10} for name in alert_settings.LIMIT_NAMES}
    alert_settings.change(CLI, commune, current)


def add_members(
    made: SeededCommune,
    role: Role,
    count: int,
    *,
    prefix: str,
    shops: list[Shop] | None = None,
) -> list[Seeded]:
    """`count` members of `role`, each with one certified device (merchants spread over
    `shops`, by default all the commune's), in transactions of BATCH members."""
    over = shops or made.shops
    started = time.monotonic()
    out: list[Seeded] = []
    for start in range(0, count, BATCH):
        with transaction.atomic():
            for index in range(start, min(count, start + BATCH)):
                shop = over[index % len(over)] if role == Role.MERCHANT else None
                out.append(
                    _member(
                        made.commune,
                        role,
                        f"{prefix} {index + 1:05d}",
                        shop=shop,
                        coordinator=made.coordinator,
                    )
                )
    target = {Role.OPERATOR: made.operators, Role.MERCHANT: made.merchants}.get(role, made.others)
    target.extend(out)
    made.seconds[f"members.{role}"] = made.seconds.get(f"members.{role}", 0) + (
        time.monotonic() - started
    )
    return out


def sign_in(members: list[Seeded]) -> None:
    """One session per device, the rows `start_session` writes, in bulk."""
    expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    sessions, bindings = [], []
    for seeded in members:
        key = get_random_string(32, SESSION_KEY_CHARS)
        data = {
            SESSION_PERSON: seeded.membership.person_id,
            SESSION_MEMBERSHIP: seeded.membership.pk,
            SESSION_DEVICE: seeded.device.pk,
        }
        sessions.append(
            Session(session_key=key, session_data=SessionStore().encode(data), expire_date=expires)
        )
        bindings.append(
            MemberSession(session_key=key, membership=seeded.membership, device_id=seeded.device.pk)
        )
        seeded.session_key = key
    with transaction.atomic():
        Session.objects.bulk_create(sessions, batch_size=1000)
        MemberSession.objects.bulk_create(bindings, batch_size=1000)


def publish_service_key(made: SeededCommune, holders: list[Seeded], *, batch: int = 500) -> None:
    """Generation 1 of the police service key, published by the first operator device, and
    a grant for each of `holders`, through the actions the routes call (as the console's
    device does: trust/service_keys.py)."""
    from maillage.trust import service_keys
    from maillage.wire import service_key

    started = time.monotonic()
    signer = made.operators[0]
    actor = Actor.member(signer.membership, signer.device)
    commune = str(made.commune.public_id)
    private = service_key.generate_service_key()
    public = chain.b64url_encode(private.public_key().public_bytes_raw())

    def grant(to: Seeded) -> chain.SignedDocument:
        return service_key.seal_grant(
            signer.keys.sign,
            commune=commune,
            number=1,
            recipient_device=str(to.device.public_id),
            recipient_key=to.keys.enc_public,
            service_private_key=private,
            issued_at=int(time.time()),
        )

    document = service_key.issue_service_key(
        signer.keys.sign, commune=commune, number=1, public_key=public, issued_at=int(time.time())
    )
    service_keys.publish(actor, document, [grant(signer)])
    for start in range(0, len(holders), batch):
        service_keys.add_grants(actor, [grant(h) for h in holders[start : start + batch]])
    made.seconds["service_key"] = time.monotonic() - started


def bulk_members(made: SeededCommune, role: Role, count: int, *, prefix: str) -> list[Seeded]:
    """`count` certified members of `role` (merchants spread over the shops), written in
    bulk: the rows that invitation, enrolment and a coordinator's certificate leave behind
    (person, active membership approved by the coordinator, active device with real keys,
    its certificate signed by the coordinator's device, verifiable in the chain), in a
    few `bulk_create`s instead of three actions each.

    Their enrolment events are not appended: nothing on the delivery path reads past
    events (a stream starts at the head, a holder is found by its certificate and its
    grant), and an action per member is what made 10,000 devices take minutes. The seed
    is a benchmark fixture, not a commune to audit."""
    from maillage.access.roles import MembershipStatus
    from maillage.members.models import Person
    from maillage.trust import directory
    from maillage.trust.common import moment
    from maillage.trust.models import DeviceCertificate, DeviceStatus

    started = time.monotonic()
    now = timezone.now()
    coordinator = made.coordinator
    issuer = directory.current_certificate(coordinator.device)
    assert issuer is not None, "the coordinator's device is certified by the root"
    issuer_fingerprint = chain.fingerprint(chain.b64url_decode(coordinator.keys.sign_public))
    commune_id = str(made.commune.public_id)
    out: list[Seeded] = []
    with transaction.atomic():
        people = Person.objects.bulk_create(
            [Person(display_name=f"{prefix} {i + 1:05d}") for i in range(count)],
            batch_size=1000,
        )
        memberships = Membership.objects.bulk_create(
            [
                Membership(
                    person=person,
                    commune=made.commune,
                    role=role,
                    shop=made.shops[i % len(made.shops)] if role == Role.MERCHANT else None,
                    status=MembershipStatus.ACTIVE,
                    approved_at=now,
                    approved_by=coordinator.membership,
                    status_changed_at=now,
                )
                for i, person in enumerate(people)
            ],
            batch_size=1000,
        )
        keys = [Keys(Ed25519PrivateKey.generate(), X25519PrivateKey.generate()) for _ in people]
        devices = Device.objects.bulk_create(
            [
                Device(
                    public_id=uuid.uuid4(),
                    membership=membership,
                    label="Appareil (banc d'essai, en masse)",
                    enc_public_key=k.enc_public,
                    sign_public_key=k.sign_public,
                    sign_key_fingerprint=chain.fingerprint(chain.b64url_decode(k.sign_public)),
                    status=DeviceStatus.ACTIVE,
                    certified_at=now,
                )
                for membership, k in zip(memberships, keys, strict=True)
            ],
            batch_size=1000,
        )
        issued = int(now.timestamp())
        certificates = []
        for membership, device in zip(memberships, devices, strict=True):
            body = {
                "type": chain.CERTIFICATE_TYPE,
                "v": 1,
                "serial": str(uuid.uuid4()),
                "commune": commune_id,
                "device": str(device.public_id),
                "member": str(membership.public_id),
                "role": str(role),
                "shop": str(membership.shop.public_id) if membership.shop else None,
                "enc_key": device.enc_public_key,
                "sign_key": device.sign_public_key,
                "may_certify": False,
                "issuer": issuer_fingerprint,
                "issued_at": issued,
                "expires_at": issued + 365 * 24 * 3600,
            }
            serial = str(body["serial"])
            document = chain.sign_document(body, coordinator.keys.sign)
            certificates.append(
                DeviceCertificate(
                    device=device,
                    serial=serial,
                    body=document.body,
                    signature=document.signature,
                    issuer_fingerprint=issuer_fingerprint,
                    issuer_certificate=issuer,
                    may_certify=False,
                    issued_at=moment(issued),
                    expires_at=moment(issued + 365 * 24 * 3600),
                    created_by=coordinator.membership,
                )
            )
        DeviceCertificate.objects.bulk_create(certificates, batch_size=1000)
    for membership, device, k in zip(memberships, devices, keys, strict=True):
        out.append(Seeded(membership, device, k))
    target = made.operators if role == Role.OPERATOR else made.merchants
    target.extend(out)
    made.seconds[f"bulk.{role}"] = made.seconds.get(f"bulk.{role}", 0) + (
        time.monotonic() - started
    )
    return out

"""The authorisation matrix: every API route × every persona × own/other commune.

Routes are read from `maillage.api.api` itself, so an endpoint added without a row here
fails `test_every_route_has_a_row`. Each row states the exact status every persona gets,
for a target in their own commune and (where the route takes one, or lists data) in
another commune. Allowed calls are real, successful calls (valid payloads, real signatures),
so the matrix also proves that the allowed path works; each persona's call runs inside a
savepoint that is rolled back, so all personas see the same world.

Columns: anonymous, pending member (enrolled, not approved), suspended member, then the
seven roles, all active with a certified device:

    anon  pend  susp  merc  coord  oper  agent  ref  obs  dpo
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import transaction
from django.test import Client

from maillage.access.policy import Action, may
from maillage.api import api
from maillage.broadcasts.tests import matrix_builders as broadcast_requests
from maillage.crisis.tests import matrix_builders as crisis_requests
from maillage.incidents import alert_settings
from maillage.incidents.tests import matrix_builders as incident_requests
from maillage.members.actions import IssuedInvitation, create_invitation
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.members.tests.authenticator import SoftAuthenticator
from maillage.neighbours.tests import matrix_builders as neighbour_requests
from maillage.push import subscriptions as push_subscriptions
from maillage.stream.action import CLI
from maillage.territory.models import Commune, Shop
from maillage.territory.tests import factory as territory_factory
from maillage.territory.tests.factory import valid_siret
from maillage.testing.push_receiver import b64url
from maillage.trust import revocations as trust_revocations
from maillage.trust.models import Device, DeviceStatus
from maillage.wire import chain

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    """Sealed attachments the matrix stores land in a throw-away folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


ROLES = (
    Role.MERCHANT,
    Role.COORDINATOR,
    Role.OPERATOR,
    Role.AGENT,
    Role.REFERENT,
    Role.OBSERVER,
    Role.DPO,
)
COLUMNS = ("anon", "pending", "suspended", *(str(role) for role in ROLES))

# One line per route: own-commune statuses, then other-commune statuses (None: the route
# has no commune-bound target and lists nothing, so there is no "other commune" case).
EVERYONE_BUT_SUSPENDED = "200 200 401 200 200 200 200 200 200 200"
COORDINATOR_ONLY = "401 403 401 403 200 403 403 403 403 403"
OTHER_COMMUNE_ABSENT = "401 403 401 404 404 404 404 404 404 404"
OPERATOR_ONLY = "401 403 401 403 403 200 403 403 403 403"
OPERATOR_ONLY_CREATED = "401 403 401 403 403 201 403 403 403 403"
HOLDERS = "401 403 401 200 403 200 403 403 403 403"  # merchants and operators
# The role is asked first, then the object of another commune looks absent.
HOLDERS_ELSEWHERE = "401 403 401 404 403 404 403 403 403 403"
OPERATOR_ELSEWHERE = "401 403 401 403 403 404 403 403 403 403"

MATRIX: dict[tuple[str, str], tuple[str, str | None]] = {
    # --- demo (404 everywhere outside demo mode) -----------------------------------
    ("GET", "/api/v1/demo/members"): ("404 404 401 404 404 404 404 404 404 404", None),
    ("POST", "/api/v1/demo/login"): ("404 404 401 404 404 404 404 404 404 404", None),
    # --- web (public) --------------------------------------------------------------
    ("GET", "/api/v1/meta"): (EVERYONE_BUT_SUSPENDED, None),
    # --- session and sign-in -------------------------------------------------------
    ("GET", "/api/v1/session"): (EVERYONE_BUT_SUSPENDED, None),
    ("POST", "/api/v1/session/logout"): ("401 204 401 204 204 204 204 204 204 204", None),
    ("POST", "/api/v1/auth/passkey/options"): (EVERYONE_BUT_SUSPENDED, None),
    ("POST", "/api/v1/auth/passkey/verify"): (EVERYONE_BUT_SUSPENDED, None),
    # --- invitations and enrolment -------------------------------------------------
    ("POST", "/api/v1/invitations"): ("401 403 401 403 201 403 403 403 403 403", None),
    ("GET", "/api/v1/invitations"): (COORDINATOR_ONLY, COORDINATOR_ONLY),
    ("DELETE", "/api/v1/invitations/{invitation_id}"): (
        "401 403 401 403 204 403 403 403 403 403",
        OTHER_COMMUNE_ABSENT,
    ),
    ("POST", "/api/v1/enrolment/open"): (EVERYONE_BUT_SUSPENDED, None),
    ("POST", "/api/v1/enrolment/passkey-options"): (EVERYONE_BUT_SUSPENDED, None),
    ("POST", "/api/v1/enrolment/complete"): ("201 201 401 201 201 201 201 201 201 201", None),
    ("GET", "/api/v1/charter"): ("401 200 401 200 200 200 200 200 200 200", None),
    ("POST", "/api/v1/charter"): ("401 403 401 403 201 403 403 403 403 403", None),
    ("GET", "/api/v1/charter/versions"): (COORDINATOR_ONLY, None),
    # --- members -------------------------------------------------------------------
    ("GET", "/api/v1/members"): (
        "401 403 401 403 200 403 403 200 403 200",
        "401 403 401 403 200 403 403 200 403 200",
    ),
    ("POST", "/api/v1/members/{member_id}/suspend"): (COORDINATOR_ONLY, OTHER_COMMUNE_ABSENT),
    ("POST", "/api/v1/members/{member_id}/reinstate"): (COORDINATOR_ONLY, OTHER_COMMUNE_ABSENT),
    ("POST", "/api/v1/members/{member_id}/revoke"): (COORDINATOR_ONLY, OTHER_COMMUNE_ABSENT),
    # --- devices -------------------------------------------------------------------
    ("POST", "/api/v1/devices"): ("401 201 401 201 201 201 201 201 201 201", None),
    ("GET", "/api/v1/devices/pending"): (COORDINATOR_ONLY, COORDINATOR_ONLY),
    ("POST", "/api/v1/devices/{device_id}/certificate"): (
        "401 403 401 403 201 403 403 403 403 403",
        OTHER_COMMUNE_ABSENT,
    ),
    ("POST", "/api/v1/devices/{device_id}/revoke"): (COORDINATOR_ONLY, OTHER_COMMUNE_ABSENT),
    # --- trust ---------------------------------------------------------------------
    ("GET", "/api/v1/trust/root"): ("401 200 401 200 200 200 200 200 200 200", None),
    ("GET", "/api/v1/trust/devices/{device_id}/chain"): (
        "401 403 401 200 200 200 200 200 403 200",
        "401 403 401 404 404 404 404 404 403 404",
    ),
    ("GET", "/api/v1/trust/revocations"): (
        "401 403 401 200 200 200 200 200 403 200",
        "401 403 401 200 200 200 200 200 403 200",
    ),
    ("GET", "/api/v1/trust/revocations/draft"): (COORDINATOR_ONLY, OTHER_COMMUNE_ABSENT),
    # Directory for a message in an incident of another shop than the merchant's own.
    ("GET", "/api/v1/trust/recipients"): (
        "401 403 401 403 403 200 200 403 403 403",
        "401 403 401 404 403 404 404 403 403 403",
    ),
    ("GET", "/api/v1/trust/service-key"): ("401 403 401 200 403 200 200 403 403 403", None),
    ("POST", "/api/v1/trust/service-keys"): (OPERATOR_ONLY_CREATED, None),
    ("GET", "/api/v1/trust/service-key/grant"): (OPERATOR_ONLY, None),
    ("GET", "/api/v1/trust/service-key/pending"): (OPERATOR_ONLY, None),
    ("POST", "/api/v1/trust/service-key/grants"): (OPERATOR_ONLY_CREATED, None),
    # --- broadcast group keys and broadcasts (scope "commune") ------------------------
    ("POST", "/api/v1/group-keys"): (OPERATOR_ONLY_CREATED, None),
    ("POST", "/api/v1/group-keys/grants"): (OPERATOR_ONLY_CREATED, None),
    ("GET", "/api/v1/group-keys/{scope}"): (HOLDERS, None),
    ("GET", "/api/v1/group-keys/{scope}/generations"): (HOLDERS, None),
    ("GET", "/api/v1/group-keys/{scope}/grant"): (HOLDERS, None),
    ("GET", "/api/v1/group-keys/{scope}/pending"): (OPERATOR_ONLY, None),
    # Only the police broadcast to the whole commune.
    ("POST", "/api/v1/broadcasts"): (OPERATOR_ONLY_CREATED, None),
    ("GET", "/api/v1/broadcasts"): (HOLDERS, HOLDERS),
    ("GET", "/api/v1/broadcasts/{broadcast_id}/attachments/{index}"): (
        HOLDERS,
        OTHER_COMMUNE_ABSENT,
    ),
    # --- duty hours and fallback (the police reads, the mairie sets) ------------------
    ("GET", "/api/v1/duty/schedule"): ("401 403 401 403 200 200 403 403 403 403", None),
    ("PUT", "/api/v1/duty/schedule"): (COORDINATOR_ONLY, None),
    ("GET", "/api/v1/duty/fallback"): ("401 403 401 403 200 200 403 403 403 403", None),
    ("PUT", "/api/v1/duty/fallback"): (COORDINATOR_ONLY, None),
    ("GET", "/api/v1/duty/reachability"): ("401 403 401 200 200 200 200 200 200 200", None),
    # --- Web Push (observers get aggregates only; a pending device is not certified) ---
    ("GET", "/api/v1/push/key"): ("401 403 401 200 200 200 200 200 403 200", None),
    ("GET", "/api/v1/push/subscriptions"): ("401 403 401 200 200 200 200 200 403 200", None),
    ("POST", "/api/v1/push/subscriptions"): ("401 403 401 201 201 201 201 201 403 201", None),
    ("DELETE", "/api/v1/push/subscriptions/{subscription_id}"): (
        "401 403 401 200 200 200 200 200 403 200",
        None,
    ),
    ("GET", "/api/v1/push/channels"): ("401 403 401 403 200 200 403 403 403 403", None),
    ("GET", "/api/v1/push/attempts"): ("401 403 401 403 200 200 403 403 403 403", None),
    # --- neighbour alerts (a sector: the merchant's own) ------------------------------
    ("POST", "/api/v1/neighbours/alerts"): ("401 403 401 201 403 201 403 403 403 403", None),
    ("GET", "/api/v1/neighbours/alerts"): (HOLDERS, HOLDERS),
    ("GET", "/api/v1/neighbours/alerts/{alert_id}"): (HOLDERS, HOLDERS_ELSEWHERE),
    ("POST", "/api/v1/neighbours/alerts/{alert_id}/validate"): (
        OPERATOR_ONLY,
        OPERATOR_ELSEWHERE,
    ),
    ("POST", "/api/v1/neighbours/alerts/{alert_id}/refuse"): (OPERATOR_ONLY, OPERATOR_ELSEWHERE),
    ("POST", "/api/v1/neighbours/alerts/{alert_id}/end"): (OPERATOR_ONLY, OPERATOR_ELSEWHERE),
    ("GET", "/api/v1/neighbours/alerts/{alert_id}/attachments/{index}"): (
        HOLDERS,
        HOLDERS_ELSEWHERE,
    ),
    # --- « mode crise » (every member sees it; the police switch it) -------------------
    ("GET", "/api/v1/crisis"): ("401 403 401 200 200 200 200 200 200 200", None),
    ("POST", "/api/v1/crisis/start"): (OPERATOR_ONLY_CREATED, None),
    ("POST", "/api/v1/crisis/instructions"): (OPERATOR_ONLY, None),
    ("POST", "/api/v1/crisis/end"): (OPERATOR_ONLY, None),
    # --- territory -----------------------------------------------------------------
    ("GET", "/api/v1/territory/sectors"): (
        "401 403 401 200 200 200 200 200 403 200",
        "401 403 401 200 200 200 200 200 403 200",
    ),
    ("GET", "/api/v1/territory/shops"): (
        "401 403 401 200 200 200 200 200 403 403",
        "401 403 401 200 200 200 200 200 403 403",
    ),
    ("GET", "/api/v1/territory/shops/{public_id}"): (
        # A merchant sees only their own shop; the target is another shop.
        "401 403 401 403 200 200 200 200 403 403",
        "401 403 401 404 404 404 404 404 403 403",
    ),
    ("POST", "/api/v1/territory/shops"): ("401 403 401 403 201 403 403 403 403 403", None),
    ("POST", "/api/v1/territory/import"): ("401 403 401 403 201 403 403 403 403 403", None),
    ("PATCH", "/api/v1/territory/shops/{public_id}"): (
        COORDINATOR_ONLY,
        # The role is asked first: only a coordinator learns the shop is not theirs.
        "401 403 401 403 404 403 403 403 403 403",
    ),
    ("PUT", "/api/v1/territory/sectors/{sector_id}/neighbours"): (
        COORDINATOR_ONLY,
        "401 403 401 403 404 403 403 403 403 403",
    ),
    # --- incidents (sealed content) ------------------------------------------------
    # Merchants report for their own shop; the target incident is another shop's.
    ("POST", "/api/v1/incidents"): ("401 403 401 201 403 403 403 403 403 403", None),
    ("GET", "/api/v1/incidents/catalogue"): ("401 403 401 200 200 200 200 200 200 200", None),
    ("GET", "/api/v1/incidents/settings"): ("401 403 401 403 200 200 403 403 403 403", None),
    ("GET", "/api/v1/stats/summary"): ("401 403 401 403 200 200 403 403 403 403", None),
    # Drills: started and ended by the mairie and the police; seen by every role that
    # shows reports (not the observer, not the DPO).
    ("GET", "/api/v1/incidents/exercises/current"): (
        "401 403 401 200 200 200 200 200 403 403",
        None,
    ),
    ("POST", "/api/v1/incidents/exercises"): ("401 403 401 403 201 201 403 403 403 403", None),
    # Crisis clusters: the dispatcher's; other communes' reports look absent.
    ("GET", "/api/v1/incidents/clusters/proposals"): (OPERATOR_ONLY, None),
    ("POST", "/api/v1/incidents/clusters"): (OPERATOR_ONLY_CREATED, OPERATOR_ELSEWHERE),
    ("POST", "/api/v1/incidents/clusters/{cluster_id}/step"): (OPERATOR_ONLY, OPERATOR_ELSEWHERE),
    ("POST", "/api/v1/incidents/clusters/{cluster_id}/dispatch"): (
        OPERATOR_ONLY,
        OPERATOR_ELSEWHERE,
    ),
    ("POST", "/api/v1/incidents/exercises/{exercise_id}/end"): (
        "401 403 401 403 200 200 403 403 403 403",
        "401 403 401 403 404 404 403 403 403 403",
    ),
    ("PUT", "/api/v1/incidents/settings"): (COORDINATOR_ONLY, None),
    ("GET", "/api/v1/incidents"): (
        "401 403 401 200 403 200 200 403 403 403",
        "401 403 401 200 403 200 200 403 403 403",
    ),
    ("POST", "/api/v1/incidents/{incident_id}/messages"): (
        "401 403 401 403 403 201 201 403 403 403",
        OTHER_COMMUNE_ABSENT,
    ),
    ("GET", "/api/v1/incidents/{incident_id}/messages"): (
        "401 403 401 403 403 200 200 403 403 403",
        OTHER_COMMUNE_ABSENT,
    ),
    ("GET", "/api/v1/incidents/{incident_id}/messages/{message_id}/attachments/{index}"): (
        "401 403 401 403 403 200 200 403 403 403",
        OTHER_COMMUNE_ABSENT,
    ),
    # --- the incident lifecycle (operators only, docs/decisions.md) -----------------
    **{
        ("POST", f"/api/v1/incidents/{{incident_id}}/{route}"): (
            OPERATOR_ONLY,
            OTHER_COMMUNE_ABSENT,
        )
        for route in ("take", "lift-doubt", "engage", "on-site", "close")
    },
    # --- dispatch: operators send agents; an agent reports on what it was sent to -------
    ("GET", "/api/v1/incidents/{incident_id}/dispatch"): (OPERATOR_ONLY, OTHER_COMMUNE_ABSENT),
    ("POST", "/api/v1/incidents/{incident_id}/dispatch"): (
        OPERATOR_ONLY_CREATED,
        OTHER_COMMUNE_ABSENT,
    ),
    ("POST", "/api/v1/incidents/{incident_id}/dispatch/status"): (
        "401 403 401 403 403 403 200 403 403 403",
        OTHER_COMMUNE_ABSENT,
    ),
    ("POST", "/api/v1/incidents/{incident_id}/notes"): (
        "401 403 401 403 403 201 201 403 403 403",
        OTHER_COMMUNE_ABSENT,
    ),
    ("POST", "/api/v1/incidents/{incident_id}/dispatch/keys"): (
        OPERATOR_ONLY_CREATED,
        OTHER_COMMUNE_ABSENT,
    ),
    # --- privacy (the DPO reads who read, never content) ---------------------------
    ("GET", "/api/v1/privacy/access-log"): (
        "401 403 401 403 403 403 403 403 403 200",
        "401 403 401 403 403 403 403 403 403 200",
    ),
    ("GET", "/api/v1/privacy/access-log/verify"): (
        "401 403 401 403 403 403 403 403 403 200",
        "401 403 401 403 403 403 403 403 403 200",
    ),
    ("GET", "/api/v1/privacy/refusals"): (
        "401 403 401 403 403 403 403 403 403 200",
        "401 403 401 403 403 403 403 403 403 200",
    ),
    # --- the stream's snapshot (its parts follow the policy: test_snapshot.py) -----
    ("GET", "/api/v1/stream/snapshot"): ("401 200 401 200 200 200 200 200 200 200", None),
}


# --- the world --------------------------------------------------------------------------


@dataclass
class Targets:
    """Objects of one commune the routes act on."""

    commune: Commune
    member: factory.Persona
    suspended: factory.Persona
    pending: factory.Persona
    shop: Shop
    reporter: factory.Persona
    invitation: IssuedInvitation
    authenticator: SoftAuthenticator
    ids: set[str] = field(default_factory=set)


def make_targets(commune: Commune) -> Targets:
    member = factory.make_member(Role.AGENT, commune, name="Cible active")
    authenticator = member.authenticator
    assert authenticator is not None
    shop = factory.make_shop(commune)
    targets = Targets(
        commune=commune,
        member=member,
        suspended=factory.suspend(factory.make_member(Role.AGENT, commune, name="Cible suspendue")),
        pending=factory.make_member(Role.AGENT, commune, approved=False, name="Cible en attente"),
        shop=shop,
        reporter=factory.make_member(Role.MERCHANT, commune, shop, name="Cible commerçante"),
        invitation=create_invitation(CLI, commune, role=Role.AGENT, display_name="Invité"),
        authenticator=authenticator,
    )
    targets.ids = {
        str(value)
        for value in (
            commune.public_id,
            member.membership.public_id,
            member.device.public_id if member.device else None,
            targets.suspended.membership.public_id,
            targets.pending.membership.public_id,
            targets.pending.device.public_id if targets.pending.device else None,
            targets.shop.public_id,
            targets.reporter.membership.public_id,
            targets.reporter.device.public_id,
            targets.invitation.invitation.public_id,
        )
        if value is not None
    }
    return targets


@dataclass
class World:
    home: Commune
    personas: dict[str, factory.Persona | None]
    elsewhere: Commune  # the cast's outsider's commune: targets for the "other" scope


def make_world() -> World:
    cast = factory.make_cast()
    home = cast.commune
    personas: dict[str, factory.Persona | None] = {"anon": None}
    personas.update({str(role): cast[role] for role in ROLES})
    personas["pending"] = factory.make_member(Role.MERCHANT, home, approved=False)
    personas["suspended"] = factory.suspend(factory.make_member(Role.OPERATOR, home))
    return World(home=home, personas=personas, elsewhere=cast.outsider.commune)


# --- requests ---------------------------------------------------------------------------


@dataclass
class Ctx:
    client: Client
    persona: factory.Persona | None
    home: Commune
    targets: Targets


Request = tuple[str, dict[str, Any]]  # url, kwargs for Client.<method>


def _json(data: object) -> dict[str, Any]:
    return {"data": data, "content_type": "application/json"}


def _revocation(ctx: Ctx, devices: list[Device], reason: str) -> dict[str, Any]:
    """The list the persona's own device would sign for this target (valid for a coordinator)."""
    persona = ctx.persona
    needed = trust_revocations.withdrawals(devices, reason)
    if persona is None or persona.sign_key is None or not needed:
        return {}
    body = trust_revocations.draft_revocation_list(ctx.targets.commune, persona.device, needed)
    document = chain.sign_document(json.loads(body), persona.sign_key)
    return {"revocation_list": document.to_wire()}


def _certificate(ctx: Ctx) -> dict[str, str]:
    persona = ctx.persona
    device = ctx.targets.pending.device
    assert device is not None
    if persona is None or persona.sign_key is None:
        persona = factory.certifier_of(ctx.home)
    return factory.coordinator_certificate(persona, device).to_wire()


class StepRefused(Exception):
    """A preliminary step of a multi-step flow was refused: that refusal is the answer."""

    def __init__(self, response: Any) -> None:
        self.response = response


def _options(ctx: Ctx, url: str, data: object) -> dict[str, Any]:
    response = ctx.client.post(url, **_json(data))
    if response.status_code != 200:
        raise StepRefused(response)
    result: dict[str, Any] = response.json()
    return result


def _enrolment(ctx: Ctx) -> Request:
    token = ctx.targets.invitation.token
    options = _options(ctx, "/api/v1/enrolment/passkey-options", {"token": token})
    _, _, enc_public, sign_public = factory.new_keys()
    payload = {
        "token": token,
        "charter_version": 1,
        "credential": SoftAuthenticator().create(options),
        "device": {"label": "Matrice", "enc_key": enc_public, "sign_key": sign_public},
    }
    return "/api/v1/enrolment/complete", _json(payload)


def _sign_in(ctx: Ctx) -> Request:
    options = _options(ctx, "/api/v1/auth/passkey/options", {})
    credential = ctx.targets.authenticator.get(options)
    return "/api/v1/auth/passkey/verify", _json({"credential": credential})


def _new_shop(ctx: Ctx) -> Request:
    sector = ctx.targets.shop.sector
    payload = {
        "enseigne": "Quincaillerie de la matrice",
        "raison_sociale": "SARL MATRICE",
        "siret": valid_siret(),
        "address": "3 rue de la Gare",
        "latitude": "48.99",
        "longitude": "1.717",
        "sector": sector.pk,
        "activity": "quincaillerie",
    }
    return "/api/v1/territory/shops", _json(payload)


def _import(ctx: Ctx) -> Request:
    from django.core.files.uploadedfile import SimpleUploadedFile

    sector = ctx.targets.shop.sector
    data = (
        "enseigne;raison_sociale;siret;adresse;latitude;longitude;secteur;activite\n"
        f"Fleurs de la matrice;SARL FLEURS;{valid_siret()};2 place du Marché;48.99;1.717;"
        f"{sector.name};fleuriste\n"
    ).encode()
    return "/api/v1/territory/import", {
        "data": {"file": SimpleUploadedFile("commerces.csv", data, "text/csv")}
    }


def _device(persona: factory.Persona) -> Device:
    assert persona.device is not None
    return persona.device


def _operator_device(persona: factory.Persona | None) -> tuple[Device, ...]:
    if persona is None or persona.membership.role != Role.OPERATOR:
        return ()
    return (persona.device,) if persona.device.status == DeviceStatus.ACTIVE else ()


def _service_key(ctx: Ctx) -> Any:
    """Generation 1, published by another operator, granted to the persona if operator."""
    from maillage.trust.tests import service_key_factory

    holder = factory.make_member(Role.OPERATOR, ctx.home)
    return service_key_factory.publish(holder, 1, others=_operator_device(ctx.persona))


def _with_service_key(url: str) -> Callable[[Ctx], Request]:
    def build(ctx: Ctx) -> Request:
        _service_key(ctx)
        return url, {}

    return build


def _publish_service_key(ctx: Ctx) -> Request:
    from maillage.trust.tests import service_key_factory

    signer = ctx.persona
    if signer is None or signer.maybe_sign_key is None:
        signer = factory.make_member(Role.OPERATOR, ctx.home)
    generation = service_key_factory.new_generation(signer, 1)
    grant = service_key_factory.grant(signer, generation, signer.device)
    return "/api/v1/trust/service-keys", service_key_factory.publish_payload(generation, [grant])


def _grant_service_key(ctx: Ctx) -> Request:
    from maillage.trust.tests import service_key_factory

    generation = _service_key(ctx)
    newcomer = factory.make_member(Role.OPERATOR, ctx.home)
    granter = ctx.persona if ctx.persona is not None and ctx.persona.maybe_sign_key else newcomer
    grant = service_key_factory.grant(granter, generation, newcomer.device)
    return "/api/v1/trust/service-key/grants", _json({"grants": [grant.to_wire()]})


def _push_subscription() -> dict[str, Any]:
    """A browser's subscription to a loopback push service (accepted outside production)."""
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {
        "endpoint": f"http://127.0.0.1:9/push/{uuid.uuid4()}",
        "keys": {"p256dh": b64url(point), "auth": b64url(os.urandom(16))},
        "consent": True,
    }


def _own_push_subscription(ctx: Ctx) -> str:
    """The persona's own device's subscription (another's would be absent: 404)."""
    persona = ctx.persona
    if (
        persona is None
        or persona.maybe_device is None
        or not persona.device.is_certified
        or not may(persona.membership, Action.SUBSCRIBE_PUSH)
    ):
        return str(uuid.uuid4())
    info = _push_subscription()
    row, _ = push_subscriptions.subscribe(
        persona.membership,
        persona.device,
        info["endpoint"],
        info["keys"]["p256dh"],
        info["keys"]["auth"],
        consent=True,
    )
    return str(row.public_id)


BUILDERS: dict[tuple[str, str], Callable[[Ctx], Request]] = {
    ("GET", "/api/v1/meta"): lambda c: ("/api/v1/meta", {}),
    ("GET", "/api/v1/demo/members"): lambda c: ("/api/v1/demo/members", {}),
    ("POST", "/api/v1/demo/login"): lambda c: (
        "/api/v1/demo/login",
        _json({"member": str(c.home.public_id), "device": {"enc_key": "x", "sign_key": "y"}}),
    ),
    ("GET", "/api/v1/session"): lambda c: ("/api/v1/session", {}),
    ("POST", "/api/v1/session/logout"): lambda c: ("/api/v1/session/logout", _json({})),
    ("POST", "/api/v1/auth/passkey/options"): lambda c: (
        "/api/v1/auth/passkey/options",
        _json({}),
    ),
    ("POST", "/api/v1/auth/passkey/verify"): _sign_in,
    ("POST", "/api/v1/invitations"): lambda c: (
        "/api/v1/invitations",
        _json({"role": "agent", "display_name": "Nouvel agent"}),
    ),
    ("GET", "/api/v1/invitations"): lambda c: ("/api/v1/invitations", {}),
    ("DELETE", "/api/v1/invitations/{invitation_id}"): lambda c: (
        f"/api/v1/invitations/{c.targets.invitation.invitation.public_id}",
        {},
    ),
    ("POST", "/api/v1/enrolment/open"): lambda c: (
        "/api/v1/enrolment/open",
        _json({"token": c.targets.invitation.token}),
    ),
    ("POST", "/api/v1/enrolment/passkey-options"): lambda c: (
        "/api/v1/enrolment/passkey-options",
        _json({"token": c.targets.invitation.token}),
    ),
    ("POST", "/api/v1/enrolment/complete"): _enrolment,
    ("GET", "/api/v1/charter"): lambda c: ("/api/v1/charter", {}),
    ("GET", "/api/v1/charter/versions"): lambda c: ("/api/v1/charter/versions", {}),
    ("POST", "/api/v1/charter"): lambda c: (
        "/api/v1/charter",
        _json({"text": "Nouvelle charte : appelez le 17 en cas d'urgence."}),
    ),
    ("GET", "/api/v1/members"): lambda c: ("/api/v1/members", {}),
    ("POST", "/api/v1/members/{member_id}/suspend"): lambda c: (
        f"/api/v1/members/{c.targets.member.membership.public_id}/suspend",
        _json(_revocation(c, [_device(c.targets.member)], "suspended")),
    ),
    ("POST", "/api/v1/members/{member_id}/reinstate"): lambda c: (
        f"/api/v1/members/{c.targets.suspended.membership.public_id}/reinstate",
        {},
    ),
    ("POST", "/api/v1/members/{member_id}/revoke"): lambda c: (
        f"/api/v1/members/{c.targets.member.membership.public_id}/revoke",
        _json(_revocation(c, [_device(c.targets.member)], "revoked")),
    ),
    ("POST", "/api/v1/devices"): lambda c: (
        "/api/v1/devices",
        _json(dict(zip(("enc_key", "sign_key"), factory.new_keys()[2:], strict=True))),
    ),
    ("GET", "/api/v1/devices/pending"): lambda c: ("/api/v1/devices/pending", {}),
    ("POST", "/api/v1/devices/{device_id}/certificate"): lambda c: (
        f"/api/v1/devices/{_device(c.targets.pending).public_id}/certificate",
        _json(_certificate(c)),
    ),
    ("POST", "/api/v1/devices/{device_id}/revoke"): lambda c: (
        f"/api/v1/devices/{_device(c.targets.member).public_id}/revoke",
        _json(_revocation(c, [_device(c.targets.member)], "revoked")),
    ),
    ("GET", "/api/v1/trust/root"): lambda c: ("/api/v1/trust/root", {}),
    ("GET", "/api/v1/trust/devices/{device_id}/chain"): lambda c: (
        f"/api/v1/trust/devices/{_device(c.targets.member).public_id}/chain",
        {},
    ),
    ("GET", "/api/v1/trust/revocations"): lambda c: ("/api/v1/trust/revocations", {}),
    ("GET", "/api/v1/trust/revocations/draft"): lambda c: (
        f"/api/v1/trust/revocations/draft?device={_device(c.targets.member).public_id}",
        {},
    ),
    ("GET", "/api/v1/trust/recipients"): incident_requests.recipients,
    ("GET", "/api/v1/trust/service-key"): _with_service_key("/api/v1/trust/service-key"),
    ("POST", "/api/v1/trust/service-keys"): _publish_service_key,
    ("GET", "/api/v1/trust/service-key/grant"): _with_service_key(
        "/api/v1/trust/service-key/grant"
    ),
    ("GET", "/api/v1/trust/service-key/pending"): _with_service_key(
        "/api/v1/trust/service-key/pending"
    ),
    ("POST", "/api/v1/trust/service-key/grants"): _grant_service_key,
    ("POST", "/api/v1/group-keys"): broadcast_requests.publish,
    ("POST", "/api/v1/group-keys/grants"): broadcast_requests.add_grants,
    ("GET", "/api/v1/group-keys/{scope}"): broadcast_requests.with_generation(
        "/api/v1/group-keys/commune"
    ),
    ("GET", "/api/v1/group-keys/{scope}/generations"): broadcast_requests.with_generation(
        "/api/v1/group-keys/commune/generations"
    ),
    ("GET", "/api/v1/group-keys/{scope}/grant"): broadcast_requests.with_generation(
        "/api/v1/group-keys/commune/grant"
    ),
    ("GET", "/api/v1/group-keys/{scope}/pending"): broadcast_requests.with_generation(
        "/api/v1/group-keys/commune/pending"
    ),
    ("POST", "/api/v1/broadcasts"): broadcast_requests.send,
    ("GET", "/api/v1/broadcasts"): broadcast_requests.list_broadcasts,
    ("GET", "/api/v1/broadcasts/{broadcast_id}/attachments/{index}"): (
        broadcast_requests.attachment
    ),
    ("GET", "/api/v1/duty/schedule"): lambda c: ("/api/v1/duty/schedule", {}),
    ("PUT", "/api/v1/duty/schedule"): lambda c: (
        "/api/v1/duty/schedule",
        _json({"weekly": {"mon": [{"start": "09:00", "end": "17:00"}]}, "exceptions": []}),
    ),
    ("GET", "/api/v1/duty/fallback"): lambda c: ("/api/v1/duty/fallback", {}),
    ("PUT", "/api/v1/duty/fallback"): lambda c: (
        "/api/v1/duty/fallback",
        _json({"recipients": []}),
    ),
    ("GET", "/api/v1/duty/reachability"): lambda c: ("/api/v1/duty/reachability", {}),
    ("GET", "/api/v1/push/key"): lambda c: ("/api/v1/push/key", {}),
    ("GET", "/api/v1/push/subscriptions"): lambda c: ("/api/v1/push/subscriptions", {}),
    ("POST", "/api/v1/push/subscriptions"): lambda c: (
        "/api/v1/push/subscriptions",
        _json(_push_subscription()),
    ),
    ("DELETE", "/api/v1/push/subscriptions/{subscription_id}"): lambda c: (
        f"/api/v1/push/subscriptions/{_own_push_subscription(c)}",
        {},
    ),
    ("GET", "/api/v1/push/channels"): lambda c: ("/api/v1/push/channels", {}),
    ("GET", "/api/v1/push/attempts"): lambda c: ("/api/v1/push/attempts", {}),
    ("POST", "/api/v1/neighbours/alerts"): neighbour_requests.send,
    ("GET", "/api/v1/neighbours/alerts"): neighbour_requests.list_alerts,
    ("GET", "/api/v1/neighbours/alerts/{alert_id}"): neighbour_requests.get_alert,
    ("POST", "/api/v1/neighbours/alerts/{alert_id}/validate"): neighbour_requests.validate,
    ("POST", "/api/v1/neighbours/alerts/{alert_id}/refuse"): neighbour_requests.refuse,
    ("POST", "/api/v1/neighbours/alerts/{alert_id}/end"): neighbour_requests.end,
    ("GET", "/api/v1/neighbours/alerts/{alert_id}/attachments/{index}"): (
        neighbour_requests.attachment
    ),
    ("GET", "/api/v1/territory/sectors"): lambda c: ("/api/v1/territory/sectors", {}),
    ("GET", "/api/v1/territory/shops"): lambda c: ("/api/v1/territory/shops", {}),
    ("GET", "/api/v1/territory/shops/{public_id}"): lambda c: (
        f"/api/v1/territory/shops/{c.targets.shop.public_id}",
        {},
    ),
    ("POST", "/api/v1/territory/shops"): _new_shop,
    ("POST", "/api/v1/territory/import"): _import,
    ("PATCH", "/api/v1/territory/shops/{public_id}"): lambda c: (
        f"/api/v1/territory/shops/{c.targets.shop.public_id}",
        _json({"enseigne": "Nouvelle enseigne de la matrice", "siret": valid_siret()}),
    ),
    ("PUT", "/api/v1/territory/sectors/{sector_id}/neighbours"): lambda c: (
        f"/api/v1/territory/sectors/{c.targets.shop.sector_id}/neighbours",
        # A new neighbour each time, so that every allowed call changes something.
        _json({"neighbours": [territory_factory.make_sector(c.targets.commune).pk]}),
    ),
    ("POST", "/api/v1/incidents"): incident_requests.report,
    ("GET", "/api/v1/incidents/catalogue"): lambda c: ("/api/v1/incidents/catalogue", {}),
    ("GET", "/api/v1/incidents/settings"): lambda c: ("/api/v1/incidents/settings", {}),
    ("GET", "/api/v1/stats/summary"): lambda c: ("/api/v1/stats/summary", {}),
    ("GET", "/api/v1/incidents/exercises/current"): lambda c: (
        "/api/v1/incidents/exercises/current",
        {},
    ),
    ("POST", "/api/v1/incidents/exercises"): incident_requests.start_exercise,
    ("GET", "/api/v1/incidents/clusters/proposals"): lambda c: (
        "/api/v1/incidents/clusters/proposals",
        {},
    ),
    ("POST", "/api/v1/incidents/clusters"): incident_requests.confirm_cluster,
    ("POST", "/api/v1/incidents/clusters/{cluster_id}/step"): incident_requests.step_cluster,
    ("POST", "/api/v1/incidents/clusters/{cluster_id}/dispatch"): (
        incident_requests.dispatch_cluster
    ),
    ("POST", "/api/v1/incidents/exercises/{exercise_id}/end"): incident_requests.end_exercise,
    ("PUT", "/api/v1/incidents/settings"): lambda c: (
        "/api/v1/incidents/settings",
        _json({**alert_settings.Settings().as_dict(), "neighbour_expiry_minutes": 90}),
    ),
    ("GET", "/api/v1/incidents"): incident_requests.list_incidents,
    ("POST", "/api/v1/incidents/{incident_id}/messages"): incident_requests.post_message,
    ("GET", "/api/v1/incidents/{incident_id}/messages"): incident_requests.list_messages,
    ("GET", "/api/v1/incidents/{incident_id}/messages/{message_id}/attachments/{index}"): (
        incident_requests.attachment
    ),
    **{
        ("POST", f"/api/v1/incidents/{{incident_id}}/{route}"): incident_requests.lifecycle_step(
            route
        )
        for route in ("take", "lift-doubt", "engage", "on-site", "close")
    },
    ("GET", "/api/v1/incidents/{incident_id}/dispatch"): incident_requests.dispatch_candidates,
    ("POST", "/api/v1/incidents/{incident_id}/dispatch"): incident_requests.dispatch,
    ("POST", "/api/v1/incidents/{incident_id}/dispatch/status"): incident_requests.dispatch_status,
    ("POST", "/api/v1/incidents/{incident_id}/notes"): incident_requests.post_note,
    ("POST", "/api/v1/incidents/{incident_id}/dispatch/keys"): incident_requests.dispatch_keys,
    ("GET", "/api/v1/privacy/access-log"): incident_requests.access_log,
    ("GET", "/api/v1/privacy/access-log/verify"): incident_requests.verify_access_log,
    ("GET", "/api/v1/privacy/refusals"): lambda ctx: ("/api/v1/privacy/refusals", {}),
    ("GET", "/api/v1/stream/snapshot"): lambda ctx: ("/api/v1/stream/snapshot", {}),
    ("GET", "/api/v1/crisis"): crisis_requests.get,
    ("POST", "/api/v1/crisis/start"): crisis_requests.start,
    ("POST", "/api/v1/crisis/instructions"): crisis_requests.instructions,
    ("POST", "/api/v1/crisis/end"): crisis_requests.end,
}

# Routes that act on "this browser": the session is not bound to a device yet.
WITHOUT_DEVICE = {("POST", "/api/v1/devices")}


# --- route discovery --------------------------------------------------------------------


def api_routes() -> set[tuple[str, str]]:
    """Every (method, path) the API serves, walking its routers (nested ones included)."""
    found: set[tuple[str, str]] = set()

    def walk(prefix: str, router: Any) -> None:
        for path, view in router.path_operations.items():
            full = re.sub(r"/+", "/", f"/api/v1/{prefix}/{path}").rstrip("/")
            for operation in view.operations:
                for method in operation.methods:
                    found.add((method.upper(), full))
        for child_prefix, child, *_ in getattr(router, "_routers", []):
            walk(f"{prefix}/{child_prefix}", child)

    for prefix, router in api._routers:
        walk(prefix, router)
    return found


def test_every_route_has_a_row() -> None:
    routes = api_routes()
    schema_routes = {
        (method.upper(), path)
        for path, operations in api.get_openapi_schema()["paths"].items()
        for method in operations
    }
    assert schema_routes <= routes
    missing = sorted(routes - MATRIX.keys())
    assert not missing, (
        "Routes sans ligne dans la matrice d'autorisation (ajoutez-les à MATRIX et BUILDERS) : "
        f"{missing}"
    )
    stale = sorted(MATRIX.keys() - routes)
    assert not stale, f"Lignes de matrice pour des routes disparues : {stale}"
    assert MATRIX.keys() == BUILDERS.keys()


def test_matrix_rows_are_well_formed() -> None:
    for key, (own, other) in MATRIX.items():
        for line in (own, other):
            if line is not None:
                assert len(line.split()) == len(COLUMNS), key


CASES = [
    pytest.param(key, scope, id=f"{key[0]} {key[1]} [{scope}]")
    for key, (_, other) in MATRIX.items()
    for scope in ("own", "other")
    if scope == "own" or other is not None
]


@pytest.mark.parametrize(("key", "scope"), CASES)
def test_matrix(key: tuple[str, str], scope: str) -> None:
    if key not in api_routes():
        pytest.skip("route absente (voir test_every_route_has_a_row)")
    own, other = MATRIX[key]
    line = own if scope == "own" else other
    assert line is not None
    expected = dict(zip(COLUMNS, (int(code) for code in line.split()), strict=True))

    world = make_world()
    targets = make_targets(world.home if scope == "own" else world.elsewhere)
    clients: dict[str, Client] = {}
    for column, persona in world.personas.items():
        if persona is None:
            clients[column] = Client()
        else:
            clients[column] = persona.client(bind_device=key not in WITHOUT_DEVICE)

    failures = []
    for column in COLUMNS:
        persona = world.personas[column]
        savepoint = transaction.savepoint()
        try:
            ctx = Ctx(client=clients[column], persona=persona, home=world.home, targets=targets)
            try:
                url, kwargs = BUILDERS[key](ctx)
                response = getattr(ctx.client, key[0].lower())(url, **kwargs)
            except StepRefused as refused:
                response = refused.response
            status = response.status_code
            if status != expected[column]:
                detail = response.content.decode()[:200]
                failures.append(f"{column}: attendu {expected[column]}, obtenu {status} {detail}")
            elif scope == "other" and 200 <= status < 300:
                body = response.content.decode()
                leaked = [value for value in targets.ids if value in body]
                if leaked:
                    failures.append(f"{column}: données d'une autre commune exposées {leaked}")
        finally:
            transaction.savepoint_rollback(savepoint)
    assert not failures, f"{key[0]} {key[1]} [{scope}]\n" + "\n".join(failures)

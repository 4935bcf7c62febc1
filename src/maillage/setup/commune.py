"""A new commune: territory, trust root, charter and the first coordinator invitation.

Spans territory/, trust/ and members/, so it sits above them all; `maillage commune
create` (trust/management/commands/commune.py) and the demo seed both call it.

A set-up is not an action of its own: it composes actions in one transaction, and each
leaves its own event (`commune.created`, `root.installed`, `charter.published`,
`invitation.created`; docs/events.md, "What is not an event").
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction
from django.utils.text import slugify

from maillage.members import actions as member_actions
from maillage.members.charter import default_charter
from maillage.members.models import CharterVersion, Role
from maillage.stream.action import CLI, Actor
from maillage.territory import actions as territory_actions
from maillage.territory.models import Commune
from maillage.trust.models import CommuneRoot
from maillage.trust.roots import install_root


@dataclass(frozen=True)
class CommuneSetup:
    """What `maillage commune create` made; the invitation's link is shown only once."""

    commune: Commune
    root: CommuneRoot
    charter_version: int
    invitation: member_actions.IssuedInvitation


@transaction.atomic
def prepare_commune(
    actor: Actor,
    commune: Commune,
    root_key: Ed25519PrivateKey,
    *,
    keep_private_key: bool = False,
    charter_text: str | None = None,
) -> tuple[CommuneRoot, CharterVersion]:
    """A commune's trust root (revocation list 0 with it) and, unless one exists, its charter.

    The demo calls this for the commune its territory generator made (actor DEMO);
    `create_commune` for a new one (actor CLI).
    """
    root = install_root(actor, commune, root_key, keep_private_key=keep_private_key)
    charter = member_actions.current_charter(commune) or member_actions.publish_charter(
        actor, commune, charter_text or default_charter(commune.name)
    )
    return root, charter


@transaction.atomic
def create_commune(
    *,
    name: str,
    insee_code: str,
    departement_code: str,
    departement_name: str,
    coordinator_name: str,
    root_key: Ed25519PrivateKey,
    coordinator_email: str = "",
    slug: str | None = None,
    is_demo: bool = False,
    keep_private_key: bool = False,
    charter_text: str | None = None,
) -> CommuneSetup:
    """Commune, root (public half), revocation list 0, charter v1, first coordinator invitation.

    The root private key is the caller's: the CLI generated it and wrote its encrypted
    backup; the demo seeding keeps it in memory (and, for a demo commune, in the database).
    """
    commune = territory_actions.create_commune(
        CLI,
        departement_code=departement_code,
        departement_name=departement_name,
        name=name,
        slug=slug or slugify(name),
        insee_code=insee_code,
        is_demo=is_demo,
    )
    root, charter = prepare_commune(
        CLI, commune, root_key, keep_private_key=keep_private_key, charter_text=charter_text
    )
    invitation = member_actions.create_invitation(
        CLI,
        commune,
        role=Role.COORDINATOR,
        display_name=coordinator_name,
        email=coordinator_email,
    )
    return CommuneSetup(
        commune=commune, root=root, charter_version=charter.version, invitation=invitation
    )

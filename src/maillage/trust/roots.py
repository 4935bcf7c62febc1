"""The commune's root: its public half installed, revocation list 0, the demo exception.

The server never signs anything itself (a demo commune's root excepted, see
docs/threat-model.md): it checks what the root (CLI) or a coordinator's device (browser)
signed and stores it exactly as signed, so every client can re-verify it.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from maillage.errors import Forbidden
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.territory.models import Commune
from maillage.trust import directory
from maillage.trust.common import epoch as _epoch
from maillage.trust.models import CommuneRoot, RevocationList
from maillage.wire import chain


def install_root(
    actor: Actor,
    commune: Commune,
    root_key: Ed25519PrivateKey,
    *,
    keep_private_key: bool = False,
) -> CommuneRoot:
    """Store the root's public half and sign revocation list number 0 (empty) with it.

    One action, one `root.installed` event: list 0 is part of it. Only the mairie's
    machine or the demo seeding installs a root (no member may). `keep_private_key` is for
    demo communes only: their root signs demo devices on the server, which is exactly
    what a real commune must never allow.
    """
    if keep_private_key and not commune.is_demo:
        raise Forbidden("Seule une commune de démonstration garde sa clé racine sur le serveur.")
    public_key = chain.public_key_b64(root_key)
    root_fingerprint = chain.fingerprint(chain.b64url_decode(public_key))
    private = ""
    if keep_private_key:
        from cryptography.hazmat.primitives.serialization import (
            Encoding,
            NoEncryption,
            PrivateFormat,
        )

        private = chain.b64url_encode(
            root_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        )
    with action(actor, None, kind=Kind.ROOT_INSTALLED) as act:
        root = CommuneRoot.objects.create(
            commune=commune,
            public_key=public_key,
            fingerprint=root_fingerprint,
            demo_private_key=private,
        )
        document = chain.issue_revocation_list(
            root_key,
            commune=str(commune.public_id),
            number=0,
            issued_at=_epoch(timezone.now()),
            entries=[],
        )
        RevocationList.objects.create(
            commune=commune,
            number=0,
            body=document.body,
            signature=document.signature,
            signer_fingerprint=root_fingerprint,
        )
        act.record(root, {"fingerprint": root_fingerprint, "demo": keep_private_key})
    return root


def demo_root_key(commune: Commune) -> Ed25519PrivateKey:
    """The root private key a demo commune keeps in the database (never a real commune)."""
    root = directory.root_of(commune)
    if not commune.is_demo or not root.demo_private_key:
        raise Forbidden("Cette commune n'est pas une commune de démonstration.")
    return Ed25519PrivateKey.from_private_bytes(chain.b64url_decode(root.demo_private_key))


def check_root_key(commune: Commune, root_key: Ed25519PrivateKey) -> CommuneRoot:
    root = directory.root_of(commune)
    if chain.public_key_b64(root_key) != root.public_key:
        raise Forbidden(
            f"Cette clé racine n'est pas celle de la commune {commune.name} "
            "(empreintes différentes)."
        )
    return root

"""Broadcasts on a Python device: the scope's group key and « message à tous les commerces ».

The same steps as the browser (`frontend/src/broadcasts/keys.ts`, `groupKeyFlow.ts`,
`model.ts`), on the same wire code (`maillage.wire.group_key`, `maillage.wire.broadcast`,
whose vectors the TypeScript twin passes too):

- every device verifies the scope's generations 1..n in order on each run, older ones as
  of their issue and the latest with today's revocation list, each linked to the one
  before; then against what it verified before (a server serving fewer generations is
  `stale_group_key`, another document under a known number `wrong_group_key`);
- an operator device creates generation 1, or publishes n + 1 when the server says
  `rotation_needed` or the latest's signer no longer verifies today, always with a grant
  to itself; then wraps every generation it holds for the devices the server lists as
  waiting, after verifying each one's chain (holder role, that very device, its
  certified `enc_key`): the server only proposes;
- a holder opens its grant of a generation when it first needs it;
- a sender seals once to the latest verified generation, whatever the audience; a
  `409 stale_group_key` (a rotation meanwhile) refetches and seals again once;
- a broadcast is opened from the stream's inline copy when the event carries one, else
  from `GET /broadcasts`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from maillage.client.http import ClientApiError, CodedRefusal
from maillage.wire import chain, group_key
from maillage.wire.broadcast import (
    BroadcastBinding,
    GroupOpener,
    OpenedBroadcast,
    open_broadcast,
    parse_broadcast,
    seal_broadcast,
)
from maillage.wire.envelope import Attachment, EnvelopeError, Sealed, TrustContext
from maillage.wire.errors import TrustError
from maillage.wire.hpke import x25519_public_of

if TYPE_CHECKING:
    from maillage.client.device import MemberDevice

COMMUNE = group_key.COMMUNE_SCOPE
# Who holds a scope's key: operators send and grant, merchants read (a sector's merchants
# are the server's to pick: a certificate names the shop, not its sector).
HOLDER_ROLES = frozenset({"operateur", "commercant"})


def _now() -> int:
    return int(time.time())


class BroadcastUnavailable(CodedRefusal):
    """Nothing to seal to, or to open with, yet (the format's own refusals are
    `EnvelopeError`s): `no_group_key`, `no_group_grant`, `not_found`."""


@dataclass
class PreparedBroadcast:
    """A broadcast sealed to one generation, not sent yet (kept for an identical retry)."""

    broadcast: str
    scope: str
    number: int
    sealed: Sealed


@dataclass
class SentBroadcast:
    broadcast: str
    scope: str
    number: int
    response: dict[str, Any]
    # The wire object as sent: its size is what every holder downloads.
    sealed: Sealed


@dataclass
class _Scope:
    """What this device verified of one scope, and the private halves it holds."""

    generations: list[group_key.GroupKeyDocument] = field(default_factory=list)
    # Digest per number of every generation ever verified here (never overwritten).
    seen: dict[int, str] = field(default_factory=dict)
    latest_untrusted: str | None = None
    keys: dict[int, X25519PrivateKey] = field(default_factory=dict)

    @property
    def latest(self) -> group_key.GroupKeyDocument | None:
        return self.generations[-1] if self.generations else None

    def document(self, number: int) -> group_key.GroupKeyDocument | None:
        return next((doc for doc in self.generations if doc.number == number), None)


class BroadcastKeys:
    """The group keys of one device (`MemberDevice.broadcasts`); private halves stay here."""

    def __init__(self, device: MemberDevice) -> None:
        self.device = device
        self.scopes: dict[str, _Scope] = {}

    def _scope(self, scope: str) -> _Scope:
        return self.scopes.setdefault(scope, _Scope())

    # --- generations ------------------------------------------------------------------

    def verify_generations(self, scope: str = COMMUNE) -> group_key.GroupKeyDocument | None:
        """Fetch and verify generations 1..n of `scope` in order; the latest verified one
        (None when none is published). The latest is also checked with today's revocation
        list: if its signer fails today, `latest_untrusted` names why (an operator
        rotates; nobody seals to it)."""
        state = self._scope(scope)
        trust = self.device.trust_context()
        now = _now()
        served = self.device.client.group_key_generations(scope)
        if len(served) < len(state.seen):
            raise EnvelopeError("stale_group_key", field="number")
        verified: list[group_key.GroupKeyDocument] = []
        untrusted = None
        for index, wire in enumerate(served):
            last = verified[-1] if verified else None
            newest = index == len(served) - 1
            doc = group_key.verify_group_key(wire, trust, now, scope, last, as_of_issue=True)
            if doc.number != index + 1 or (last is not None and doc.previous != last.digest):
                raise EnvelopeError("wrong_group_key", field="number")
            if newest:
                try:
                    group_key.verify_group_key(wire, trust, now, scope, last)
                except EnvelopeError as error:
                    untrusted = error.code
            known = state.seen.get(doc.number)
            if known is not None and known != doc.digest:
                raise EnvelopeError("wrong_group_key", field="number")
            verified.append(doc)
        for doc in verified:
            state.seen[doc.number] = doc.digest
        state.generations = verified
        state.latest_untrusted = untrusted
        return state.latest

    def opener(self, scope: str, number: int) -> GroupOpener | None:
        """The opener for generation `number`, its grant opened on first use; None if this
        device holds no grant of it. Superseded at the issue of the next generation."""
        state = self._scope(scope)
        doc = state.document(number)
        if doc is None:
            self.verify_generations(scope)
            doc = state.document(number)
            if doc is None:
                return None
        if number not in state.keys and not self._receive(scope, doc):
            return None
        following = state.document(number + 1)
        return GroupOpener(
            scope, number, state.keys[number], following.issued_at if following else None
        )

    def _receive(self, scope: str, doc: group_key.GroupKeyDocument) -> bool:
        grant = self.device.client.my_group_grant(scope, doc.number)
        if grant is None:
            return False
        self._scope(scope).keys[doc.number] = group_key.open_group_grant(
            chain.SignedDocument.from_wire(grant["grant"]),
            chain.parse_chain(grant["granter_chain"]),
            self.device.device,
            self.device.enc_key,
            doc,
            self.device.trust_context(),
        )
        return True

    def receive(self, scope: str = COMMUNE) -> int | None:
        """A holder's run: verify the generations and open this device's grant of the
        latest; its number, or None while no generation or no grant exists."""
        latest = self.verify_generations(scope)
        if latest is None:
            return None
        return latest.number if self.opener(scope, latest.number) is not None else None

    # --- operator devices -------------------------------------------------------------

    def ensure(self, scope: str = COMMUNE) -> int:
        """An operator device's run: create generation 1, or rotate when the server flags
        it or the latest's signer fails today; hold the latest (and older ones, for
        history); grant every held generation to the devices still waiting for it."""
        published = self.device.client.group_key(scope)
        latest = self.verify_generations(scope)
        state = self._scope(scope)
        if latest is None or (published or {}).get("rotation_needed") or state.latest_untrusted:
            number = self._publish(scope, latest)
        else:
            number = latest.number
            if self.opener(scope, number) is None:
                raise EnvelopeError(
                    "not_a_recipient",
                    "Aucun opérateur n'a encore transmis la clé de diffusion à cet appareil.",
                )
        for older in range(number - 1, 0, -1):
            try:
                self.opener(scope, older)
            except EnvelopeError:
                continue  # that history stays unreadable here; the rest goes on
        for held in sorted(state.keys, reverse=True):
            self.grant_pending(scope, held)
        return number

    def _publish(self, scope: str, latest: group_key.GroupKeyDocument | None) -> int:
        device = self.device
        number = 1 if latest is None else latest.number + 1
        private = group_key.generate_group_key()
        document = group_key.issue_group_key(
            device.sign_key,
            commune=device.commune,
            scope=scope,
            number=number,
            previous=latest.digest if latest is not None else None,
            public_key=x25519_public_of(private),
            issued_at=_now(),
        )
        own = self._grant(scope, number, private, device.device, device.enc_public)
        device.client.publish_group_key(document.to_wire(), [own])
        state = self._scope(scope)
        state.keys[number] = private
        self.verify_generations(scope)
        return number

    def grant_pending(self, scope: str, number: int) -> int:
        """Wrap generation `number` for the devices the server lists as waiting, each
        chain verified here first; how many grants were added."""
        pending = self.device.client.group_key_pending(scope, number)
        if int(pending["number"]) != number or not pending["devices"]:
            return 0
        trust = self.device.trust_context()
        private = self._scope(scope).keys[number]
        grants = [
            self._grant(scope, number, private, target, key)
            for target, key in self._grantees(pending["devices"], trust)
        ]
        added = 0
        for start in range(0, len(grants), 500):  # the server takes 500 per request
            added += int(
                self.device.client.add_group_key_grants(grants[start : start + 500])["grants"]
            )
        return added

    def _grantees(
        self, entries: list[dict[str, Any]], trust: TrustContext
    ) -> list[tuple[str, str]]:
        verified, seen = [], {self.device.device}
        for entry in entries:
            device = str(entry["device"])
            if device in seen:
                continue
            seen.add(device)
            try:
                leaf = chain.verify_chain(
                    chain.parse_chain(entry["chain"]),
                    trust.root_public_key,
                    trust.pinned_fingerprint,
                    trust.commune,
                    trust.revocations,
                    _now(),
                )
            except TrustError:
                continue
            listed = entry.get("enc_public_key")
            if leaf.device != device or leaf.role not in HOLDER_ROLES:
                continue
            if listed and listed != leaf.enc_key:
                continue
            verified.append((device, leaf.enc_key))
        return verified

    def _grant(
        self, scope: str, number: int, private: X25519PrivateKey, device: str, key: str
    ) -> dict[str, str]:
        return group_key.seal_group_grant(
            self.device.sign_key,
            commune=self.device.commune,
            scope=scope,
            number=number,
            recipient_device=device,
            recipient_key=key,
            group_private_key=private,
            issued_at=_now(),
        ).to_wire()

    # --- sending ----------------------------------------------------------------------

    def prepare(
        self,
        text: str | None,
        attachments: Sequence[Attachment] = (),
        *,
        scope: str = COMMUNE,
        fields: dict[str, Any] | None = None,
    ) -> PreparedBroadcast:
        """Seal once to the latest verified generation (never to one whose signer fails
        today), under a fresh uuid4."""
        latest = self._scope(scope).latest or self.verify_generations(scope)
        if latest is None or self._scope(scope).latest_untrusted is not None:
            raise BroadcastUnavailable(
                "no_group_key", "Aucune clé de diffusion utilisable : la console doit la publier."
            )
        broadcast = str(uuid.uuid4())
        sealed = seal_broadcast(
            BroadcastBinding(self.device.commune, scope, broadcast),
            self.device.sender(),
            latest,
            text=text,
            fields=fields or {},
            attachments=list(attachments),
            sent_at=_now(),
        )
        return PreparedBroadcast(broadcast, scope, latest.number, sealed)

    def post(self, prepared: PreparedBroadcast) -> SentBroadcast:
        response = self.device.client.send_broadcast(prepared.sealed)
        return SentBroadcast(
            prepared.broadcast, prepared.scope, prepared.number, response, prepared.sealed
        )

    def send(
        self,
        text: str | None,
        attachments: Sequence[Attachment] = (),
        *,
        scope: str = COMMUNE,
    ) -> SentBroadcast:
        """Seal and post; on `409 stale_group_key` refetch the generations and seal once
        more under a new id (the server takes the latest generation only)."""
        try:
            return self.post(self.prepare(text, attachments, scope=scope))
        except ClientApiError as error:
            if error.code != "stale_group_key":
                raise
        self.verify_generations(scope)
        return self.post(self.prepare(text, attachments, scope=scope))

    # --- reading ----------------------------------------------------------------------

    def open(
        self, item: dict[str, Any], attachments: Sequence[bytes] | None = None
    ) -> OpenedBroadcast:
        """Open one broadcast as `GET /broadcasts` lists it (or as the stream carries it):
        the header says which generation; the listing is not trusted. Attachments are
        fetched unless given."""
        scope = str(item.get("scope") or COMMUNE)
        broadcast = str(item["broadcast"])
        header = parse_broadcast(item["envelope"]).header
        opener = self.opener(scope, header.number)
        if opener is None:
            raise BroadcastUnavailable(
                "no_group_grant", "Cet appareil n'a pas (encore) reçu cette clé de diffusion."
            )
        if attachments is None:
            attachments = [
                self.device.client.broadcast_attachment(broadcast, int(part["index"]))
                for part in item.get("attachments", [])
            ]
        return open_broadcast(
            item["envelope"],
            attachments,
            BroadcastBinding(self.device.commune, scope, broadcast),
            opener,
            self.device.trust_context(),
        )

    def open_event(self, data: dict[str, Any]) -> OpenedBroadcast:
        """A `broadcast.sent` event's data: opened from its inline copy (`sealed`) when the
        stream sent one, else found in `GET /broadcasts`."""
        inline = data.get("sealed")
        if isinstance(inline, dict):
            return self.open(inline)
        target = str(data.get("target_id"))
        scope = str((data.get("payload") or {}).get("scope") or COMMUNE)
        for item in self.device.client.broadcasts(scope, limit=200):
            if str(item["broadcast"]) == target:
                return self.open(item)
        raise BroadcastUnavailable("not_found", "Diffusion introuvable.")

    def read(self, scope: str = COMMUNE, *, limit: int = 50) -> list[OpenedBroadcast]:
        """The scope's broadcasts, newest first, each opened here."""
        return [self.open(item) for item in self.device.client.broadcasts(scope, limit=limit)]

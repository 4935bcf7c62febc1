"""A member's device in Python: its own keys, its certified identity, its trust state.

The same steps as the browser (`frontend/src/incidents/send.ts`, `read.ts`,
`frontend/src/police/serviceKeyFlow.ts`): verify the own chain and the commune root, ask
the key directory who should receive, check every certificate before wrapping, seal,
upload; and on the police side, hold the service key and hand it to new operator devices.
Broadcasts and their group keys are `MemberDevice.broadcasts` (`client/broadcasts.py`).
The simulator, benchmarks and end-to-end tests drive a real server through this class.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from maillage.client.broadcasts import BroadcastKeys
from maillage.client.http import CodedRefusal, MaillageClient
from maillage.wire import chain, content_grant, envelope, opening, sealing, service_key
from maillage.wire.envelope import Attachment, Binding, Opened, Opener, Sealed, TrustContext
from maillage.wire.hpke import x25519_public_of
from maillage.wire.recipients import (
    Resolution,
    TrustState,
    resolve_recipients,
    verify_revocations,
)


def _now() -> int:
    return int(time.time())


class SendRefused(CodedRefusal):
    """This device must not send (the format's own refusals are `EnvelopeError`s)."""


@dataclass
class Report:
    """What a sent report left behind: ids, the server's answer, who was refused."""

    incident: str
    message: str
    response: dict[str, Any]
    resolution: Resolution


@dataclass
class PreparedReport:
    """A report sealed for its recipients, not sent yet."""

    incident: str
    message: str
    sealed: Sealed
    resolution: Resolution
    metadata: dict[str, str]


class MemberDevice:
    """One device of one member. Private keys stay in this object, never on the wire."""

    def __init__(self, client: MaillageClient, *, label: str = "Client Python") -> None:
        self.client = client
        self.label = label
        self.sign_key = Ed25519PrivateKey.generate()
        self.enc_key = X25519PrivateKey.generate()
        self.device = ""
        self.serial = ""
        self.commune = ""
        self.chain: list[chain.SignedDocument] = []
        self.state: TrustState | None = None
        self.service_keys: dict[int, X25519PrivateKey] = {}
        # Broadcast group keys (docs/envelope.md, "Broadcasts and group keys").
        self.broadcasts = BroadcastKeys(self)

    @property
    def enc_public(self) -> str:
        return x25519_public_of(self.enc_key)

    @property
    def sign_public(self) -> str:
        return chain.public_key_b64(self.sign_key)

    # --- identity ---------------------------------------------------------------------

    def sign_in_demo(self, member: str) -> dict[str, Any]:
        """Demo sign-in: the demo root certifies this object's keys; the root is pinned
        from the session (trust on first use, acceptable only because it is the demo)."""
        session = self.client.demo_login(
            member, enc_key=self.enc_public, sign_key=self.sign_public, label=self.label
        )
        self.load_identity(session, pinned_fingerprint=session["root"]["fingerprint"])
        return session

    def load_identity(self, session: dict[str, Any], *, pinned_fingerprint: str) -> None:
        """Fetch and verify this device's own chain against the pinned root."""
        root = session["root"]
        self.commune = str(root["commune"])
        self.device = str(session["device"]["id"])
        self.state = TrustState(
            root_public_key=root["public_key"],
            pinned_fingerprint=pinned_fingerprint,
            commune=self.commune,
        )
        self.chain = chain.parse_chain(self.client.device_chain(self.device))
        leaf = chain.verify_chain(
            self.chain, root["public_key"], pinned_fingerprint, self.commune, None, _now()
        )
        if leaf.device != self.device or leaf.enc_key != self.enc_public:
            raise chain.TrustError("broken_chain", "Le certificat reçu n'est pas le mien.")
        self.serial = leaf.serial

    def _state(self) -> TrustState:
        if self.state is None:
            raise RuntimeError("Device not signed in.")
        return self.state

    def trust_context(self) -> TrustContext:
        """The latest revocation list, verified (no rollback), as opening needs it."""
        state = self._state()
        revocations, self.state = verify_revocations(self.client.revocations(), state, _now())
        return TrustContext(
            root_public_key=state.root_public_key,
            pinned_fingerprint=state.pinned_fingerprint,
            commune=state.commune,
            revocations=revocations,
        )

    def sender(self) -> envelope.Sender:
        return envelope.Sender(
            sign_key=self.sign_key, device=self.device, serial=self.serial, chain=self.chain
        )

    # --- sending ----------------------------------------------------------------------

    def seal(
        self,
        binding: Binding,
        directory: dict[str, Any],
        *,
        text: str | None,
        attachments: list[Attachment],
        fields: dict[str, Any] | None = None,
    ) -> tuple[Sealed, Resolution]:
        now = _now()
        resolution = resolve_recipients(directory, self._state(), now)
        self.state = resolution.state
        self._check_own_chain(resolution.revocations, now)
        sealed = sealing.seal(
            binding,
            self.sender(),
            text=text,
            fields=fields or {},
            attachments=attachments,
            recipients=resolution.recipients,
            sent_at=_now(),
        )
        return sealed, resolution

    def send_report(
        self,
        text: str | None,
        attachments: Sequence[Attachment] = (),
        *,
        fields: dict[str, Any] | None = None,
        category: str = "autre",
        severity: str | None = None,
        neighbours: bool = False,
    ) -> Report:
        """A new incident with its first message, as the merchant's « Signaler » button.
        `category`, `severity` and `neighbours` go in clear (docs/privacy.md); `fields`
        (the descriptors, maillage.wire.report_fields) and the text are sealed."""
        prepared = self.prepare_report(
            text,
            attachments,
            fields=fields,
            category=category,
            severity=severity,
            neighbours=neighbours,
        )
        return self.post_report(prepared)

    def prepare_report(
        self,
        text: str | None,
        attachments: Sequence[Attachment] = (),
        *,
        fields: dict[str, Any] | None = None,
        category: str = "autre",
        severity: str | None = None,
        neighbours: bool = False,
    ) -> PreparedReport:
        """The first half of `send_report` (directory, checks, sealing), apart so the
        simulator and the benchmarks can time the POST alone."""
        metadata = {"category": category, "neighbours": "true" if neighbours else "false"}
        if severity is not None:
            metadata["severity"] = severity
        incident, message = str(uuid.uuid4()), str(uuid.uuid4())
        binding = Binding(commune=self.commune, incident=incident, message=message)
        sealed, resolution = self.seal(
            binding,
            self.client.recipients(),
            text=text,
            attachments=list(attachments),
            fields=fields,
        )
        return PreparedReport(incident, message, sealed, resolution, metadata)

    def post_report(self, prepared: PreparedReport) -> Report:
        response = self.client.report(prepared.incident, prepared.sealed, prepared.metadata)
        return Report(prepared.incident, prepared.message, response, prepared.resolution)

    def send_message(self, incident: str, text: str | None) -> Report:
        message = str(uuid.uuid4())
        binding = Binding(commune=self.commune, incident=incident, message=message)
        sealed, resolution = self.seal(
            binding, self.client.recipients(incident=incident), text=text, attachments=[]
        )
        response = self.client.post_message(incident, sealed)
        return Report(incident, message, response, resolution)

    def _check_own_chain(self, revocations: chain.RevocationList, now: int) -> None:
        """Openers verify the sender too: refuse to send what nobody could read (this
        device, or the coordinator device that approved it, withdrawn)."""
        state = self._state()
        try:
            chain.verify_chain(
                self.chain,
                state.root_public_key,
                state.pinned_fingerprint,
                state.commune,
                revocations,
                now,
            )
        except chain.TrustError as exc:
            raise SendRefused(
                "own_device_untrusted",
                "La validation de cet appareil a été retirée : la police ne pourrait pas lire "
                "ce message. Appelez le 17 et demandez à la mairie de valider à nouveau "
                "cet appareil.",
            ) from exc

    # --- reading ----------------------------------------------------------------------

    def openers(self) -> list[Opener]:
        """This device's own key first, then every police service key generation it holds."""
        own = Opener(kind="device", id=self.device, private_key=self.enc_key)
        held = [
            Opener(kind="service", id=f"{service_key.SERVICE}:{number}", private_key=key)
            for number, key in sorted(self.service_keys.items(), reverse=True)
        ]
        return [own, *held]

    def read_incident(self, incident: str) -> list[Opened]:
        """Fetch every sealed message of an incident (each fetch is logged) and open it:
        with this device's entry or a service key, or, for a dispatched agent's device,
        with the content key an operator granted it."""
        trust = self.trust_context()
        opened = []
        for item in self.client.messages(incident):
            attachments = [
                self.client.attachment(incident, item["id"], part["index"])
                for part in item["attachments"]
            ]
            expected = Binding(commune=self.commune, incident=incident, message=str(item["id"]))
            grant = item.get("grant")
            if grant is not None:
                opened.append(
                    content_grant.open_envelope_with_grant(
                        item["envelope"],
                        attachments,
                        expected,
                        chain.SignedDocument(grant["body"], grant["signature"]),
                        chain.parse_chain(grant["granter_chain"]),
                        self.device,
                        self.enc_key,
                        trust,
                    )
                )
            else:
                opened.append(self._open(item["envelope"], attachments, expected, trust))
        return opened

    def dispatch(self, incident: str, agents: list[str]) -> dict[str, Any]:
        """Send these agents (membership ids): open every message of the incident, verify
        each agent device's chain (an `agent` leaf), wrap each message's key for each of
        them, and post it all as one dispatch."""
        return self.client.dispatch(incident, agents, self.prepare_dispatch(incident, agents))

    def prepare_dispatch(self, incident: str, agents: list[str]) -> list[dict[str, str]]:
        """The grants of `dispatch`, not posted yet (the benchmarks time the POST alone)."""
        keys = {str(o.header.message): o.content_key for o in self.read_incident(incident)}
        candidates = self.client.dispatch_candidates(incident)
        trust = self.trust_context()
        grants = []
        for entry in candidates["agents"]:
            if entry["agent"] not in agents:
                continue
            for device in entry["devices"]:
                leaf = chain.verify_chain(
                    chain.parse_chain(device["chain"]),
                    trust.root_public_key,
                    trust.pinned_fingerprint,
                    trust.commune,
                    trust.revocations,
                    _now(),
                )
                if leaf.role != "agent" or leaf.device != str(device["device"]):
                    raise envelope.EnvelopeError("not_allowed_recipient", field="agents")
                grants += [
                    content_grant.seal_content_key_grant(
                        self.sign_key,
                        commune=self.commune,
                        incident=incident,
                        message=message,
                        recipient_device=leaf.device,
                        recipient_key=leaf.enc_key,
                        content_key=key,
                        issued_at=_now(),
                    ).to_wire()
                    for message, key in keys.items()
                ]
        return grants

    def _open(
        self,
        wire: dict[str, Any],
        attachments: list[bytes],
        expected: Binding,
        trust: TrustContext,
    ) -> Opened:
        header, _ = envelope.parse_wire(wire)
        addressed = {(r.kind, r.id) for r in header.recipients}
        for opener in self.openers():
            if (opener.kind, opener.id) in addressed:
                return opening.open_envelope(wire, attachments, expected, opener, trust)
        return opening.open_envelope(wire, attachments, expected, self.openers()[0], trust)

    # --- police service key (operator devices) ----------------------------------------

    def ensure_service_key(self) -> int:
        """Hold the current generation and the older ones (for history): create
        generation 1, fetch this device's grants, rotate when the server flags it, and
        pass every held generation to operator devices still without it."""
        published = self.client.service_key()
        if published is None or published.get("rotation_needed"):
            number = 1 if published is None else int(published["number"]) + 1
            self._publish_generation(number)
        else:
            trust = self.trust_context()
            state = self._state()
            document = service_key.verify_service_key(
                published, trust, _now(), state.last_service_key_number
            )
            self.state = replace(state, last_service_key_number=document.number)
            number = document.number
            if number not in self.service_keys and not self._receive(document, trust):
                raise envelope.EnvelopeError(
                    "not_a_recipient",
                    "Aucun opérateur n'a encore transmis la clé de service à cet appareil.",
                )
        trust = self.trust_context()
        for older in range(number - 1, 0, -1):
            if older not in self.service_keys:
                self._receive_older(older, trust)
        for held in sorted(self.service_keys):
            self.grant_pending(held, trust)
        return number

    def _receive(self, document: service_key.ServiceKeyDocument, trust: TrustContext) -> bool:
        """Open this device's grant for the verified generation `document`, if any."""
        grant = self.client.my_grant(document.number)
        if grant is None:
            return False
        self.service_keys[document.number] = service_key.open_grant(
            chain.SignedDocument.from_wire(grant["grant"]),
            chain.parse_chain(grant["granter_chain"]),
            self.device,
            self.enc_key,
            document,
            trust,
            _now(),
        )
        return True

    def _receive_older(self, number: int, trust: TrustContext) -> None:
        """An older generation, checked as of its issue (its signer may be revoked since)."""
        published = self.client.service_key(number)
        if published is None:
            return
        try:
            document = service_key.verify_service_key(published, trust, _now(), as_of_issue=True)
            if document.number == number:
                self._receive(document, trust)
        except envelope.EnvelopeError:
            # A bad old generation must not cost the current one: that history stays
            # unreadable here, as the browser reports it, and the rest goes on.
            return

    def _publish_generation(self, number: int) -> None:
        trust = self.trust_context()
        private = service_key.generate_service_key()
        document = service_key.issue_service_key(
            self.sign_key,
            commune=self.commune,
            number=number,
            public_key=x25519_public_of(private),
            issued_at=_now(),
        )
        targets = [(self.device, self.enc_public)]
        if number > 1:
            targets += self._verified_operators(self.client.pending_grants()["devices"], trust)
        grants = [self._grant(number, private, device, key) for device, key in targets]
        self.client.publish_service_key(document.to_wire(), grants)
        self.service_keys[number] = private
        state = self._state()
        self.state = replace(state, last_service_key_number=number)

    def grant_pending(self, number: int, trust: TrustContext) -> int:
        """Wrap the service key for operator devices the server lists as waiting, after
        checking each one's certificate chain: the server only proposes."""
        pending = self.client.pending_grants(number)
        if int(pending["number"]) != number or not pending["devices"]:
            return 0
        targets = self._verified_operators(pending["devices"], trust)
        private = self.service_keys[number]
        grants = [self._grant(number, private, device, key) for device, key in targets]
        if grants:
            self.client.add_grants(grants)
        return len(grants)

    def _verified_operators(
        self, entries: list[dict[str, Any]], trust: TrustContext
    ) -> list[tuple[str, str]]:
        verified = []
        for entry in entries:
            if str(entry["device"]) == self.device:
                continue
            try:
                leaf = chain.verify_chain(
                    chain.parse_chain(entry["chain"]),
                    trust.root_public_key,
                    trust.pinned_fingerprint,
                    trust.commune,
                    trust.revocations,
                    _now(),
                )
            except chain.TrustError:
                continue
            if leaf.role == "operateur" and leaf.device == str(entry["device"]):
                verified.append((leaf.device, leaf.enc_key))
        return verified

    def _grant(
        self, number: int, private: X25519PrivateKey, device: str, key: str
    ) -> dict[str, str]:
        return service_key.seal_grant(
            self.sign_key,
            commune=self.commune,
            number=number,
            recipient_device=device,
            recipient_key=key,
            service_private_key=private,
            issued_at=_now(),
        ).to_wire()

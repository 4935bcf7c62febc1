"""Real sealed envelopes for server tests, made with the client library as a device would."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from maillage.incidents.models import Incident
from maillage.members.tests import factory
from maillage.trust import directory
from maillage.trust.models import Device
from maillage.wire import sealing
from maillage.wire.envelope import Attachment, Binding, Recipient, Sealed, Sender


def sender_of(persona: factory.Persona) -> Sender:
    certificate = directory.current_certificate(persona.device)
    assert certificate is not None, "persona without a current certificate"
    return Sender(
        sign_key=persona.sign_key,
        device=str(persona.device.public_id),
        serial=certificate.serial,
        chain=directory.device_chain(persona.device),
    )


def recipient_of(device: Device) -> Recipient:
    return Recipient(kind="device", id=str(device.public_id), key=device.enc_public_key)


def photo(data: bytes) -> Attachment:
    return Attachment(data=data, media="image/jpeg", width=640, height=480)


@dataclass
class Draft:
    """What a device seals: ids, sender and recipients, content."""

    persona: factory.Persona
    incident: str = field(default_factory=lambda: str(uuid.uuid4()))
    message: str = field(default_factory=lambda: str(uuid.uuid4()))
    text: str | None = "Vol à l'étalage, individu parti vers la gare."
    attachments: list[bytes] = field(default_factory=list)
    readers: list[Device] = field(default_factory=list)
    commune: str | None = None
    sender: Sender | None = None
    sent_at: int | None = None

    def seal(self) -> Sealed:
        commune = self.commune or str(self.persona.commune.public_id)
        readers = [self.persona.device, *self.readers]
        return sealing.seal(
            Binding(commune, self.incident, self.message),
            self.sender or sender_of(self.persona),
            text=self.text,
            fields={},
            attachments=[photo(data) for data in self.attachments],
            recipients=[recipient_of(device) for device in readers],
            sent_at=self.sent_at if self.sent_at is not None else int(time.time()),
        )


REPORT_METADATA = {"category": "vol"}


def multipart(
    sealed: Sealed | None,
    *,
    incident: str | None = None,
    wire: dict[str, Any] | None = None,
    parts: list[bytes] | None = None,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The form a device uploads; `wire`/`parts` replace the sealed ones when given. A
    report (`incident` given) carries its clear metadata: `metadata`, else « vol »."""
    data: dict[str, Any] = {}
    if incident is not None:
        data["incident"] = incident
        data.update(REPORT_METADATA if metadata is None else metadata)
    if sealed is not None or wire is not None:
        data["envelope"] = json.dumps(wire if wire is not None else sealed.wire)  # type: ignore[union-attr]
    files = parts if parts is not None else (sealed.attachments if sealed else [])
    data["attachments"] = [
        SimpleUploadedFile(f"part-{index}.bin", part, "application/octet-stream")
        for index, part in enumerate(files, start=1)
    ]
    return data


def post_report(client: Client, draft: Draft, sealed: Sealed | None = None, **kwargs: Any) -> Any:
    sealed = sealed or draft.seal()
    return client.post("/api/v1/incidents", multipart(sealed, incident=draft.incident, **kwargs))


def post_message(client: Client, draft: Draft, sealed: Sealed | None = None, **kwargs: Any) -> Any:
    sealed = sealed or draft.seal()
    return client.post(f"/api/v1/incidents/{draft.incident}/messages", multipart(sealed, **kwargs))


def make_incident(
    reporter: factory.Persona,
    *,
    attachments: list[bytes] | None = None,
    readers: list[Device] | None = None,
) -> tuple[Incident, Draft]:
    """An incident stored through the real action, as if `reporter` had sent it (sealed
    to its own device and to `readers`)."""
    from maillage.incidents import actions

    draft = Draft(reporter, attachments=attachments or [], readers=readers or [])
    sealed = draft.seal()
    received = actions.report_incident(
        reporter.membership,
        reporter.device,
        draft.incident,
        actions.Upload(json.dumps(sealed.wire), sealed.attachments),
        actions.ReportFields(category="vol"),
    )
    return Incident.objects.get(pk=received.incident.pk), draft


def content_keys(opener: factory.Persona, incident: Incident) -> dict[str, bytes]:
    """Each stored message's key K, as `opener`'s device gets it by opening the message
    with its own entry (the operator's console does it through the service key)."""
    from maillage.incidents.schemas import wire_of
    from maillage.wire import opening
    from maillage.wire.envelope import Opener, TrustContext

    root = directory.root_of(incident.commune)
    _, revocations = directory.parsed_revocations(incident.commune)
    trust = TrustContext(
        root.public_key, root.fingerprint, str(incident.commune.public_id), revocations
    )
    opener_entry = Opener("device", str(opener.device.public_id), opener.enc_key)
    keys = {}
    for message in incident.messages.select_related("incident").prefetch_related("attachments"):
        parts = [part.file.open("rb").read() for part in message.attachments.all()]
        binding = Binding(
            str(incident.commune.public_id), str(incident.public_id), str(message.public_id)
        )
        opened = opening.open_envelope(wire_of(message), parts, binding, opener_entry, trust)
        keys[str(message.public_id)] = opened.content_key
    return keys


def content_grants(
    operator: factory.Persona,
    incident: Incident,
    agents: list[factory.Persona],
    keys: dict[str, bytes] | None = None,
    *,
    sign_key: Any = None,
) -> list[dict[str, str]]:
    """What the operator's device sends with a dispatch: every message's K for every
    device of the agents, signed by `sign_key` (the operator's own by default)."""
    from maillage.wire import content_grant

    keys = keys if keys is not None else content_keys(operator, incident)
    documents = []
    for message, key in keys.items():
        for agent in agents:
            document = content_grant.seal_content_key_grant(
                sign_key or operator.sign_key,
                commune=str(incident.commune.public_id),
                incident=str(incident.public_id),
                message=message,
                recipient_device=str(agent.device.public_id),
                recipient_key=agent.device.enc_public_key,
                content_key=key,
                issued_at=int(time.time()),
            )
            documents.append({"body": document.body, "signature": document.signature})
    return documents


def dispatched_incident(
    reporter: factory.Persona,
    agent: factory.Persona,
    *,
    attachments: list[bytes] | None = None,
    readers: list[Device] | None = None,
) -> tuple[Incident, Draft]:
    """A report taken in charge by a new operator of the commune, who sends `agent` with
    real content-key grants (incidents/dispatch.py)."""
    from maillage.incidents import dispatch, workflow
    from maillage.members.models import Role
    from maillage.wire import chain

    operator = factory.make_member(Role.OPERATOR, reporter.commune, name="Opérateur d'envoi")
    incident, draft = make_incident(
        reporter, attachments=attachments, readers=[operator.device, *(readers or [])]
    )
    workflow.take(operator.membership, operator.device, incident)
    grants = content_grants(operator, incident, [agent])
    dispatch.dispatch(
        operator.membership,
        operator.device,
        incident.public_id,
        [agent.membership.public_id],
        [chain.SignedDocument(g["body"], g["signature"]) for g in grants],
    )
    incident.refresh_from_db()
    return incident, draft


def agent_with_a_new_device(
    reporter: factory.Persona, granter: factory.Persona | None = None
) -> tuple[Incident, factory.Persona, list[dict[str, str]]]:
    """A report with an agent sent, who then certified a tablet: the incident, the agent,
    and the grants its tablet lacks, signed by `granter` (an operator whose device the
    report is also sealed to; by default the operator who sent the agent)."""
    from maillage.members.models import Role

    extra = [granter.device] if granter is not None else []
    agent = factory.make_member(Role.AGENT, reporter.commune, name="Agent à la tablette")
    incident, _ = dispatched_incident(reporter, agent, readers=extra)
    tablet = factory.add_device(agent.membership, label="Tablette de patrouille")
    factory.certify(tablet)
    tablet.refresh_from_db()
    sign_key, enc_key = factory.device_keys(tablet)
    second = factory.Persona(agent.membership, tablet, sign_key, enc_key)
    if granter is None:
        from maillage.incidents.models import Dispatch

        sender = Dispatch.objects.get(incident=incident).dispatched_by
        granter = factory.Persona(
            sender, sender.devices.get(), *factory.device_keys(sender.devices.get())
        )
    return incident, agent, content_grants(granter, incident, [second])

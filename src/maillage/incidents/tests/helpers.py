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
    reporter: factory.Persona, *, attachments: list[bytes] | None = None
) -> tuple[Incident, Draft]:
    """An incident stored through the real action, as if `reporter` had sent it."""
    from maillage.incidents import actions

    draft = Draft(reporter, attachments=attachments or [])
    sealed = draft.seal()
    received = actions.report_incident(
        reporter.membership,
        reporter.device,
        draft.incident,
        actions.Upload(json.dumps(sealed.wire), sealed.attachments),
        actions.ReportFields(category="vol"),
    )
    return Incident.objects.get(pk=received.incident.pk), draft

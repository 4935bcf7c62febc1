"""Reports and sealed messages through the API: stored as sealed, refused as a whole."""

from __future__ import annotations

import dataclasses
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection

from maillage.access.policy import Action
from maillage.incidents import actions, alert_settings
from maillage.incidents.models import Incident, SealedAttachment, SealedMessage
from maillage.incidents.tests.conftest import stored_files
from maillage.incidents.tests.helpers import (
    Draft,
    make_incident,
    multipart,
    post_message,
    post_report,
    sender_of,
)
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.action import CLI, Actor
from maillage.stream.kinds import Kind
from maillage.stream.models import Event
from maillage.territory.models import Commune
from maillage.trust import directory
from maillage.trust.models import DeviceCertificate
from maillage.wire import envelope, opening
from maillage.wire.envelope import Binding, Opener, TrustContext

pytestmark = pytest.mark.django_db


def trust_of(commune: Commune) -> TrustContext:
    root = directory.root_of(commune)
    _, revocations = directory.parsed_revocations(commune)
    return TrustContext(root.public_key, root.fingerprint, str(commune.public_id), revocations)


def open_as(persona: factory.Persona, item: dict[str, Any], parts: list[bytes]) -> Any:
    header = json.loads(item["envelope"]["body"])
    expected = Binding(header["commune"], header["incident"], item["id"])
    opener = Opener("device", str(persona.device.public_id), persona.enc_key)
    return opening.open_envelope(
        item["envelope"], parts, expected, opener, trust_of(persona.commune)
    )


def assert_nothing_stored(media: Path) -> None:
    assert Incident.objects.count() == 0
    assert SealedMessage.objects.count() == 0
    assert SealedAttachment.objects.count() == 0
    assert stored_files(media) == []


# --- the happy path ----------------------------------------------------------------------


def test_report_is_stored_sealed_and_opens_for_the_operator(media, merchant, operator) -> None:
    draft = Draft(merchant, attachments=[b"photo-1" * 1000, b"photo-2" * 2000])
    draft.readers = [operator.device]
    sealed = draft.seal()

    response = post_report(merchant.client(), draft, sealed)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["incident"]["id"] == draft.incident
    assert body["incident"]["shop"] == {
        "id": str(merchant.shop.public_id),
        "enseigne": merchant.shop.enseigne,
    }
    assert body["incident"]["reported_by"] == str(merchant.membership.public_id)
    assert body["incident"]["messages"] == 1
    assert body["message"]["id"] == draft.message
    assert body["message"]["sender_device"] == str(merchant.device.public_id)
    assert body["message"]["attachments"] == [
        {"index": 1, "size": len(sealed.attachments[0])},
        {"index": 2, "size": len(sealed.attachments[1])},
    ]
    files = stored_files(media)
    assert sorted(path.read_bytes() for path in files) == sorted(sealed.attachments)
    assert all(path.parent.name == "sealed" and path.suffix == ".bin" for path in files)

    client = operator.client()
    (item,) = client.get(f"/api/v1/incidents/{draft.incident}/messages").json()
    assert item["envelope"] == sealed.wire
    parts = [
        client.get(
            f"/api/v1/incidents/{draft.incident}/messages/{draft.message}/attachments/{index}"
        ).content
        for index in (1, 2)
    ]
    assert parts == sealed.attachments
    opened = open_as(operator, item, parts)
    assert opened.text == draft.text
    assert [part.data for part in opened.attachments] == draft.attachments


def test_identical_retry_answers_200_and_a_different_one_409(media, merchant) -> None:
    draft = Draft(merchant, attachments=[b"sealed?" * 10])
    sealed = draft.seal()
    client = merchant.client()
    first = post_report(client, draft, sealed)
    assert first.status_code == 201

    again = post_report(client, draft, sealed)
    assert again.status_code == 200
    assert again.json() == first.json()

    resealed = draft.seal()  # same ids, fresh content key: different bytes
    conflict = post_report(client, draft, resealed)
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "incident_conflict"
    assert Incident.objects.count() == 1
    assert SealedMessage.objects.count() == 1
    assert len(stored_files(media)) == 1


def test_a_retry_after_the_checks_changed_still_answers_the_stored_report(
    media, merchant, monkeypatch
) -> None:
    """A phone's offline queue sends the same ids and bytes until it hears an answer: one
    lost an hour ago is answered now, even though its `sent_at` has left the window and
    its category was disabled since; no second row, no second event. Anything but an
    identical retry still gets the refusal."""
    draft = Draft(merchant)
    sealed = draft.seal()
    client = merchant.client()
    first = post_report(client, draft, sealed)
    assert first.status_code == 201

    monkeypatch.setattr(actions, "SENT_AT_MAX_AGE", -60)  # every sent_at is now too old
    settings = alert_settings.for_commune(merchant.commune).as_dict()
    for category in settings["categories"]:
        category["enabled"] = category["slug"] != "vol"
    alert_settings.change(CLI, merchant.commune, settings)
    events = Event.objects.count()

    again = post_report(client, draft, sealed)
    assert again.status_code == 200, again.json()
    assert again.json() == first.json()
    assert (Incident.objects.count(), SealedMessage.objects.count()) == (1, 1)
    assert Event.objects.count() == events

    other = post_report(client, draft, draft.seal())  # same ids, other bytes
    assert other.status_code == 400
    assert other.json()["code"] == "clock_skew"
    fresh = post_report(client, Draft(merchant))
    assert fresh.json()["code"] == "clock_skew"
    assert (Incident.objects.count(), SealedMessage.objects.count()) == (1, 1)


def test_further_messages_retry_and_conflict(media, merchant, operator) -> None:
    incident, _ = make_incident(merchant)
    reply = Draft(operator, incident=str(incident.public_id), text="Patrouille en route.")
    reply.readers = [merchant.device]
    sealed = reply.seal()
    client = operator.client()

    created = post_message(client, reply, sealed)
    assert created.status_code == 201, created.json()
    assert created.json()["message"]["sender_device"] == str(operator.device.public_id)
    assert post_message(client, reply, sealed).json() == created.json()
    assert post_message(client, reply, sealed).status_code == 200

    conflict = post_message(client, reply, reply.seal())
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "message_conflict"

    listed = merchant.client().get("/api/v1/incidents").json()
    assert [(item["id"], item["messages"]) for item in listed] == [(str(incident.public_id), 2)]


def test_a_message_id_cannot_move_to_another_incident(media, merchant) -> None:
    _, draft = make_incident(merchant)
    other, _ = make_incident(merchant)
    moved = Draft(merchant, incident=str(other.public_id), message=draft.message)
    response = post_message(merchant.client(), moved)
    assert response.status_code == 409
    assert response.json()["code"] == "message_conflict"

    reused = Draft(merchant, message=draft.message)
    response = post_report(merchant.client(), reused)
    assert response.status_code == 409
    assert response.json()["code"] == "message_conflict"
    assert not Incident.objects.filter(public_id=reused.incident).exists()
    assert SealedMessage.objects.count() == 2


def test_largest_allowed_upload_is_accepted(media, merchant) -> None:
    biggest = envelope.MAX_ATTACHMENT_BYTES - envelope.TAG_BYTES
    draft = Draft(merchant, attachments=[os.urandom(biggest) for _ in range(4)])
    response = post_report(merchant.client(), draft)
    assert response.status_code == 201, response.json()
    assert [part["size"] for part in response.json()["message"]["attachments"]] == [
        envelope.MAX_ATTACHMENT_BYTES
    ] * 4


# --- refusals: nothing stored ----------------------------------------------------------


def _flip(data: bytes, at: int = 5) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]


def _wire_without_signature(sealed: Any) -> dict[str, Any]:
    wire = dict(sealed.wire)
    del wire["signature"]
    return wire


REFUSALS: dict[str, tuple[Any, int, str, str]] = {
    # name: (how to build the request from (client, draft, sealed), status, code, field)
    "not multipart": (
        lambda c, d, s: c.post("/api/v1/incidents", {"incident": d.incident}, "application/json"),
        400,
        "multipart_required",
        "envelope",
    ),
    "envelope missing": (
        lambda c, d, s: c.post("/api/v1/incidents", {"incident": d.incident}),
        400,
        "multipart_required",
        "envelope",
    ),
    "envelope not JSON": (
        lambda c, d, s: c.post("/api/v1/incidents", {"incident": d.incident, "envelope": "{x"}),
        400,
        "malformed",
        "envelope",
    ),
    "wire shape": (
        lambda c, d, s: post_report(c, d, s, wire=_wire_without_signature(s)),
        400,
        "malformed",
        "envelope",
    ),
    "incident id not a uuid": (
        lambda c, d, s: c.post("/api/v1/incidents", {"incident": "signalement-1"}),
        400,
        "invalid_id",
        "incident",
    ),
    "header names another incident": (
        lambda c, d, s: c.post(
            "/api/v1/incidents",
            {"incident": str(uuid.uuid4()), "envelope": json.dumps(s.wire)},
        ),
        400,
        "wrong_context",
        "envelope",
    ),
    "attachment missing": (
        lambda c, d, s: post_report(c, d, s, parts=s.attachments[:1]),
        400,
        "tampered",
        "attachments",
    ),
    "attachment byte flipped": (
        lambda c, d, s: post_report(c, d, s, parts=[s.attachments[0], _flip(s.attachments[1])]),
        400,
        "tampered",
        "attachments",
    ),
    "attachments swapped": (
        lambda c, d, s: post_report(c, d, s, parts=s.attachments[::-1]),
        400,
        "tampered",
        "attachments",
    ),
    "attachment over 3 MiB": (
        lambda c, d, s: post_report(
            c, d, s, parts=[s.attachments[0], b"\x00" * (envelope.MAX_ATTACHMENT_BYTES + 1)]
        ),
        413,
        "too_large",
        "attachments",
    ),
    "five attachments": (
        lambda c, d, s: post_report(c, d, s, parts=[*s.attachments, *s.attachments, b"x"]),
        400,
        "too_many_attachments",
        "attachments",
    ),
    "photo in clear": (
        lambda c, d, s: post_report(
            c, d, s, parts=[s.attachments[0], b"\xff\xd8\xff\xe1" + b"Exif" * 100]
        ),
        400,
        "photo_not_sealed",
        "attachments",
    ),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_refused_upload_stores_nothing(media, merchant, name: str) -> None:
    build, status, code, field = REFUSALS[name]
    draft = Draft(merchant, attachments=[b"first part" * 50, b"second part" * 50])
    sealed = draft.seal()
    response = build(merchant.client(), draft, sealed)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert response.json()["field"] == field
    assert response.json()["message"]
    assert_nothing_stored(media)


def test_envelope_sealed_for_another_commune_is_refused(media, merchant) -> None:
    draft = Draft(merchant, commune=str(factory.make_commune().public_id))
    response = post_report(merchant.client(), draft)
    assert response.status_code == 400
    assert response.json()["code"] == "wrong_context"
    assert_nothing_stored(media)


def test_envelope_must_come_from_the_session_device(media, commune, merchant) -> None:
    colleague = factory.make_member(Role.MERCHANT, commune, shop=merchant.shop)
    draft = Draft(merchant, sender=sender_of(colleague))
    response = post_report(merchant.client(), draft)
    assert response.status_code == 400
    assert response.json()["code"] == "wrong_sender"
    assert_nothing_stored(media)


@pytest.mark.parametrize(
    "offset", [-actions.SENT_AT_MAX_AGE - 60, actions.SENT_AT_MAX_AHEAD + 60], ids=["old", "ahead"]
)
def test_envelope_dated_far_from_the_server_clock_is_refused(media, merchant, offset) -> None:
    """Openers trust `sent_at` for revocation checks, so the server bounds it."""
    draft = Draft(merchant, sent_at=int(time.time()) + offset)
    response = post_report(merchant.client(), draft)
    assert response.status_code == 400
    assert response.json()["code"] == "clock_skew"
    assert_nothing_stored(media)


def test_envelope_dated_within_the_tolerance_is_accepted(media, merchant) -> None:
    draft = Draft(merchant, sent_at=int(time.time()) - actions.SENT_AT_MAX_AGE + 120)
    assert post_report(merchant.client(), draft).status_code == 201


def test_envelope_must_name_the_current_certificate(media, merchant) -> None:
    sender = dataclasses.replace(sender_of(merchant), serial=str(uuid.uuid4()))
    draft = Draft(merchant, sender=sender)
    response = post_report(merchant.client(), draft)
    assert response.status_code == 400
    assert response.json()["code"] == "stale_certificate"
    assert_nothing_stored(media)


def test_device_whose_certificate_was_revoked_cannot_send(media, merchant) -> None:
    from django.utils import timezone

    draft = Draft(merchant)
    sealed = draft.seal()
    DeviceCertificate.objects.filter(device=merchant.device).update(revoked_at=timezone.now())
    response = post_report(merchant.client(), draft, sealed)
    assert response.status_code == 400
    assert response.json()["code"] == "stale_certificate"
    assert_nothing_stored(media)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.COORDINATOR, Role.DPO])
def test_only_merchants_report(media, commune, role: str) -> None:
    persona = factory.make_member(role, commune)
    response = post_report(persona.client(), Draft(persona))
    assert response.status_code == 403
    assert_nothing_stored(media)


def test_oversized_request_is_refused_before_reading(media, merchant) -> None:
    draft = Draft(merchant)
    response = merchant.client().post(
        "/api/v1/incidents",
        {"incident": draft.incident, "envelope": json.dumps(draft.seal().wire)},
        CONTENT_LENGTH=str(14 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert response.json() == {
        "code": "too_large",
        "message": response.json()["message"],
        "field": "attachments",
    }
    assert_nothing_stored(media)


def test_files_written_before_a_failure_are_removed(media, merchant) -> None:
    """A transaction that fails after the files were written leaves none behind."""
    incident, _ = make_incident(merchant)
    before = stored_files(media)
    draft = Draft(merchant, incident=str(incident.public_id), attachments=[b"abc" * 100] * 2)
    sealed = draft.seal()
    checked = actions._check_upload(
        actions.Upload(json.dumps(sealed.wire), sealed.attachments),
        str(merchant.commune.public_id),
        incident.public_id,
    )

    def work(written: list[str]) -> actions.Received:
        message, _ = actions._store(
            incident, merchant.membership, merchant.device, checked, written
        )
        assert len(written) == 2 and stored_files(media) != before
        SealedMessage.objects.create(
            **{  # the same public_id again: IntegrityError
                field.name: getattr(message, field.name)
                for field in SealedMessage._meta.concrete_fields
                if field.name not in {"id", "received_at"}
            }
        )
        raise AssertionError("unreachable")

    with pytest.raises(IntegrityError):
        actions._action_with_files(
            Actor.member(merchant.membership, merchant.device),
            Action.POST_MESSAGE,
            incident,
            Kind.MESSAGE_POSTED,
            checked,
            work,
        )
    assert stored_files(media) == before
    assert SealedMessage.objects.filter(public_id=draft.message).count() == 0


def test_plain_image_signatures() -> None:
    assert actions.looks_like_plain_image(b"\xff\xd8\xff\xdb rest")
    assert actions.looks_like_plain_image(b"\x89PNG\r\n\x1a\n")
    assert actions.looks_like_plain_image(b"GIF89a")
    assert actions.looks_like_plain_image(b"RIFF\x10\x00\x00\x00WEBPVP8 ")
    assert actions.looks_like_plain_image(b"\x00\x00\x00\x18ftypheic")
    assert not actions.looks_like_plain_image(b"RIFF\x10\x00\x00\x00WAVEfmt ")
    assert not actions.looks_like_plain_image(b"\xff\xd8\x00 sealed bytes")


# --- who reads what --------------------------------------------------------------------


def test_visibility_by_role_and_shop(media, commune, merchant, operator) -> None:
    incident, draft = make_incident(merchant, attachments=[b"part" * 10])
    other_merchant = factory.make_member(Role.MERCHANT, commune)
    agent = factory.make_member(Role.AGENT, commune)
    outsider = factory.make_member(Role.OPERATOR, factory.make_commune())
    messages = f"/api/v1/incidents/{incident.public_id}/messages"
    attachment = f"{messages}/{draft.message}/attachments/1"

    for reader in (merchant, operator):
        assert reader.client().get(messages).status_code == 200
        assert reader.client().get(attachment).status_code == 200
        assert [i["id"] for i in reader.client().get("/api/v1/incidents").json()] == [
            str(incident.public_id)
        ]
    assert other_merchant.client().get("/api/v1/incidents").json() == []
    # An agent sees only what it was dispatched to (incidents/tests/test_dispatch.py).
    assert agent.client().get("/api/v1/incidents").json() == []
    assert agent.client().get(messages).status_code == 403
    assert agent.client().get(attachment).status_code == 403
    for role in (Role.COORDINATOR, Role.REFERENT, Role.DPO):
        persona = factory.make_member(role, commune)
        assert persona.client().get(messages).status_code == 403
        assert persona.client().get(attachment).status_code == 403
    assert other_merchant.client().get(messages).status_code == 403
    assert other_merchant.client().get(attachment).status_code == 403
    assert outsider.client().get(messages).status_code == 404
    assert outsider.client().get(attachment).status_code == 404
    assert outsider.client().get("/api/v1/incidents").json() == []
    reply = Draft(other_merchant, incident=str(incident.public_id))
    assert post_message(other_merchant.client(), reply).status_code == 403
    missing = f"{messages}/{draft.message}/attachments/2"
    assert operator.client().get(missing).status_code == 404


def test_ciphertext_stored_plaintext_absent(media, merchant) -> None:
    canary = f"CANARI-{uuid.uuid4().hex}"
    draft = Draft(merchant, text=f"Individu en fuite {canary}", attachments=[canary.encode() * 20])
    sealed = draft.seal()
    assert post_report(merchant.client(), draft, sealed).status_code == 201

    rows = []
    with connection.cursor() as cursor:
        for table in (
            "incidents_incident",
            "incidents_sealedmessage",
            "incidents_sealedattachment",
        ):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            rows += [repr(row) for row in cursor.fetchall()]
    database = "\n".join(rows)
    files = b"".join(path.read_bytes() for path in stored_files(media))
    assert sealed.wire["content"] in database  # the search can see what is there
    assert files == sealed.attachments[0]
    assert canary not in database
    assert canary.encode() not in files


def test_with_csrf_enforced_broken_forms_get_structured_errors(media, merchant) -> None:
    """As in a browser: the CSRF check would parse the body before any view runs."""
    client = merchant.client(enforce_csrf_checks=True)
    client.get("/api/v1/session")
    headers = {"X-CSRFToken": client.cookies["maillage_csrf"].value}
    draft = Draft(merchant, attachments=[b"sealed part" * 10])

    huge_field = {"incident": draft.incident, "envelope": "a" * (3 * 1024 * 1024)}
    too_many = {
        "incident": draft.incident,
        "attachments": [SimpleUploadedFile(f"p{i}", b"x") for i in range(120)],
    }
    for data in (huge_field, too_many):
        response = client.post("/api/v1/incidents", data, headers=headers)
        assert response.status_code == 413
        assert response.json()["code"] == "too_large"
    assert_nothing_stored(media)

    sealed = draft.seal()
    refused = client.post("/api/v1/incidents", multipart(sealed, incident=draft.incident))
    assert refused.json()["code"] == "csrf_failed"
    form = multipart(sealed, incident=draft.incident)
    assert client.post("/api/v1/incidents", form, headers=headers).status_code == 201


def test_incidents_are_listed_newest_first(media, commune, merchant, operator) -> None:
    reported = [make_incident(merchant)[0].public_id for _ in range(3)]
    listed = [item["id"] for item in operator.client().get("/api/v1/incidents").json()]
    assert listed == [str(public_id) for public_id in reversed(reported)]
    mine = [item["id"] for item in merchant.client().get("/api/v1/incidents").json()]
    assert mine == listed

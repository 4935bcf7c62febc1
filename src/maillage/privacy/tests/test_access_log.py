"""Every fetch of sealed content leaves one chained entry the DPO can read and verify."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from django.db import connection

from maillage.incidents.tests.helpers import Draft, make_incident, post_message
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.privacy.access_log import (
    GENESIS,
    Access,
    Read,
    Verification,
    record_content_access,
    record_reads,
    verify_chain,
)
from maillage.privacy.models import AccessLogHead, ContentAccess
from maillage.territory.models import Commune

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def merchant(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.MERCHANT, commune, name="Commerçante")


@pytest.fixture
def operator(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.OPERATOR, commune, name="Opérateur CSU")


@pytest.fixture
def dpo(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.DPO, commune, name="Déléguée protection données")


def test_each_fetch_appends_exactly_its_entries(media, merchant, operator) -> None:
    incident, first = make_incident(merchant, attachments=[b"part one" * 9, b"part two" * 9])
    reply = Draft(operator, incident=str(incident.public_id))
    assert post_message(operator.client(), reply).status_code == 201
    assert ContentAccess.objects.count() == 0  # sending is not reading

    client = operator.client()
    messages = f"/api/v1/incidents/{incident.public_id}/messages"
    assert len(client.get(messages).json()) == 2
    entries = list(ContentAccess.objects.order_by("number"))
    assert [(e.what, str(e.message_public_id), e.part) for e in entries] == [
        ("envelope", first.message, None),
        ("envelope", reply.message, None),
    ]
    assert {e.membership_id for e in entries} == {operator.membership.pk}
    assert {e.device_id for e in entries} == {operator.device.pk}
    assert {str(e.incident_public_id) for e in entries} == {str(incident.public_id)}

    assert client.get(f"{messages}/{first.message}/attachments/2").status_code == 200
    last = ContentAccess.objects.order_by("-number").first()
    assert last is not None
    assert (last.number, last.what, last.part) == (3, "attachment", 2)

    assert client.get(f"{messages}/{first.message}/attachments/3").status_code == 404
    assert ContentAccess.objects.count() == 3
    assert verify_chain(merchant.commune).ok


def test_refused_reads_are_not_logged_and_dpo_cannot_read_content(
    media, commune, merchant, dpo
) -> None:
    incident, draft = make_incident(merchant, attachments=[b"x" * 40])
    messages = f"/api/v1/incidents/{incident.public_id}/messages"
    other_merchant = factory.make_member(Role.MERCHANT, commune)
    for persona in (dpo, other_merchant):
        assert persona.client().get(messages).status_code == 403
        assert persona.client().get(f"{messages}/{draft.message}/attachments/1").status_code == 403
    assert ContentAccess.objects.count() == 0


def test_dpo_reads_who_read_what_newest_first(media, commune, merchant, operator, dpo) -> None:
    incident, draft = make_incident(merchant, attachments=[b"y" * 40])
    other, _ = make_incident(merchant)
    operator.client().get(f"/api/v1/incidents/{incident.public_id}/messages")
    merchant.client().get(
        f"/api/v1/incidents/{incident.public_id}/messages/{draft.message}/attachments/1"
    )
    operator.client().get(f"/api/v1/incidents/{other.public_id}/messages")

    page = dpo.client().get("/api/v1/privacy/access-log").json()
    assert [entry["id"] for entry in page["entries"]] == [3, 2, 1]
    newest, middle, oldest = page["entries"]
    assert newest["incident"] == str(other.public_id)
    assert middle == {
        "id": 2,
        "at": middle["at"],
        "member": {
            "id": str(merchant.membership.public_id),
            "display_name": "Commerçante",
            "role": "commercant",
        },
        "device": str(merchant.device.public_id),
        "incident": str(incident.public_id),
        "message": draft.message,
        "what": "attachment",
        "part": 1,
        "reason": "",
    }
    assert oldest["member"]["display_name"] == "Opérateur CSU"
    assert oldest["what"] == "envelope"
    assert page["next_before"] is None

    filtered = dpo.client().get(f"/api/v1/privacy/access-log?incident={incident.public_id}")
    assert [entry["id"] for entry in filtered.json()["entries"]] == [2, 1]
    first_page = dpo.client().get("/api/v1/privacy/access-log?limit=2").json()
    assert [entry["id"] for entry in first_page["entries"]] == [3, 2]
    assert first_page["next_before"] == 2
    second = dpo.client().get("/api/v1/privacy/access-log?limit=2&before=2").json()
    assert [entry["id"] for entry in second["entries"]] == [1]
    assert second["next_before"] is None

    body = dpo.client().get("/api/v1/privacy/access-log").content.decode()
    assert 'envelope":{' not in body and draft.seal().wire["content"][:40] not in body

    for persona in (operator, merchant):
        assert persona.client().get("/api/v1/privacy/access-log").status_code == 403
        assert persona.client().get("/api/v1/privacy/access-log/verify").status_code == 403
    outsider = factory.make_member(Role.DPO, factory.make_commune())
    assert outsider.client().get("/api/v1/privacy/access-log").json()["entries"] == []
    assert outsider.client().get("/api/v1/privacy/access-log/verify").json() == {
        "ok": True,
        "entries": 0,
        "first_broken": None,
    }


def _log(persona: factory.Persona, count: int) -> None:
    for _ in range(count):
        record_content_access(
            membership=persona.membership,
            device=persona.device,
            incident_public_id="6f1c2b3a-0000-4000-8000-000000000001",
            message_public_id="6f1c2b3a-0000-4000-8000-000000000002",
            what="envelope",
        )


def test_chain_links_every_entry_to_the_previous_one(operator) -> None:
    _log(operator, 3)
    entries = list(ContentAccess.objects.order_by("number"))
    assert entries[0].prev_hash == GENESIS
    assert [e.prev_hash for e in entries[1:]] == [e.entry_hash for e in entries[:-1]]
    head = AccessLogHead.objects.get(commune=operator.commune)
    assert (head.number, head.entry_hash) == (3, entries[-1].entry_hash)


def test_one_batch_of_reads_by_several_members_of_two_communes_keeps_each_chain(
    commune, operator
) -> None:
    """The stream logs one event's deliveries to every console in one call."""
    _log(operator, 1)
    elsewhere = factory.make_member(Role.OPERATOR, factory.make_commune(), name="Ailleurs")
    second = factory.make_member(Role.OPERATOR, commune, name="Second opérateur")
    incident, message = str(uuid.uuid4()), str(uuid.uuid4())
    reads = [
        Read(p.membership, p.device, incident, Access(message, "envelope"))
        for p in (operator, elsewhere, second)
    ]
    entries = record_reads(reads)
    assert [(e.commune_id, e.number, e.membership_id) for e in entries] == [
        (commune.pk, 2, operator.membership.pk),
        (commune.pk, 3, second.membership.pk),
        (elsewhere.commune.pk, 1, elsewhere.membership.pk),
    ]
    for each in (commune, elsewhere.commune):
        assert verify_chain(each).ok
    assert AccessLogHead.objects.get(commune=commune).number == 3
    assert AccessLogHead.objects.get(commune=elsewhere.commune).number == 1


@pytest.mark.parametrize(
    ("tamper", "first_broken"),
    [
        ("UPDATE privacy_contentaccess SET what = 'attachment' WHERE number = 2", 2),
        ("UPDATE privacy_contentaccess SET at = at - INTERVAL '1 day' WHERE number = 3", 3),
        ("UPDATE privacy_contentaccess SET membership_id = {other} WHERE number = 1", 1),
        ("DELETE FROM privacy_contentaccess WHERE number = 2", 2),
        ("DELETE FROM privacy_contentaccess WHERE number = 4", 4),
    ],
)
def test_verify_reports_the_first_tampered_entry(
    commune, operator, dpo, tamper: str, first_broken: int
) -> None:
    _log(operator, 4)
    client = dpo.client()
    assert client.get("/api/v1/privacy/access-log/verify").json() == {
        "ok": True,
        "entries": 4,
        "first_broken": None,
    }
    if "INTERVAL" in tamper and connection.vendor == "sqlite":
        tamper = "UPDATE privacy_contentaccess SET at = datetime(at, '-1 day') WHERE number = 3"
    with connection.cursor() as cursor:
        cursor.execute(tamper.format(other=dpo.membership.pk))
    result = client.get("/api/v1/privacy/access-log/verify").json()
    assert result["ok"] is False
    assert result["first_broken"] == first_broken


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_fork_the_chain() -> None:
    """Readers in parallel each lock the head row, so numbers stay 1..n and linked."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serialises every writer anyway)")
    operator = factory.make_member(Role.OPERATOR, factory.make_commune())
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            _log(operator, 10)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = list(ContentAccess.objects.order_by("number").values_list("number", flat=True))
    assert numbers == list(range(1, 41))
    assert verify_chain(operator.commune) == Verification(True, 40, None)

"""The log itself: gapless numbering, rollback, the hash chain, the payload rule, the hook."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from maillage.access.policy import Action
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream import log
from maillage.stream.action import CLI, ActionError, Actor, action
from maillage.stream.kinds import SPECS, Kind
from maillage.stream.models import Event, EventHead
from maillage.stream.signals import event_committed
from maillage.stream.tests.helpers import events
from maillage.territory import actions as territory
from maillage.territory.models import Commune, Sector
from maillage.territory.tests.factory import make_commune, make_sector

pytestmark = pytest.mark.django_db


def sector_action(commune: Commune, name: str) -> Sector:
    return territory.create_sector(CLI, commune, name=name)


def test_each_action_takes_the_next_number_and_chains_to_the_previous() -> None:
    commune = make_commune()
    for number in range(3):
        sector_action(commune, f"Secteur {number}")
    log_rows = events(commune)
    assert [event.seq for event in log_rows] == [1, 2, 3, 4]
    assert [event.prev_hash for event in log_rows[1:]] == [event.hash for event in log_rows[:-1]]
    head = EventHead.objects.get(commune=commune)
    assert (head.seq, head.hash) == (4, log_rows[-1].hash)
    assert log.verify_chain(commune) == log.Verification(True, 4, None)


def test_numbers_are_per_commune() -> None:
    first, second = make_commune(), make_commune()
    sector_action(first, "Gare")
    sector_action(second, "Gare")
    assert [event.seq for event in events(first)] == [1, 2]
    assert [event.seq for event in events(second)] == [1, 2]


def test_a_rolled_back_action_leaves_no_event_and_no_gap() -> None:
    commune = make_commune()
    with (
        pytest.raises(RuntimeError, match="après coup"),
        action(CLI, None, kind=Kind.SECTOR_CREATED) as act,
    ):
        sector = Sector.objects.create(commune=commune, name="Fantôme", slug="fantome")
        act.record(sector, {"name": "Fantôme", "slug": "fantome"})
        raise RuntimeError("échec après coup")
    assert not Sector.objects.filter(slug="fantome").exists()
    sector_action(commune, "Réel")
    assert [(event.seq, event.payload.get("slug")) for event in events(commune)] == [
        (1, commune.slug),
        (2, "reel"),
    ]
    assert log.verify_chain(commune).ok


def test_an_action_without_an_event_is_refused_and_rolled_back() -> None:
    commune = make_commune()
    with (
        pytest.raises(ActionError, match="aucun événement"),
        action(CLI, None, kind=Kind.SECTOR_CREATED),
    ):
        Sector.objects.create(commune=commune, name="Muet", slug="muet")
    assert not Sector.objects.filter(slug="muet").exists()


def test_an_action_with_two_events_is_refused_and_rolled_back() -> None:
    commune = make_commune()
    with (
        pytest.raises(ActionError, match="un seul"),
        action(CLI, None, kind=Kind.SECTOR_CREATED) as act,
    ):
        sector = Sector.objects.create(commune=commune, name="Bavard", slug="bavard")
        act.record(sector, {"name": "Bavard", "slug": "bavard"})
        act.record(sector, {"name": "Bavard", "slug": "bavard"})
    assert not Sector.objects.filter(slug="bavard").exists()
    assert [event.seq for event in events(commune)] == [1]


def test_an_unchanged_action_leaves_no_event() -> None:
    commune = make_commune()
    with action(CLI, None, kind=Kind.SECTOR_CREATED) as act:
        act.unchanged()
    assert [event.seq for event in events(commune)] == [1]


def test_the_target_must_be_the_kind_s() -> None:
    commune = make_commune()
    with (
        pytest.raises(ActionError, match="sector"),
        action(CLI, None, kind=Kind.SECTOR_CREATED) as act,
    ):
        act.record(commune, {"name": "x", "slug": "x"})


def test_the_helper_asks_the_policy_for_a_member() -> None:
    commune = factory.make_commune()
    merchant = factory.make_member(Role.MERCHANT, commune)
    with pytest.raises(Exception) as refused:
        territory.create_sector(Actor.member(merchant.membership), commune, name="Interdit")
    assert getattr(refused.value, "status", None) == 403
    other = factory.make_commune()
    coordinator = factory.certifier_of(commune)
    with pytest.raises(Exception) as hidden:
        territory.create_sector(Actor.member(coordinator.membership), other, name="Ailleurs")
    assert getattr(hidden.value, "status", None) == 404
    assert not Sector.objects.filter(name__in=["Interdit", "Ailleurs"]).exists()


def test_a_member_may_not_take_an_action_reserved_to_the_mairie_s_machine() -> None:
    commune = factory.make_commune()
    coordinator = factory.certifier_of(commune)
    with pytest.raises(Exception) as refused:
        territory.create_commune(
            Actor.member(coordinator.membership),
            departement_code="78",
            departement_name="Yvelines",
            name="Usurpée",
            slug="usurpee",
            insee_code="78999",
        )
    assert getattr(refused.value, "status", None) == 403
    assert not Commune.objects.filter(slug="usurpee").exists()


def test_a_member_s_event_never_lands_in_another_commune_s_log() -> None:
    commune, other = factory.make_commune(), factory.make_commune()
    coordinator = factory.certifier_of(commune)
    foreign = make_sector(other)
    before = len(events(other))
    with (
        pytest.raises(ActionError, match="sa commune"),
        action(
            Actor.member(coordinator.membership),
            Action.MANAGE_TERRITORY,
            commune,
            kind=Kind.SECTOR_CREATED,
        ) as act,
    ):
        act.record(foreign, {"name": foreign.name, "slug": foreign.slug})
    assert [event.kind for event in events(other)][-1] == "sector.created"
    assert len(events(other)) == before


def test_an_actor_device_must_be_the_actor_s() -> None:
    commune = factory.make_commune()
    merchant = factory.make_member(Role.MERCHANT, commune)
    other = factory.make_member(Role.OPERATOR, commune)
    with pytest.raises(ValueError, match="appartenir"):
        Actor.member(merchant.membership, other.device)


# --- the chain ---------------------------------------------------------------------------


@pytest.fixture
def chained() -> Commune:
    commune = make_commune()
    for name in ("Gare", "Centre", "Port"):
        sector_action(commune, name)
    return commune


def test_an_edited_payload_is_found_at_its_seq(chained: Commune) -> None:
    Event.objects.filter(commune=chained, seq=3).update(payload={"name": "Autre", "slug": "x"})
    assert log.verify_chain(chained) == log.Verification(False, 3, 3)


def test_an_edited_actor_is_found_at_its_seq(chained: Commune) -> None:
    Event.objects.filter(commune=chained, seq=2).update(actor_kind="demo")
    assert log.verify_chain(chained).first_broken == 2


def test_a_deleted_row_is_found_at_its_seq(chained: Commune) -> None:
    Event.objects.filter(commune=chained, seq=2).delete()
    assert log.verify_chain(chained).first_broken == 2


def test_a_deleted_last_row_is_found_through_the_head(chained: Commune) -> None:
    Event.objects.filter(commune=chained, seq=4).delete()
    assert log.verify_chain(chained) == log.Verification(False, 3, 4)


def test_a_gap_in_seq_is_found(chained: Commune) -> None:
    Event.objects.filter(commune=chained, seq=4).update(seq=5)
    assert log.verify_chain(chained).first_broken == 4


def test_a_rehashed_edit_still_breaks_the_next_link(chained: Commune) -> None:
    """Whoever edits a row and recomputes its hash must rewrite every later row too."""
    event = Event.objects.get(commune=chained, seq=2)
    event.payload = {"name": "Falsifié", "slug": "falsifie"}
    event.hash = log.event_hash(event)
    Event.objects.filter(pk=event.pk).update(payload=event.payload, hash=event.hash)
    assert log.verify_chain(chained).first_broken == 3


def test_an_empty_log_verifies() -> None:
    commune = make_commune()
    Event.objects.filter(commune=commune).delete()
    EventHead.objects.filter(commune=commune).delete()
    assert log.verify_chain(commune) == log.Verification(True, 0, None)


# --- payloads ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["text", "body", "envelope", "content", "message_text"])
def test_the_validator_refuses_content_like_keys(key: str) -> None:
    with pytest.raises(log.PayloadError, match="contenu"):
        log.validate_payload(Kind.MESSAGE_POSTED, {"message": "m", "attachments": 0, key: "x"})


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"message": "m"}, "champs attendus"),
        ({"message": "m", "attachments": 0, "extra": 1}, "champs attendus"),
        ({"message": "m" * 201, "attachments": 0}, "200 caractères"),
        ({"message": "a\x1bb", "attachments": 0}, "contrôle"),
        ({"message": "a\u202eb", "attachments": 0}, "contrôle"),
        ({"message": {"nested": 1}, "attachments": 0}, "type dict"),
        ({"message": "m", "attachments": 1.5}, "type float"),
        ({"message": "m", "attachments": [[1]]}, "type list"),
        ({"message": "m", "attachments": list(range(101))}, "100 éléments"),
        ({"message": "m", "attachments": ["x" * 200] * 6}, "octets"),
    ],
)
def test_the_validator_refuses_what_is_not_small_flat_metadata(
    payload: dict[str, Any], reason: str
) -> None:
    with pytest.raises(log.PayloadError, match=reason):
        log.validate_payload(Kind.MESSAGE_POSTED, payload)


def test_a_refused_payload_stores_nothing() -> None:
    commune = make_commune()
    with pytest.raises(log.PayloadError), action(CLI, None, kind=Kind.SECTOR_CREATED) as act:
        sector = Sector.objects.create(commune=commune, name="Note", slug="note")
        act.record(sector, {"name": "Note", "slug": "note", "text": "confidentiel"})
    assert not Sector.objects.filter(slug="note").exists()
    assert [event.seq for event in events(commune)] == [1]


def test_no_kind_declares_a_content_like_field() -> None:
    declared = {field for spec in SPECS.values() for field in spec.fields}
    assert [field for field in sorted(declared) if log.content_like(field)] == []
    assert set(SPECS) == set(Kind)


def test_every_kind_is_documented() -> None:
    page = (Path(__file__).parents[4] / "docs" / "events.md").read_text(encoding="utf-8")
    missing = [kind.value for kind in Kind if f"\n### `{kind.value}`\n" not in page]
    assert missing == []
    for kind, spec in SPECS.items():
        section = page.split(f"\n### `{kind.value}`\n", 1)[1].split("\n### ", 1)[0]
        assert [f for f in sorted(spec.fields) if f"`{f}`" not in section] == [], kind


# --- the hook for the stream -----------------------------------------------------------


def test_listeners_hear_of_an_event_only_once_committed(
    django_capture_on_commit_callbacks: Any,
) -> None:
    commune = make_commune()
    heard: list[int] = []

    def listener(sender: object, event: Event, **kwargs: object) -> None:
        heard.append(event.seq)

    event_committed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            sector_action(commune, "Entendu")
            with pytest.raises(RuntimeError), action(CLI, None, kind=Kind.SECTOR_CREATED) as act:
                sector = Sector.objects.create(commune=commune, name="Tu", slug="tu")
                act.record(sector, {"name": "Tu", "slug": "tu"})
                raise RuntimeError
    finally:
        event_committed.disconnect(listener)
    assert heard == [2]


def test_a_failing_listener_does_not_undo_the_action(
    django_capture_on_commit_callbacks: Any,
) -> None:
    commune = make_commune()

    def broken(sender: object, **kwargs: object) -> None:
        raise RuntimeError("listener down")

    event_committed.connect(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            sector_action(commune, "Robuste")
    finally:
        event_committed.disconnect(broken)
    assert [event.seq for event in events(commune)] == [1, 2]


# --- concurrency -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_actions_get_gapless_numbers_in_commit_order() -> None:
    """Threads with their own connections append at once; some roll back after appending."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: SQLite's in-memory test database is not shared between "
            "threads, and SQLite serialises every writer anyway"
        )
    commune = make_commune()
    threads_count, per_thread = 4, 12
    start = threading.Barrier(threads_count)
    failures: list[BaseException] = []

    def work(index: int) -> None:
        try:
            start.wait()
            for number in range(per_thread):
                if number % 4 == 3:
                    with (
                        pytest.raises(RuntimeError),
                        action(CLI, None, kind=Kind.SECTOR_CREATED) as act,
                    ):
                        slug = f"annule-{index}-{number}"
                        sector = Sector.objects.create(commune=commune, name=slug, slug=slug)
                        act.record(sector, {"name": slug, "slug": slug})
                        raise RuntimeError("rollback after the append")
                else:
                    sector_action(commune, f"Secteur {index}-{number}")
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    kept = threads_count * (per_thread - per_thread // 4)
    log_rows = events(commune)
    assert [event.seq for event in log_rows] == list(range(1, kept + 2))
    assert Sector.objects.filter(commune=commune).count() == kept
    assert log.verify_chain(commune) == log.Verification(True, kept + 1, None)
    # Commit order: each event's time is no earlier than the previous one's.
    times = [event.at for event in log_rows]
    assert times == sorted(times)
    make_sector(commune, name="Après")
    assert events(commune)[-1].seq == kept + 2

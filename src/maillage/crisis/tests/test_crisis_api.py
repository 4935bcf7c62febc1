"""« Mode crise » over the API: an operator switches it on with instructions sealed to the
commune's group key (one event, the flag and the broadcast together), every member of the
commune sees it, the shops open the instructions; refusals store nothing and append
nothing; while it is on, every shop's neighbour alert waits for the police."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import close_old_connections

from maillage.broadcasts import actions as broadcast_actions
from maillage.broadcasts.models import Broadcast, BroadcastAttachment
from maillage.crisis import actions
from maillage.crisis import state as crisis_state
from maillage.crisis.models import CrisisMode
from maillage.errors import ApiError
from maillage.incidents import alert_settings
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.neighbours.tests.helpers import make_street
from maillage.neighbours.tests.helpers import send as send_alert
from maillage.stream.action import CLI
from maillage.stream.models import Event
from maillage.stream.tests.helpers import assert_by, head, since
from maillage.stream.visibility import visible_to
from maillage.territory.models import Commune
from maillage.territory.tests import factory as territory_factory
from maillage.trust.tests import group_key_factory as keys

from .helpers import CRISIS, INSTRUCTIONS, open_sealed, post, state

pytestmark = pytest.mark.django_db

PHOTO = b"\x00sealed-looking bytes of a photo part " * 40


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def cast() -> factory.Cast:
    return factory.make_cast()


@pytest.fixture
def generation(cast: factory.Cast) -> keys.Generation:
    return keys.publish(cast[Role.OPERATOR], 1, others=(cast[Role.MERCHANT].device,))


def stored(commune: Commune) -> tuple[int, int, int, bool]:
    """Broadcasts, their sealed parts, events, and whether the mode is on."""
    return (
        Broadcast.objects.filter(commune=commune).count(),
        BroadcastAttachment.objects.filter(broadcast__commune=commune).count(),
        Event.objects.filter(commune=commune).count(),
        crisis_state.is_on(commune),
    )


def test_an_operator_starts_it_and_every_member_sees_it(
    cast: factory.Cast, generation: keys.Generation
) -> None:
    operator, merchant = cast[Role.OPERATOR], cast[Role.MERCHANT]
    assert state(merchant)["active"] is False
    before = head(cast.commune)
    response = post(operator, "start", generation, attachments=[PHOTO])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["active"] is True
    assert body["started_by"] == "Police municipale"
    assert body["started_at"] is not None and body["ended_at"] is None
    assert body["instructions"]["scope"] == "commune"

    # One event: the flag and the sealed instructions together.
    [event] = since(cast.commune, before)
    assert event.kind == "crisis.started"
    assert_by(event, operator.membership, operator.device)
    instructions = body["instructions"]["broadcast"]
    assert event.payload == {"instructions": instructions, "number": 1, "attachments": 1}
    row = CrisisMode.objects.get(commune=cast.commune)
    assert row.active and row.started_by == operator.membership
    assert row.instructions is not None and str(row.instructions.public_id) == instructions
    # The server holds only sealed bytes.
    assert INSTRUCTIONS not in json.dumps(body)
    assert (
        INSTRUCTIONS.encode() not in Broadcast.objects.get(public_id=instructions).content.encode()
    )

    # Every member of the commune sees it switch; another commune's nothing.
    for persona in cast.everyone:
        assert visible_to(event, persona.membership), persona.membership.role
    assert not visible_to(event, cast.outsider.membership)

    # The shop opens the instructions; the mairie sees the flag, not the sealed text.
    seen = state(merchant)
    assert seen["active"] is True
    opened = open_sealed(merchant, seen["instructions"])
    assert opened.text == INSTRUCTIONS
    assert len(opened.attachments) == 1
    coordinator = state(cast[Role.COORDINATOR])
    assert coordinator["active"] is True and coordinator["instructions"] is None
    assert state(cast.outsider)["active"] is False


def test_refusals_store_nothing_and_append_nothing(
    cast: factory.Cast, generation: keys.Generation
) -> None:
    operator, merchant, coordinator = (
        cast[Role.OPERATOR],
        cast[Role.MERCHANT],
        cast[Role.COORDINATOR],
    )
    nothing = stored(cast.commune)
    for persona in (merchant, coordinator, cast[Role.AGENT]):
        refused = post(persona, "start", generation)
        assert refused.status_code == 403, persona.membership.role
        assert refused.json()["code"] == "forbidden"
    assert stored(cast.commune) == nothing

    # Bad input: 400, with the field named.
    no_body = operator.client().post(f"{CRISIS}/start")
    assert (no_body.status_code, no_body.json()["code"]) == (400, "multipart_required")
    broken = operator.client().post(f"{CRISIS}/start", {"envelope": "{pas du json"})
    assert broken.status_code == 400
    assert (broken.json()["code"], broken.json()["field"]) == ("malformed", "envelope")
    sector = territory_factory.make_sector(cast.commune, name="Centre")
    sector_key = keys.publish(operator, scope=f"sector:{sector.pk}")
    nothing = stored(cast.commune)
    wrong_scope = post(operator, "start", sector_key)
    assert wrong_scope.status_code == 400
    assert (wrong_scope.json()["code"], wrong_scope.json()["field"]) == (
        "invalid_scope",
        "envelope.scope",
    )
    assert stored(cast.commune) == nothing

    # Not on: nothing to end, no instructions to change.
    for path in ("end", "instructions"):
        off = post(operator, path, generation if path == "instructions" else None)
        assert off.status_code == 409, off.content
        assert off.json() == {
            "code": "crisis_not_active",
            "message": "Le mode crise n'est pas activé pour la commune.",
            "field": None,
        }
    assert stored(cast.commune) == nothing

    # Twice: the second start is a structured 409 and stores nothing.
    assert post(operator, "start", generation).status_code == 201
    once = stored(cast.commune)
    again = post(operator, "start", generation, "Autres consignes")
    assert again.status_code == 409
    assert again.json()["code"] == "crisis_active"
    assert again.json()["message"].startswith("Le mode crise est déjà activé")
    assert stored(cast.commune) == once
    # A merchant may not end it either.
    assert post(merchant, "end", None).status_code == 403
    assert stored(cast.commune) == once


def test_an_identical_retry_gets_the_same_answer(
    cast: factory.Cast, generation: keys.Generation
) -> None:
    operator = cast[Role.OPERATOR]
    sealed = keys.seal(operator, generation, INSTRUCTIONS)
    first = post(operator, "start", None, sealed=sealed)
    assert first.status_code == 201, first.content
    after = stored(cast.commune)
    second = post(operator, "start", None, sealed=sealed)
    assert second.status_code == 201, second.content
    assert second.json() == first.json()
    assert stored(cast.commune) == after


def test_instructions_change_then_it_ends_with_a_closing_message(
    cast: factory.Cast, generation: keys.Generation
) -> None:
    operator, merchant = cast[Role.OPERATOR], cast[Role.MERCHANT]
    assert post(operator, "start", generation).status_code == 201
    started = CrisisMode.objects.get(commune=cast.commune).started_at

    before = head(cast.commune)
    changed = post(operator, "instructions", generation, "Consignes levées rue du Marché.")
    assert changed.status_code == 200, changed.content
    [event] = since(cast.commune, before)
    assert event.kind == "crisis.instructions_changed"
    assert event.payload["instructions"] == changed.json()["instructions"]["broadcast"]
    seen = state(merchant)
    assert open_sealed(merchant, seen["instructions"]).text == "Consignes levées rue du Marché."
    assert CrisisMode.objects.get(commune=cast.commune).started_at == started

    before = head(cast.commune)
    ended = post(operator, "end", generation, "Fin du mode crise : reprise normale.")
    assert ended.status_code == 200, ended.content
    body = ended.json()
    assert body["active"] is False and body["ended_at"] is not None
    [event] = since(cast.commune, before)
    assert event.kind == "crisis.ended"
    assert_by(event, operator.membership, operator.device)
    assert event.payload["message"] == body["end_message"]["broadcast"]
    assert event.payload["number"] == 1
    assert isinstance(event.payload["duration"], int) and event.payload["duration"] >= 0
    assert visible_to(event, merchant.membership)
    seen = state(merchant)
    assert seen["active"] is False
    assert open_sealed(merchant, seen["end_message"]).text == "Fin du mode crise : reprise normale."

    # Ended once; and it may start again, the closing message gone from the state.
    assert post(operator, "end", None).status_code == 409
    again = post(operator, "start", generation)
    assert again.status_code == 201, again.content
    assert again.json()["end_message"] is None and again.json()["ended_at"] is None


def test_it_ends_without_a_message(cast: factory.Cast, generation: keys.Generation) -> None:
    operator = cast[Role.OPERATOR]
    assert post(operator, "start", generation).status_code == 201
    before = head(cast.commune)
    ended = operator.client().post(f"{CRISIS}/end")
    assert ended.status_code == 200, ended.content
    assert ended.json()["end_message"] is None
    [event] = since(cast.commune, before)
    assert (event.payload["message"], event.payload["number"]) == (None, None)


def test_neighbour_alerts_wait_for_the_police_while_it_is_on() -> None:
    street = make_street()
    operator, reporter, neighbour = street.operator, street.reporter, street.neighbour
    # The commune lets shops' alerts go out at once…
    settings = alert_settings.for_commune(street.commune).as_dict()
    settings["neighbour_validation"] = False
    alert_settings.change(CLI, street.commune, settings)
    out = send_alert(reporter, street.key_a, "Avant la crise")
    assert out.status_code == 201, out.content
    assert out.json()["status"] == "active"

    catalogue = "/api/v1/incidents/catalogue"
    assert reporter.client().get(catalogue).json()["neighbours"]["validation"] is False

    # …but not in « mode crise »: held « en attente de validation », and the report page
    # says so.
    commune_key = keys.publish(operator, scope="commune", others=(reporter.device,))
    assert post(operator, "start", commune_key).status_code == 201
    assert reporter.client().get(catalogue).json()["neighbours"]["validation"] is True
    before = head(street.commune)
    held = send_alert(reporter, street.key_a, "Pendant la crise")
    assert held.status_code == 201, held.content
    assert held.json()["status"] == "pending"
    [event] = since(street.commune, before)
    assert event.kind == "neighbour_alert.submitted"
    assert not visible_to(event, neighbour.membership)
    pending = reporter.client().get(f"/api/v1/neighbours/alerts/{held.json()['id']}")
    assert pending.json()["status"] == "pending"
    # The police's own alerts still go out at once.
    police = send_alert(operator, street.key_a, "Message de la police")
    assert police.json()["status"] == "active"

    # The operator's one click sends it out.
    validated = operator.client().post(f"/api/v1/neighbours/alerts/{held.json()['id']}/validate")
    assert validated.json()["status"] == "active"

    # Once it ends, the commune's own setting applies again.
    assert operator.client().post(f"{CRISIS}/end").status_code == 200
    after = send_alert(reporter, street.key_a, "Après la crise")
    assert after.json()["status"] == "active"


@pytest.mark.django_db(transaction=True)
def test_two_operators_starting_at_once_start_it_once() -> None:
    """Two requests racing (threads with their own connections), the commune's row not
    created yet: one start, one structured 409, one event, one broadcast stored."""
    cast = factory.make_cast()
    operator = cast[Role.OPERATOR]
    colleague = factory.make_member(Role.OPERATOR, cast.commune)
    generation = keys.publish(operator, 1, others=(colleague.device,))
    uploads = {
        persona.membership.pk: broadcast_actions.Upload(
            json.dumps(keys.seal(persona, generation).wire), []
        )
        for persona in (operator, colleague)
    }
    before = head(cast.commune)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def start(persona: factory.Persona) -> None:
        try:
            barrier.wait()
            actions.start(persona.membership, persona.device, uploads[persona.membership.pk])
            outcomes.append("started")
        except ApiError as refusal:
            outcomes.append(f"{refusal.status} {refusal.code}")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=start, args=(p,)) for p in (operator, colleague)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(outcomes) == ["409 crisis_active", "started"]
    assert [e.kind for e in since(cast.commune, before)] == ["crisis.started"]
    assert Broadcast.objects.filter(commune=cast.commune).count() == 1
    assert CrisisMode.objects.filter(commune=cast.commune, active=True).count() == 1

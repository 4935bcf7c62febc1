"""The offline queue in real Chromium (issue 11, point 4, "How it will be checked"): a
report composed with the network cut (`context.set_offline(True)`: every fetch and the
stream fail) waits on the phone with « En attente de réseau », leaves by itself when the
network returns, and exactly one incident exists for its ids; a page closed offline leaves
it to the next page of the same browser, which sends it at start; after a minute without
network the shopkeeper is told to call 17 (the page's clock moved on by Playwright).

The ASGI application serves the pages and the stream, as in test_alert.
"""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Page, Response, expect

from maillage.incidents.models import Incident, SealedMessage
from maillage.members.models import Role

from .a11y import audit
from .conftest import PersonFactory, save_screenshot
from .test_alert import (
    LIVE,
    SEND,
    VOL,
    PhoneFactory,
    app_url,
    live_db,
    merchant_phone,
    operator_console,
    phone,
)
from .test_envelopes import demo, demo_sign_in, member, rows_containing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["app_url", "demo", "live_db", "phone"]  # fixtures

WAITING = "En attente de réseau"
QUEUED = "Signalement gardé sur ce téléphone"


def report_answers(page: Page) -> list[int]:
    """The status of every answer to POST /api/v1/incidents this page received."""
    statuses: list[int] = []

    def seen(response: Response) -> None:
        request = response.request
        if request.method == "POST" and request.url.endswith("/api/v1/incidents"):
            statuses.append(response.status)

    page.on("response", seen)
    return statuses


def queued_incident(page: Page) -> str:
    """The waiting report's incident id, as the queue shows it (its idempotency key)."""
    item = page.locator(".outbox-item").first
    expect(item).to_be_visible()
    value = item.get_attribute("data-incident")
    assert value is not None
    return value


def assert_one_report(incident: str) -> Incident:
    """Exactly one incident for these ids, with its one sealed message, and nothing else."""
    assert Incident.objects.count() == 1
    stored = Incident.objects.get(public_id=incident)
    assert SealedMessage.objects.count() == 1
    assert SealedMessage.objects.filter(incident=stored).count() == 1
    return stored


def test_a_report_composed_offline_is_sent_once_when_the_network_returns(
    open_browser: PersonFactory, phone: PhoneFactory, demo: Any, tmp_path: Path
) -> None:
    canary = f"canari-{uuid.uuid4().hex}"
    operator_console(open_browser, demo)
    shop = merchant_phone(phone, demo)
    answers = report_answers(shop)

    shop.get_by_role("button", name=VOL).tap()
    expect(shop.get_by_role("heading", level=1)).to_have_text(VOL)
    shop.context.set_offline(True)
    shop.get_by_label("Ce qui se passe (facultatif)").fill(f"Deux personnes. {canary}")
    shop.get_by_role("button", name=SEND).tap()

    # Kept on the phone, said politely, not an error; nothing reached the server.
    expect(shop.get_by_role("heading", name=QUEUED)).to_be_visible()
    status = shop.locator(".outbox-item [role=status]")
    expect(status).to_contain_text(WAITING)
    expect(status).to_have_attribute("aria-live", "polite")
    incident = queued_incident(shop)
    assert shop.get_by_role("alert").filter(has_text="appelez le 17").count() == 0
    assert audit(shop) == []
    save_screenshot(shop, "hors-ligne-en-attente", tmp_path)
    assert Incident.objects.count() == 0

    # Home, still offline: the report waits there too.
    shop.get_by_role("link", name="Retour à l'accueil").tap()
    waiting = shop.get_by_role("region", name="Signalements en attente d'envoi")
    expect(waiting).to_contain_text(VOL)
    expect(waiting.get_by_role("status")).to_contain_text(WAITING)
    # The draft went into the queue: no « pas encore envoyé » to send a second time.
    expect(shop.get_by_role("region", name="Signalement pas encore envoyé")).to_have_count(0)
    assert audit(shop) == []

    shop.context.set_offline(False)
    # Sent by itself: the normal status replaces the waiting one, and the stream is back.
    expect(waiting).to_have_count(0, timeout=LIVE)
    last = shop.get_by_role("region", name="Votre dernier signalement")
    expect(last).to_contain_text(f"{VOL} : envoyé à")
    expect(last).to_contain_text("appareil(s) destinataire(s)")
    # The live stream came through the cut (Chromium keeps an open stream, and a lost one
    # resumes from its cursor): it carries the report back, and says nothing is lost.
    expect(last).to_contain_text("Diffusé en direct", timeout=LIVE)
    expect(shop.locator(".live-banner")).to_have_text("")

    assert_one_report(incident)
    assert 201 in answers and answers.count(201) == 1, answers
    assert rows_containing(canary) == []
    assert (
        shop.evaluate(
            """async () => {
            const db = await new Promise((ok, ko) => {
                const r = indexedDB.open("maillage-outbox");
                r.onsuccess = () => ok(r.result);
                r.onerror = () => ko(r.error);
            });
            const rows = await new Promise((ok) => {
                const r = db.transaction("entries").objectStore("entries").getAll();
                r.onsuccess = () => ok(r.result);
            });
            db.close();
            return rows.length;
        }"""
        )
        == 0
    )


def test_a_page_closed_offline_leaves_its_report_to_the_next_page_which_sends_it(
    open_browser: PersonFactory, phone: PhoneFactory, demo: Any
) -> None:
    canary = f"canari-{uuid.uuid4().hex}"
    operator_console(open_browser, demo)
    shop = merchant_phone(phone, demo)
    context = shop.context

    shop.get_by_role("button", name="Comportement suspect").tap()
    expect(shop.get_by_role("heading", level=1)).to_have_text("Comportement suspect")
    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 120, 60)).save(photo, "JPEG")
    shop.get_by_label("Ajouter une photo").set_input_files(
        {"name": "rayon.jpg", "mimeType": "image/jpeg", "buffer": photo.getvalue()}
    )
    expect(shop.get_by_text("Photo 1 : rayon.jpg")).to_be_visible()
    context.set_offline(True)
    shop.get_by_label("Ce qui se passe (facultatif)").fill(canary)
    shop.get_by_role("button", name=SEND).tap()
    expect(shop.locator(".outbox-item [role=status]")).to_contain_text(WAITING)
    incident = queued_incident(shop)
    shop.close()
    assert Incident.objects.count() == 0

    # The next open of the app, with the network: the report leaves at start, once.
    context.set_offline(False)
    again = context.new_page()
    answers = report_answers(again)
    again.goto("/")
    last = again.get_by_role("region", name="Votre dernier signalement")
    expect(last).to_contain_text("Comportement suspect : envoyé à", timeout=LIVE)
    expect(again.get_by_role("region", name="Signalements en attente d'envoi")).to_have_count(0)
    expect(again.get_by_role("region", name="Signalement pas encore envoyé")).to_have_count(0)

    stored = assert_one_report(incident)
    assert (stored.category, stored.photos) == ("comportement_suspect", 1)
    assert answers.count(201) == 1, answers
    assert rows_containing(canary) == []
    # Reloaded online: nothing is sent again.
    again.reload()
    expect(last).to_contain_text("Comportement suspect : envoyé à")
    assert_one_report(incident)
    assert answers.count(201) == 1, answers


def test_a_minute_without_network_tells_the_shopkeeper_to_call_17(
    open_browser: PersonFactory, phone: PhoneFactory, demo: Any, tmp_path: Path
) -> None:
    operator_console(open_browser, demo)
    shop = phone("commercant")
    shop.clock.install()  # the page's clock, moved on below instead of waiting a minute
    demo_sign_in(shop, member(demo, Role.MERCHANT))
    shop.get_by_role("button", name=VOL).tap()
    expect(shop.get_by_role("heading", level=1)).to_have_text(VOL)
    shop.context.set_offline(True)
    shop.get_by_role("button", name=SEND).tap()
    expect(shop.locator(".outbox-item [role=status]")).to_contain_text(WAITING)
    incident = queued_incident(shop)
    urgent = shop.get_by_role("alert").filter(has_text="Impossible d'envoyer : appelez le 17.")
    expect(urgent).to_have_count(0)

    shop.clock.fast_forward("01:01")
    expect(urgent).to_be_visible()
    expect(urgent.get_by_role("link", name="Appeler le 17")).to_have_attribute("href", "tel:17")
    # Still waiting and still trying: the status line stays, the report is not dropped.
    expect(shop.locator(".outbox-item [role=status]")).to_contain_text(WAITING)
    assert audit(shop) == []
    save_screenshot(shop, "hors-ligne-appelez-le-17", tmp_path)

    shop.context.set_offline(False)
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible(timeout=LIVE)
    assert_one_report(incident)

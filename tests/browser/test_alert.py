"""The alert itself in real Chromium, on a phone with touch (issue 9, "How it will be
checked"): from the merchant's home, « Vol à l'étalage » then « Envoyer » (two taps) →
the operator's console shows the incident with its category and decrypts its descriptors;
« Agression en cours » puts the 17 first; the discreet gesture (2 s on the shop's name)
sends an agression report with nothing conspicuous on screen; a draft survives a reload
until it is sent; the server's refusals are shown in French with the 17.

The ASGI application serves the pages and the stream (as in test_live_console), so the
shop's home receives its own report back live.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, Request, expect

from maillage.incidents import alert_settings
from maillage.incidents.models import Incident, SealedMessage
from maillage.members.models import Role
from maillage.stream.action import CLI
from maillage.stream.tests.live import live_db, serve

from .a11y import audit
from .conftest import DESKTOP, REPORT_CSP_VIOLATIONS, PersonFactory, csp_violations, save_screenshot
from .test_envelopes import demo, demo_sign_in, member, open_console, rows_containing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["demo", "live_db"]  # fixtures

PHONE_TOUCH = {"width": 390, "height": 844}
LIVE = 30_000
VOL = "Vol / vol à l'étalage"
SEND = "Envoyer le signalement"


@pytest.fixture
def app_url(live_db: None, settings: Any, built_frontend: Path) -> Iterator[str]:
    """The ASGI application (Django and the stream) on http://localhost:<port>."""
    with serve() as base:
        url = base.replace("127.0.0.1", "localhost")
        settings.WEBAUTHN_RP_ID = "localhost"
        settings.WEBAUTHN_ORIGINS = [url]
        settings.PUBLIC_URL = url
        settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
        settings.CSRF_TRUSTED_ORIGINS = [url]
        yield url


PhoneFactory = Callable[[str], Page]


@pytest.fixture
def phone(browser: Browser, app_url: str) -> Iterator[PhoneFactory]:
    """A shopkeeper's phone: 390×844, touch, mobile; CSP violations fail the test."""
    pages: list[tuple[Any, list[str]]] = []

    def factory(name: str) -> Page:
        context = browser.new_context(
            base_url=app_url,
            locale="fr-FR",
            timezone_id="Europe/Paris",
            viewport=PHONE_TOUCH,  # type: ignore[arg-type]
            has_touch=True,
            is_mobile=True,
        )
        context.set_default_timeout(15_000)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
        pages.append((context, console))
        return page

    yield factory
    violations = [line for _, console in pages for line in csp_violations(console)]
    errors = [line for _, console in pages for line in console if line.startswith("pageerror:")]
    for context, _ in pages:
        context.close()
    assert violations == [], violations
    assert errors == [], errors


def form_fields(request: Request) -> dict[str, str]:
    """The clear (non-file) fields of a multipart POST, as the server receives them."""
    body = request.post_data_buffer or b""
    found = re.findall(rb'name="([a-z_]+)"\r\n\r\n(.*?)\r\n--', body, re.S)
    return {name.decode(): value.decode() for name, value in found if name != b"envelope"}


def api_incidents(page: Page) -> list[dict[str, Any]]:
    """GET /api/v1/incidents as the page's member sees it (IncidentOut, Contract 1)."""
    return list(page.evaluate("async () => (await fetch('/api/v1/incidents')).json()"))


def operator_console(open_browser: PersonFactory, demo: Any) -> Page:
    operator = open_browser("operateur", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(operator, member(demo, Role.OPERATOR))
    open_console(operator)
    expect(
        operator.get_by_text("Clé de service créée sur cet appareil (génération 1).")
    ).to_be_visible()
    return operator


def shop_name(demo: Any) -> str:
    shop = member(demo, Role.MERCHANT).shop
    assert shop is not None
    return str(shop.enseigne)


def merchant_phone(phone: PhoneFactory, demo: Any) -> Page:
    page = phone("commercant")
    demo_sign_in(page, member(demo, Role.MERCHANT))
    expect(page.get_by_role("button", name=VOL)).to_be_visible()
    return page


def test_two_taps_from_home_to_sent_and_the_console_shows_the_category(
    open_browser: PersonFactory, phone: PhoneFactory, demo: Any, tmp_path: Path
) -> None:
    operator = operator_console(open_browser, demo)
    shop = merchant_phone(phone, demo)
    enseigne = shop_name(demo)

    # The home is the alert: no « prochaine version », big buttons in the thumb's reach.
    main = shop.get_by_role("main")
    expect(main).not_to_contain_text("prochaine version")
    expect(shop.get_by_role("heading", name="Que se passe-t-il ?")).to_be_visible()
    buttons = shop.locator(".alert-button")
    assert buttons.count() >= 8
    for i in range(buttons.count()):
        box = buttons.nth(i).bounding_box()
        assert box is not None and box["height"] >= 48 and box["width"] >= 48
    assert audit(shop) == []
    save_screenshot(shop, "alerte-accueil", tmp_path)

    # Tap 1: the category; tap 2: « Envoyer ».
    shop.get_by_role("button", name=VOL).tap()
    expect(shop.get_by_role("heading", level=1)).to_have_text(VOL)
    expect(shop.get_by_role("radio", name="Moyenne")).to_be_checked()  # the category's default
    send = shop.get_by_role("button", name=SEND)
    expect(send).to_be_enabled()
    box = send.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE_TOUCH["height"]  # sticky, in view
    assert audit(shop) == []
    save_screenshot(shop, "alerte-confirmation", tmp_path)
    with shop.expect_request(
        lambda r: r.url.endswith("/api/v1/incidents") and r.method == "POST"
    ) as posted:
        send.tap()
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()
    assert form_fields(posted.value) == {
        "incident": form_fields(posted.value)["incident"],
        "category": "vol",
        "severity": "medium",
        "neighbours": "false",
    }

    # The console, left open, shows it live with its clear metadata.
    row = operator.locator("li").filter(has_text=enseigne)
    expect(row.locator(".badge-category")).to_have_text(VOL, timeout=LIVE)
    expect(row).to_contain_text("Gravité : Moyenne")
    items = api_incidents(operator)
    assert items[0]["category"]["slug"] == "vol" and items[0]["severity"] == "medium"
    assert items[0]["neighbours"] is False and items[0]["photos"] == 0
    operator.get_by_role("button", name=f"Ouvrir le signalement de {enseigne}").click()
    expect(operator.get_by_text("(pas de texte)")).to_be_visible()

    # Back home: the status of what was sent, confirmed by the live stream.
    shop.get_by_role("link", name="Retour à l'accueil").tap()
    status = shop.get_by_role("region", name="Votre dernier signalement")
    expect(status).to_contain_text(f"{VOL} : envoyé à")
    expect(status).to_contain_text("appareil(s) destinataire(s)")
    expect(status).to_contain_text("Diffusé en direct", timeout=LIVE)
    expect(shop.get_by_role("region", name="Signalement pas encore envoyé")).to_have_count(0)


def test_descriptors_survive_a_reload_are_sealed_and_decrypted_by_the_console(
    open_browser: PersonFactory, phone: PhoneFactory, demo: Any, tmp_path: Path
) -> None:
    canary = f"canari-{uuid.uuid4().hex}"
    operator = operator_console(open_browser, demo)
    shop = merchant_phone(phone, demo)
    enseigne = shop_name(demo)

    shop.get_by_role("button", name="Comportement suspect").tap()
    expect(shop.get_by_role("heading", level=1)).to_have_text("Comportement suspect")
    shop.get_by_role("radio", name="Élevée").check()
    people = shop.get_by_role("group", name="Nombre de personnes")
    people.get_by_role("button", name="2", exact=True).tap()
    shop.get_by_role("group", name="Vêtements").get_by_role("button", name="Capuche").tap()
    colours = shop.get_by_role("group", name="Couleurs des vêtements")
    colours.get_by_role("button", name="Noir").tap()
    colours.get_by_role("button", name="Rouge").tap()
    shop.get_by_role("group", name="Signes visibles").get_by_role("button", name="Sac à dos").tap()
    direction = shop.get_by_role("group", name="Direction de fuite")
    direction.get_by_role("button", name="À gauche en sortant").tap()
    shop.get_by_role("group", name="Véhicule").get_by_role("button", name="Scooter, moto").tap()
    switch = shop.get_by_role("switch", name="Prévenir les commerces voisins")
    expect(switch).to_have_attribute("aria-checked", "false")
    switch.tap()
    expect(switch).to_have_attribute("aria-checked", "true")
    shop.get_by_label("Ce qui se passe (facultatif)").fill(f"Fait le tour des rayons. {canary}")
    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 120, 60)).save(photo, "JPEG")
    shop.get_by_label("Ajouter une photo").set_input_files(
        {"name": "rayon.jpg", "mimeType": "image/jpeg", "buffer": photo.getvalue()}
    )
    expect(shop.get_by_text("Photo 1 : rayon.jpg")).to_be_visible()
    assert audit(shop) == []

    # A reload (or the phone locked and the tab reloaded): the draft is all there.
    shop.reload()
    expect(shop.get_by_role("heading", level=1)).to_have_text("Comportement suspect")
    expect(shop.get_by_role("radio", name="Élevée")).to_be_checked()
    expect(people.get_by_role("button", name="2", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(colours.get_by_role("button", name="Rouge")).to_have_attribute("aria-pressed", "true")
    expect(colours.get_by_role("button", name="Bleu")).to_have_attribute("aria-pressed", "false")
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(shop.get_by_label("Ce qui se passe (facultatif)")).to_have_value(
        f"Fait le tour des rayons. {canary}"
    )
    expect(shop.get_by_text("Photo 1 : rayon.jpg")).to_be_visible()
    # The home says a report is waiting, and takes back to it.
    shop.goto("/")
    draft = shop.get_by_role("region", name="Signalement pas encore envoyé")
    expect(draft).to_contain_text("Comportement suspect")
    draft.get_by_role("link", name="Reprendre et envoyer").tap()
    expect(shop.get_by_label("Ce qui se passe (facultatif)")).to_have_value(
        f"Fait le tour des rayons. {canary}"
    )

    shop.get_by_role("button", name=SEND).tap()
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()
    # The clear metadata as the server stored it (a body with a photo blob is not readable
    # from the request in Chromium, so the server's answer is checked instead).
    stored = api_incidents(operator)[0]
    assert stored["category"] == {"slug": "comportement_suspect", "label": "Comportement suspect"}
    assert (stored["severity"], stored["neighbours"], stored["photos"]) == ("high", True, 1)

    # The console decrypts the descriptors and shows them in French.
    operator.get_by_role("button", name=f"Ouvrir le signalement de {enseigne}").click(timeout=LIVE)
    descriptors = operator.locator("dl.descriptors")
    expect(descriptors).to_contain_text("Nombre de personnes")
    expect(descriptors).to_contain_text("Capuche")
    expect(descriptors).to_contain_text("Noir, Rouge")
    expect(descriptors).to_contain_text("Sac à dos")
    expect(descriptors).to_contain_text("À gauche en sortant")
    expect(descriptors).to_contain_text("Scooter, moto")
    # The report's own text (its neighbour alert, « Comportement suspect : … », shows too).
    expect(operator.get_by_text(f"Fait le tour des rayons. {canary}", exact=True)).to_be_visible()
    expect(operator.get_by_role("img", name="Photo 1 du signalement")).to_be_visible()
    expect(operator.locator(".incident-meta")).to_contain_text("Gravité : Élevée")
    expect(operator.locator(".incident-meta")).to_contain_text("photos : 1")
    assert audit(operator) == []
    save_screenshot(operator, "console-descripteurs", tmp_path)

    # Sealed: neither the text nor any descriptor slug is in the database.
    for needle in (canary, "sac_a_dos", "capuche", "deux_roues"):
        assert rows_containing(needle) == [], needle

    # Sent: the draft is gone, after a reload too.
    shop.goto("/")
    expect(shop.get_by_role("heading", name="Que se passe-t-il ?")).to_be_visible()
    expect(shop.get_by_role("region", name="Signalement pas encore envoyé")).to_have_count(0)
    shop.get_by_role("button", name="Comportement suspect").tap()
    expect(shop.get_by_label("Ce qui se passe (facultatif)")).to_have_value("")
    expect(colours.get_by_role("button", name="Noir")).to_have_attribute("aria-pressed", "false")


def test_agression_shows_the_17_first(phone: PhoneFactory, demo: Any, tmp_path: Path) -> None:
    shop = merchant_phone(phone, demo)
    shop.get_by_role("button", name="Agression en cours").tap()
    # The emergency's own callout (the off-duty banner, when shown, says « appelez le 17 » too).
    alert = shop.locator(".call17-first[role=alert]")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Appelez le 17")
    call = alert.get_by_role("link", name="Appeler le 17")
    expect(call).to_have_attribute("href", "tel:17")
    # Before anything else: the first thing in the page's content, above the heading.
    first = shop.locator("main section").first.locator(":scope > *").first
    expect(first).to_contain_text("Appelez le 17")
    call_box, title_box = call.bounding_box(), shop.get_by_role("heading", level=1).bounding_box()
    assert call_box is not None and title_box is not None
    assert call_box["y"] < title_box["y"]
    assert call_box["y"] + call_box["height"] <= PHONE_TOUCH["height"]
    expect(shop.get_by_role("heading", level=1)).to_have_text("Agression en cours")
    expect(shop.get_by_role("radio", name="Critique")).to_be_checked()
    assert audit(shop) == []
    save_screenshot(shop, "agression-17", tmp_path)

    # On a 360-px-wide phone nothing scrolls sideways, on this screen or the home.
    shop.set_viewport_size({"width": 360, "height": 740})
    assert shop.evaluate("document.documentElement.scrollWidth") <= 360
    shop.goto("/")
    expect(shop.get_by_role("button", name=VOL)).to_be_visible()
    assert shop.evaluate("document.documentElement.scrollWidth") <= 360
    for box in [b.bounding_box() for b in shop.locator(".alert-button").all()]:
        assert box is not None and box["height"] >= 48 and box["x"] + box["width"] <= 360
    assert audit(shop) == []


def touch_hold(page: Page, selector: str, ms: int, move: float = 0) -> None:
    """One finger on the element's centre for `ms`, through Chromium's real touch input."""
    box = page.locator(selector).bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    if move:  # a swipe starting on the element, the finger then resting
        for step in range(1, 6):
            point = {"x": x, "y": y + move * step / 5}
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
            page.wait_for_timeout(20)
    page.wait_for_timeout(ms)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_the_discreet_gesture_sends_an_agression_report_without_showing_it(
    open_browser: PersonFactory, phone: PhoneFactory, demo: Any, tmp_path: Path
) -> None:
    operator = operator_console(open_browser, demo)
    shop = merchant_phone(phone, demo)
    enseigne = shop_name(demo)

    # A short press (a tap, or a hand passing on the name) sends nothing.
    touch_hold(shop, "h1", 600)
    # Nor does a scroll that starts on the name, even if the finger then rests there.
    touch_hold(shop, "h1", 2300, move=40)
    shop.wait_for_timeout(1000)
    assert Incident.objects.count() == 0
    expect(shop.locator(".discreet-status")).to_have_text("")

    touch_hold(shop, "h1", 2300)
    expect(shop.locator(".discreet-status")).to_have_text("Enregistré.", timeout=LIVE)
    # Nothing conspicuous: the same page, no alert, no red screen, no « envoyé ».
    assert urlparse(shop.url).path == "/"
    expect(shop.get_by_role("heading", level=1)).to_have_text(enseigne)
    expect(shop.get_by_role("alert")).to_have_count(0)
    expect(shop.get_by_text("Signalement envoyé")).to_have_count(0)
    expect(shop.get_by_role("region", name="Votre dernier signalement")).to_have_count(0)
    save_screenshot(shop, "alerte-discrete", tmp_path)

    assert Incident.objects.count() == 1
    assert SealedMessage.objects.count() == 1
    items = api_incidents(operator)
    assert items[0]["category"]["slug"] == "agression"
    operator.get_by_role("button", name=f"Ouvrir le signalement de {enseigne}").click(timeout=LIVE)
    expect(operator.get_by_text("Alerte discrète")).to_be_visible()
    expect(operator.locator(".badge-category")).to_have_text("Agression en cours")


def set_alert_settings(commune: Any, change: Callable[[dict[str, Any]], None]) -> None:
    """The commune's alert settings changed as its coordinator would (one action)."""
    current = alert_settings.for_commune(commune).as_dict()
    change(current)
    alert_settings.change(CLI, commune, current)


def test_the_servers_refusals_are_shown_in_french_with_the_17(
    phone: PhoneFactory, demo: Any, open_browser: PersonFactory
) -> None:
    police = operator_console(open_browser, demo)
    shop = merchant_phone(phone, demo)

    # A category the commune disabled after the home loaded: refused, nothing stored.
    def disable_vol(data: dict[str, Any]) -> None:
        for category in data["categories"]:
            if category["slug"] == "vol":
                category["enabled"] = False

    set_alert_settings(demo.commune, disable_vol)
    shop.get_by_role("button", name=VOL).tap()
    shop.get_by_role("button", name=SEND).tap()
    bar = shop.locator(".send-bar")
    expect(bar.get_by_role("alert")).to_contain_text("Catégorie inconnue")
    expect(bar.get_by_role("alert")).to_contain_text("Rien n'a été enregistré.")
    assert Incident.objects.count() == 0
    assert audit(shop) == []

    # The per-device limit: one report in 10 minutes, the second refused with the time
    # of the next possible alert and the 17.
    def one_report(data: dict[str, Any]) -> None:
        for category in data["categories"]:
            category["enabled"] = True
        data["limits"]["report_device"] = {"count": 1, "minutes": 10}

    set_alert_settings(demo.commune, one_report)
    shop.goto("/")
    shop.get_by_role("button", name="Alarme").tap()
    shop.get_by_role("button", name=SEND).tap()
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()
    shop.get_by_role("link", name="Retour à l'accueil").tap()
    shop.get_by_role("button", name="Dégradation").tap()
    shop.get_by_role("button", name=SEND).tap()
    refusal = bar.get_by_role("alert").first
    expect(refusal).to_contain_text("Limite atteinte")
    expect(refusal).to_contain_text(re.compile(r"Prochain signalement possible à \d\d:\d\d"))
    expect(refusal).to_contain_text("appelez le 17")
    expect(shop.get_by_text("Le signalement n'est pas parti. Appelez le 17.")).to_be_visible()
    expect(bar.get_by_role("link", name="Appeler le 17")).to_have_attribute("href", "tel:17")
    assert Incident.objects.count() == 1
    assert audit(shop) == []
    # Never silent: the open console lists the shop that hit its limit.
    reporter_shop = member(demo, Role.MERCHANT).shop
    assert reporter_shop is not None
    enseigne = reporter_shop.enseigne
    hits = police.get_by_role("region", name="Limites d'alertes atteintes")
    expect(hits).to_contain_text(enseigne, timeout=LIVE)
    expect(hits).to_contain_text("signalements par appareil")
    # Nothing went out: the draft stays on the home.
    shop.goto("/")
    expect(shop.get_by_role("region", name="Signalement pas encore envoyé")).to_contain_text(
        "Dégradation"
    )

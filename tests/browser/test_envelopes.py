"""Sealed envelopes in a real Chromium: a shopkeeper's report with a photo goes out sealed,
the police console opens it, and the sender's browser refuses what a lying key directory
serves (docs/envelope.md, "Key directory").

The directory lies are injected with `page.route` on GET /api/v1/trust/recipients: the
server stays honest, the browser sees a malicious one.
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import re
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.apps import apps
from PIL import ExifTags, Image, ImageDraw
from playwright.sync_api import FilePayload, Page, Route, expect

from maillage.incidents.models import SealedMessage
from maillage.members.models import Membership, Role
from maillage.trust import directory
from maillage.trust import roots as trust_roots
from maillage.wire import chain

from .a11y import audit
from .conftest import DESKTOP, PHONE, PersonFactory, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECIPIENTS = "**/api/v1/trust/recipients*"
GPS_IFD = 0x8825
IMAGE_DESCRIPTION = 0x010E


@pytest.fixture
def demo(settings: Any, app_url: str) -> Any:
    settings.DEMO_MODE = True
    seed = importlib.import_module("maillage.demo.seed")
    return seed.seed_demo()


def member(demo: Any, role: Role) -> Membership:
    return next(m for m in demo.members if m.role == role)


def demo_sign_in(page: Page, who: Membership) -> None:
    page.goto("/demo")
    page.get_by_role("button", name=f"Se connecter en tant que {who.person.display_name}").click()
    heading = who.shop.enseigne if who.shop else f"Bonjour {who.person.display_name}"
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def shows(page: Page, text: str | re.Pattern[str]) -> None:
    expect(page.get_by_text(text)).to_be_visible()


def open_console(page: Page) -> None:
    page.get_by_role("link", name="Ouvrir la console police").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Console police")


def photo_with_gps(canary: str) -> bytes:
    """A 2400×1800 JPEG whose EXIF carries GPS coordinates and the canary."""
    image = Image.new("RGB", (2400, 1800), (40, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle((300, 300, 1500, 1200), fill=(230, 180, 40))
    draw.ellipse((1600, 400, 2200, 1000), fill=(200, 30, 60))
    exif = Image.Exif()
    exif[IMAGE_DESCRIPTION] = canary
    exif[ExifTags.Base.Make] = "CanaryPhone"
    exif[GPS_IFD] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (48.0, 59.0, 24.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (1.0, 43.0, 0.0),
    }
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    data = out.getvalue()
    # The input really carries what must disappear.
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)
    assert canary.encode() in data
    return data


def report(page: Page, text: str, photos: Sequence[bytes] = ()) -> None:
    page.get_by_role("link", name="Signaler un incident").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Signaler un incident")
    page.get_by_label("Ce qui se passe (facultatif)").fill(text)
    if photos:
        page.get_by_label("Ajouter une photo").set_input_files(
            [
                FilePayload(name=f"photo-{i + 1}.jpg", mimeType="image/jpeg", buffer=data)
                for i, data in enumerate(photos)
            ]
        )
    page.get_by_role("button", name="Envoyer le signalement").click()


def image_bytes(page: Page, alt: str) -> bytes:
    """The decrypted photo as the page shows it: its blob: URL fetched inside the page."""
    encoded = page.get_by_role("img", name=alt).evaluate(
        """async (img) => {
            const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
            let binary = "";
            for (let i = 0; i < bytes.length; i += 0x8000)
              binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
            return btoa(binary);
        }"""
    )
    return base64.b64decode(encoded)


def rows_containing(needle: str) -> list[str]:
    """Every database row (all models) whose values mention `needle`."""
    found = []
    for model in apps.get_models():
        for row in model._default_manager.all().values():
            if needle in repr(row):
                found.append(f"{model._meta.label} {row.get('id')}")
    return found


def test_report_with_photo_is_sealed_and_opened_by_the_police_console(
    open_browser: PersonFactory, demo: Any, tmp_path: Path
) -> None:
    canary = f"canari-{uuid.uuid4().hex}"
    merchant = member(demo, Role.MERCHANT)
    assert merchant.shop is not None

    operator = open_browser("operateur", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(operator, member(demo, Role.OPERATOR))
    open_console(operator)
    expect(
        operator.get_by_text("Clé de service créée sur cet appareil (génération 1).")
    ).to_be_visible()
    expect(operator.get_by_text("Aucun signalement pour l'instant.")).to_be_visible()

    shop = open_browser("commercant", viewport=PHONE, passkeys=False).page
    demo_sign_in(shop, merchant)
    shop.get_by_role("link", name="Signaler un incident").click()
    expect(shop.get_by_text("Urgence : en cas d'agression en cours, appelez le 17")).to_be_visible()
    expect(shop.get_by_role("button", name="Envoyer le signalement")).to_be_visible()
    assert audit(shop) == []
    shop.go_back()
    report(
        shop, f"Vol à l'étalage, individu parti vers la gare. {canary}", [photo_with_gps(canary)]
    )
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()
    expect(shop.get_by_text("refusé")).to_have_count(0)
    assert audit(shop) == []
    save_screenshot(shop, "signalement-envoye", tmp_path)

    operator.get_by_role("button", name="Actualiser").click()
    operator.get_by_role(
        "button", name=f"Ouvrir le signalement de {merchant.shop.enseigne}"
    ).click()
    expect(
        operator.get_by_role("heading", name=f"Signalement de {merchant.shop.enseigne}")
    ).to_be_focused()
    expect(operator.get_by_text(canary)).to_be_visible()
    photo = image_bytes(operator, "Photo 1 du signalement")
    assert audit(operator) == []
    save_screenshot(operator, "console-signalement", tmp_path)

    decoded = Image.open(io.BytesIO(photo))
    decoded.load()
    assert decoded.format == "JPEG"
    assert max(decoded.size) <= 1600
    assert decoded.size == (1600, 1200)
    assert len(decoded.getexif()) == 0
    assert not decoded.getexif().get_ifd(GPS_IFD)
    assert "exif" not in decoded.info
    assert canary.encode() not in photo and b"CanaryPhone" not in photo

    assert rows_containing(canary) == []


# --- the sender's checks against a lying directory ---------------------------------------


def next_list_with(commune: Any, serial: str, device: str) -> dict[str, Any]:
    """Revocation list n + 1, really signed by the demo root, adding one entry; as served."""
    latest = directory.latest_revocation_list(commune)
    previous = chain.RevocationList.from_json(json.loads(latest.body))
    now = int(time.time())
    newer = chain.issue_revocation_list(
        trust_roots.demo_root_key(commune),
        commune=str(commune.public_id),
        number=latest.number + 1,
        issued_at=now,
        entries=[
            *previous.entries,
            chain.RevocationEntry(serial=serial, device=device, reason="revoked", at=now),
        ],
    )
    return {"number": latest.number + 1, **newer.to_wire(), "chain": []}


def rewrite_directory(page: Page, change: Callable[[dict[str, Any]], None]) -> None:
    """Serve the real directory, changed by `change`, for the next requests."""

    def handler(route: Route) -> None:
        response = route.fetch()
        data = response.json()
        change(data)
        route.fulfill(response=response, json=data)

    page.unroute(RECIPIENTS)
    page.route(RECIPIENTS, handler)


def leaf_of(entry: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(entry["chain"][0]["body"]))


def raw_b64(key: X25519PrivateKey | Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return chain.b64url_encode(raw)


def latest_header(shop_public_id: Any) -> dict[str, Any]:
    sealed = apps.get_model("incidents", "SealedMessage")
    message = (
        sealed.objects.filter(incident__shop__public_id=shop_public_id).order_by("-pk").first()
    )
    assert message is not None, "aucun message enregistré"
    return dict(json.loads(message.header))


def test_sender_refuses_what_a_lying_directory_serves(
    open_browser: PersonFactory, demo: Any, tmp_path: Path
) -> None:
    merchant = member(demo, Role.MERCHANT)
    assert merchant.shop is not None
    commune = demo.commune

    operator = open_browser("operateur", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(operator, member(demo, Role.OPERATOR))
    open_console(operator)
    expect(
        operator.get_by_text("Clé de service créée sur cet appareil (génération 1).")
    ).to_be_visible()
    operator_device = str(
        member(demo, Role.OPERATOR).devices.order_by("-pk").values_list("public_id", flat=True)[0]
    )

    shop = open_browser("commercant", viewport=PHONE, passkeys=False).page
    demo_sign_in(shop, merchant)

    # (1) The operator's certificate with another encryption key, signature kept.
    attacker = X25519PrivateKey.generate()

    def substitute_key(data: dict[str, Any]) -> None:
        for entry in data["devices"]:
            leaf = leaf_of(entry)
            if leaf["device"] == operator_device:
                leaf["enc_key"] = raw_b64(attacker)
                entry["chain"][0]["body"] = chain.canonical_json(leaf).decode()
                return
        raise AssertionError("l'appareil de l'opérateur n'est pas dans l'annuaire")

    rewrite_directory(shop, substitute_key)
    text = f"Clé substituée {uuid.uuid4().hex}"
    report(shop, text)
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()
    warning = shop.get_by_role("alert").filter(has_text="appareil(s) refusé(s)")
    expect(warning).to_contain_text("Attention : 1 appareil(s) refusé(s)")
    expect(warning).to_contain_text("La signature de ce document est invalide.")
    assert audit(shop) == []
    save_screenshot(shop, "destinataire-refuse", tmp_path)
    header = latest_header(merchant.shop.public_id)
    named = {(r["kind"], r["id"]) for r in header["recipients"]}
    keys = {r["key"] for r in header["recipients"]}
    assert ("device", operator_device) not in named
    assert raw_b64(attacker) not in keys
    assert ("service", "police:1") in named
    # The operator still reads it, through the police service key.
    operator.get_by_role("button", name="Actualiser").click()
    operator.get_by_role(
        "button", name=f"Ouvrir le signalement de {merchant.shop.enseigne}"
    ).click()
    expect(operator.get_by_text(text)).to_be_visible()
    expect(operator.get_by_text("Ouvert avec la clé de service de la police.")).to_be_visible()
    operator.get_by_role("button", name="Fermer le signalement").click()
    expect(
        operator.get_by_role("button", name=f"Ouvrir le signalement de {merchant.shop.enseigne}")
    ).to_be_focused()

    # (2) An extra "operator" device certified by a root that is not the commune's.
    now = int(time.time())
    impostor_root = Ed25519PrivateKey.generate()
    impostor_device = str(uuid.uuid4())
    impostor = chain.issue_certificate(
        impostor_root,
        commune=str(commune.public_id),
        device=impostor_device,
        member=str(uuid.uuid4()),
        role="operateur",
        shop=None,
        enc_key=raw_b64(X25519PrivateKey.generate()),
        sign_key=raw_b64(Ed25519PrivateKey.generate()),
        may_certify=False,
        issued_at=now - 60,
        expires_at=now + 3600,
    )

    def add_impostor(data: dict[str, Any]) -> None:
        data["devices"].append({"device": impostor_device, "chain": [impostor.to_wire()]})

    shop.get_by_role("button", name="Faire un autre signalement").click()
    rewrite_directory(shop, add_impostor)
    shop.get_by_label("Ce qui se passe (facultatif)").fill("Deuxième signalement")
    shop.get_by_role("button", name="Envoyer le signalement").click()
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()
    warning = shop.get_by_role("alert").filter(has_text="appareil(s) refusé(s)")
    expect(warning).to_contain_text("Attention : 1 appareil(s) refusé(s)")
    expect(warning).to_contain_text(
        "La chaîne de certificats ne remonte pas à la clé racine de la commune."
    )
    header = latest_header(merchant.shop.public_id)
    assert impostor_device not in {r["id"] for r in header["recipients"]}
    assert operator_device in {r["id"] for r in header["recipients"]}

    # (3) A rolled-back revocation list: the browser first verifies list n + 1 (signed by
    # the demo root), then the server serves list n again.
    newer = next_list_with(commune, str(uuid.uuid4()), str(uuid.uuid4()))

    def serve_newer(data: dict[str, Any]) -> None:
        data["revocations"] = newer

    shop.get_by_role("button", name="Faire un autre signalement").click()
    rewrite_directory(shop, serve_newer)
    shop.get_by_role("button", name="Envoyer le signalement").click()
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()

    before = SealedMessage.objects.count()
    shop.get_by_role("button", name="Faire un autre signalement").click()
    shop.unroute(RECIPIENTS)  # the real, older list again
    shop.get_by_label("Ce qui se passe (facultatif)").fill("Après un retour en arrière")
    shop.get_by_role("button", name="Envoyer le signalement").click()
    expect(
        shop.get_by_role("alert").filter(has_text="La liste de révocation reçue")
    ).to_contain_text(
        "La liste de révocation reçue est plus ancienne que la dernière liste vérifiée."
    )
    expect(shop.get_by_text("Le signalement n'est pas parti. Appelez le 17.")).to_be_visible()
    expect(shop.get_by_role("link", name="Appeler le 17").last).to_have_attribute("href", "tel:17")
    assert SealedMessage.objects.count() == before
    assert audit(shop) == []
    save_screenshot(shop, "liste-perimee", tmp_path)


def test_a_new_operator_device_reads_history_once_granted_the_service_key(
    open_browser: PersonFactory, demo: Any, tmp_path: Path
) -> None:
    merchant = member(demo, Role.MERCHANT)
    assert merchant.shop is not None
    open_report = f"Ouvrir le signalement de {merchant.shop.enseigne}"

    first = open_browser("operateur-1", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(first, member(demo, Role.OPERATOR))
    open_console(first)
    shows(first, "Clé de service créée sur cet appareil (génération 1).")

    shop = open_browser("commercant", viewport=PHONE, passkeys=False).page
    demo_sign_in(shop, merchant)
    text = f"Avant l'arrivée du nouvel appareil {uuid.uuid4().hex}"
    report(shop, text)
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()

    # A device approved afterwards: not a recipient, and no service key yet.
    second = open_browser("operateur-2", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(second, member(demo, Role.OPERATOR))
    open_console(second)
    shows(second, "Cet appareil attend la clé de service (génération 1)")
    second.get_by_role("button", name=open_report).click()
    expect(second.get_by_role("main")).to_contain_text(
        "Ce message ne peut pas être affiché. Ce message n'a pas été chiffré pour cet appareil."
    )
    expect(second.get_by_text(text)).to_have_count(0)
    assert audit(second) == []

    # The holder opens its console: it checks the newcomer's chain and wraps the key for it.
    first.reload()
    shows(first, "Cet appareil détient la clé de service (génération 1).")
    shows(first, re.compile(r"Clé transmise à \d+ nouvel\(s\) appareil"))

    # Still on the report's own address (/incidents/<id>): reloading opens it again.
    assert "/incidents/" in second.url
    second.reload()
    shows(second, "Cet appareil détient la clé de service (génération 1).")
    expect(
        second.get_by_role("heading", name=f"Signalement de {merchant.shop.enseigne}")
    ).to_be_focused()
    expect(second.get_by_text(text)).to_be_visible()
    expect(second.get_by_text("Ouvert avec la clé de service de la police.")).to_be_visible()
    save_screenshot(second, "console-historique", tmp_path)


def test_a_device_whose_approval_was_withdrawn_is_told_before_sending(
    open_browser: PersonFactory, demo: Any
) -> None:
    """Openers would refuse its signature: the shop hears it now, with the 17, instead of
    « envoyé » and a report nobody can read."""
    commune = demo.commune
    operator = open_browser("operateur", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(operator, member(demo, Role.OPERATOR))
    open_console(operator)
    shows(operator, "Clé de service créée sur cet appareil (génération 1).")

    merchant = member(demo, Role.MERCHANT)
    shop = open_browser("commercant", viewport=PHONE, passkeys=False).page
    demo_sign_in(shop, merchant)
    own = merchant.devices.order_by("-created_at").first()
    assert own is not None
    certificate = directory.current_certificate(own)
    assert certificate is not None

    # A newer list, really signed by the (demo) root, withdraws this very device.
    withdrawing = next_list_with(commune, certificate.serial, str(own.public_id))

    def serve_withdrawing(data: dict[str, Any]) -> None:
        data["revocations"] = withdrawing

    rewrite_directory(shop, serve_withdrawing)
    before = SealedMessage.objects.count()
    report(shop, "Vol en cours au rayon boissons")
    expect(
        shop.get_by_role("alert").filter(has_text="La validation de cet appareil")
    ).to_contain_text("La validation de cet appareil a été retirée")
    expect(shop.get_by_text("Le signalement n'est pas parti. Appelez le 17.")).to_be_visible()
    assert SealedMessage.objects.count() == before


def test_the_browser_revalidates_the_key_directory_by_itself(
    open_browser: PersonFactory, demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No code of ours keeps the directory: the server's ETag and `Cache-Control:
    private, no-cache` make Chromium's HTTP cache keep it and ask with If-None-Match, and
    a 304 reaches the page as the kept 200 (the second report goes out sealed to it)."""
    merchant = member(demo, Role.MERCHANT)
    operator = open_browser("operateur", viewport=DESKTOP, passkeys=False).page
    demo_sign_in(operator, member(demo, Role.OPERATOR))
    open_console(operator)
    expect(
        operator.get_by_text("Clé de service créée sur cet appareil (génération 1).")
    ).to_be_visible()

    # What the server saw (the live server runs in this process): each request's
    # If-None-Match and whether it matched.
    trust_api = importlib.import_module("maillage.trust.api")
    seen: list[tuple[str | None, bool]] = []
    matches = trust_api._matches

    def spy(if_none_match: str | None, etag: str) -> bool:
        seen.append((if_none_match, matches(if_none_match, etag)))
        return bool(seen[-1][1])

    monkeypatch.setattr(trust_api, "_matches", spy)

    shop = open_browser("commercant", viewport=PHONE, passkeys=False).page
    demo_sign_in(shop, merchant)
    answers: list[tuple[int, str | None]] = []
    shop.on(
        "response",
        lambda response: (
            answers.append((response.status, response.request.headers.get("if-none-match")))
            if "/api/v1/trust/recipients" in response.url
            else None
        ),
    )
    report(shop, "Premier signalement")
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()
    shop.get_by_role("button", name="Faire un autre signalement").click()
    shop.get_by_label("Ce qui se passe (facultatif)").fill("Deuxième signalement")
    shop.get_by_role("button", name="Envoyer le signalement").click()
    expect(shop.get_by_role("heading", name="Signalement envoyé à")).to_be_visible()

    # The server answered the second fetch 304; the page (and Playwright) saw the kept 200.
    assert [matched for _, matched in seen] == [False, True], (seen, answers)
    assert seen[0][0] is None and seen[1][0] is not None
    assert [status for status, _ in answers] == [200, 200]
    first, second = (json.loads(m.header) for m in SealedMessage.objects.order_by("pk"))
    assert {r["id"] for r in first["recipients"]} == {r["id"] for r in second["recipients"]}

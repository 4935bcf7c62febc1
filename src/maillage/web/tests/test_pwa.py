"""The installable app as the server serves it: the manifest Chromium installs from, real
icons of the sizes it declares, and the service worker at the root with its cache list."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from maillage.web import icons, pwa

pytestmark = pytest.mark.django_db

BUNDLE = "(()=>{self.addEventListener('fetch',()=>{})})();\n"


def fake_build(root: Path, entry: str = "main-AAAA.js", bundle: str = BUNDLE) -> Path:
    """A build as `vite build` leaves it: its manifest (lazy chunk, css, asset) and sw.js."""
    (root / ".vite").mkdir(parents=True, exist_ok=True)
    manifest = {
        "src/main.tsx": {
            "file": f"assets/{entry}",
            "isEntry": True,
            "css": ["assets/main-BBBB.css"],
            "dynamicImports": ["src/police/leafletMap.ts"],
        },
        "src/police/leafletMap.ts": {
            "file": "assets/leafletMap-CCCC.js",
            "css": ["assets/leafletMap-DDDD.css"],
            "assets": ["assets/marker-EEEE.png"],
        },
    }
    (root / ".vite" / "manifest.json").write_text(json.dumps(manifest))
    (root / "sw.js").write_text(bundle)
    return root


def worker_config(source: str) -> dict[str, Any]:
    first, _, _ = source.partition("\n")
    match = re.fullmatch(r"self\.__MAILLAGE_SW__ = (\{.*\});", first)
    assert match, first
    return dict(json.loads(match.group(1)))


def test_the_manifest_names_the_app_in_french_and_opens_standalone() -> None:
    response = Client().get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    assert response["Cache-Control"] == "no-cache"
    manifest = json.loads(response.content.decode("utf-8"))
    assert manifest["name"] == "Maillage – alertes commerçants"
    assert manifest["short_name"] == "Maillage"
    assert manifest["lang"] == "fr"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#1d3557"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    assert manifest["scope"] == "/" and manifest["id"] == "/"
    # One start URL for every role: the app sends each to its workspace (pwa/launch.ts).
    assert manifest["start_url"] == "/?source=pwa"


def test_the_start_url_opens_the_shell_page() -> None:
    response = Client().get(pwa.START_URL)
    assert response.status_code == 200
    assert '<link rel="manifest" href="/manifest.webmanifest">' in response.content.decode()


def test_every_declared_icon_is_a_real_png_of_its_size() -> None:
    declared = json.loads(Client().get("/manifest.webmanifest").content)["icons"]
    sizes = {(icon["sizes"], icon["purpose"]) for icon in declared}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in declared:
        response = Client().get(icon["src"])
        assert response.status_code == 200, icon["src"]
        assert response["Content-Type"] == "image/png"
        image = Image.open(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
        assert image.format == "PNG"
        width, height = (int(n) for n in icon["sizes"].split("x"))
        assert image.size == (width, height), icon["src"]
        corner = image.convert("RGBA").getpixel((0, 0))
        assert isinstance(corner, tuple)
        if icon["purpose"] == "maskable":
            # Full bleed: whatever shape the platform cuts, no transparent edge shows.
            assert corner == icons.BRAND, icon["src"]
        else:
            assert corner[3] == 0, icon["src"]  # a rounded tile on a transparent square


def test_the_shell_page_links_manifest_and_home_screen_icon() -> None:
    html = Client().get("/").content.decode()
    assert '<meta name="theme-color" content="#1d3557">' in html
    touch = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', html)
    assert touch is not None
    response = Client().get(touch.group(1))
    assert response.status_code == 200
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    assert image.size == (180, 180)


def test_the_worker_is_served_at_the_root_with_its_cache_list(
    settings: Any, tmp_path: Path
) -> None:
    settings.FRONTEND_DIST = fake_build(tmp_path)
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    assert "Service-Worker-Allowed" not in response  # its own folder is "/": not needed
    # The worker's own policy governs its fetches: the same strict one as every page.
    assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    source = response.content.decode()
    assert source.endswith(BUNDLE)
    config = worker_config(source)
    assert config["shell"] == "/"
    assert set(config["precache"]) == {
        "/",
        "/manifest.webmanifest",
        *(f"/static/web/icons/{icon.name}" for icon in (*icons.ICONS, icons.APPLE_TOUCH_ICON)),
        "/static/assets/main-AAAA.js",
        "/static/assets/main-BBBB.css",
        "/static/assets/leafletMap-CCCC.js",
        "/static/assets/leafletMap-DDDD.css",
        "/static/assets/marker-EEEE.png",
    }
    assert not any(url.startswith("/api") for url in config["precache"])


def test_a_new_build_is_a_new_worker_version(settings: Any, tmp_path: Path) -> None:
    settings.FRONTEND_DIST = fake_build(tmp_path / "one")
    first = worker_config(Client().get("/sw.js").content.decode())
    assert first == worker_config(Client().get("/sw.js").content.decode())
    settings.FRONTEND_DIST = fake_build(tmp_path / "two", entry="main-ZZZZ.js")
    second = worker_config(Client().get("/sw.js").content.decode())
    assert second["version"] != first["version"]
    settings.FRONTEND_DIST = fake_build(tmp_path / "three", bundle=BUNDLE + "//\n")
    third = worker_config(Client().get("/sw.js").content.decode())
    assert third["version"] not in (first["version"], second["version"])
    settings.DEMO_MODE = not settings.DEMO_MODE  # the shell page shows the demo banner
    assert worker_config(Client().get("/sw.js").content.decode())["version"] != third["version"]


def test_no_build_no_worker_and_a_structured_refusal(settings: Any, tmp_path: Path) -> None:
    settings.FRONTEND_DIST = tmp_path
    response = Client().get("/sw.js")
    assert response.status_code == 404
    assert response.json()["code"] == "not_built"

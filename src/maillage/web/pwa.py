"""The installable app: its web app manifest and the service worker served at the root.

The worker is built by Vite (frontend/src/sw/sw.ts → dist/sw.js, one classic script) and
served at /sw.js so that its scope is the whole origin. What it must cache is only known
here, after the build: the shell page and the hashed files Vite's manifest lists. This
module writes that list, with a version derived from everything in it, as the worker's
first line; a new build or a changed shell page therefore changes the worker's bytes, the
browser installs the new worker, and the new worker drops the old cache (docs/decisions.md,
« Installable app (PWA) »).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.templatetags.static import static

from maillage.web.icons import APPLE_TOUCH_ICON, ICONS
from maillage.web.vite import build_files, entry_assets

NAME = "Maillage – alertes commerçants"
SHORT_NAME = "Maillage"
THEME_COLOR = "#1d3557"
BACKGROUND_COLOR = "#ffffff"
MANIFEST_URL = "/manifest.webmanifest"
WORKER_URL = "/sw.js"
# The installed app opens on the home page, which sends each role to its own workspace
# (frontend/src/pwa/launch.ts); the marker tells a launch from a visit.
START_URL = "/?source=pwa"
SHELL_URL = "/"
WORKER_BUNDLE = "sw.js"


def shell_context() -> dict[str, Any]:
    """What the shell page shows; the worker's version covers it, so both read it here."""
    return {
        "assets": entry_assets(),
        "demo_mode": settings.DEMO_MODE,
        "manifest_url": MANIFEST_URL,
        "theme_color": THEME_COLOR,
        "apple_touch_icon": APPLE_TOUCH_ICON.static_path,
    }


def web_manifest() -> dict[str, Any]:
    return {
        "id": "/",
        "name": NAME,
        "short_name": SHORT_NAME,
        "description": (
            "Le réseau d'alerte des commerçants et de la police municipale, "
            "chiffré de bout en bout."
        ),
        "lang": "fr",
        "dir": "ltr",
        "start_url": START_URL,
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [
            {
                "src": static(icon.static_path),
                "sizes": f"{icon.size}x{icon.size}",
                "type": "image/png",
                "purpose": icon.purpose,
            }
            for icon in ICONS
        ],
    }


def precache_urls() -> list[str]:
    """The shell, the manifest and its icons, and every file of the current Vite build."""
    icons = [static(icon.static_path) for icon in (*ICONS, APPLE_TOUCH_ICON)]
    return [SHELL_URL, MANIFEST_URL, *icons, *(static(name) for name in build_files())]


def service_worker() -> str | None:
    """The built worker preceded by its configuration; None before `npm run build`."""
    bundle = Path(settings.FRONTEND_DIST) / WORKER_BUNDLE
    if not bundle.is_file():
        return None
    code = bundle.read_text(encoding="utf-8")
    urls = precache_urls()
    digest = hashlib.sha256()
    for part in (
        code,
        render_to_string("web/app.html", shell_context()),
        json.dumps(web_manifest(), sort_keys=True),
        *urls,
    ):
        digest.update(part.encode())
        digest.update(b"\0")
    config = {"version": digest.hexdigest()[:16], "shell": SHELL_URL, "precache": urls}
    # ASCII-only JSON is a JavaScript expression as it stands.
    return f"self.__MAILLAGE_SW__ = {json.dumps(config)};\n{code}"

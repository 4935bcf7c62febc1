"""Finds the hashed bundle names Vite wrote, so the shell page links the current build."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings

ENTRY = "src/main.tsx"


@lru_cache(maxsize=1)
def _manifest(path: Path) -> dict:
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def _current() -> dict:
    if settings.DEBUG:
        _manifest.cache_clear()
    return _manifest(Path(settings.FRONTEND_DIST) / ".vite" / "manifest.json")


def entry_assets() -> dict[str, list[str]]:
    chunk = _current().get(ENTRY)
    if not chunk:
        return {"scripts": [], "styles": []}
    return {"scripts": [chunk["file"]], "styles": list(chunk.get("css", []))}


def build_files() -> list[str]:
    """Every script, style sheet and asset of the build (lazy chunks too), for the worker's
    offline copy; source maps are not listed by Vite and are not needed offline."""
    files: set[str] = set()
    for chunk in _current().values():
        files.add(chunk["file"])
        files.update(chunk.get("css", []))
        files.update(chunk.get("assets", []))
    return sorted(files)

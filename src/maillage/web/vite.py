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


def entry_assets() -> dict[str, list[str]]:
    manifest_path = Path(settings.FRONTEND_DIST) / ".vite" / "manifest.json"
    if settings.DEBUG:
        _manifest.cache_clear()
    chunk = _manifest(manifest_path).get(ENTRY)
    if not chunk:
        return {"scripts": [], "styles": []}
    return {"scripts": [chunk["file"]], "styles": list(chunk.get("css", []))}

"""Settings read from the environment, each with a documented default (docs/configuration.md)."""

from __future__ import annotations

import os
import re
from pathlib import Path


class ImproperlyConfiguredError(RuntimeError):
    pass


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on", "oui"}:
        return True
    if value in {"0", "false", "no", "off", "non"}:
        return False
    raise ImproperlyConfiguredError(f"{name} doit valoir true ou false, pas {raw!r}")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfiguredError(f"{name} doit être un entier, pas {raw!r}") from None


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def envsecret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/systemd credentials)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def envrate(name: str, default: str) -> tuple[int, int]:
    """A rate limit "COUNT/SECONDS" ("20/300": 20 requests per 5 minutes; "0/60": no limit)."""
    raw = (os.environ.get(name) or default).strip()
    count, _, seconds = raw.partition("/")
    try:
        parsed = int(count), int(seconds)
    except ValueError:
        parsed = (-1, -1)
    if parsed[0] < 0 or parsed[1] <= 0:
        raise ImproperlyConfiguredError(
            f"{name} doit valoir NOMBRE/SECONDES (par exemple 20/300), pas {raw!r}"
        )
    return parsed


_TILE_URL = re.compile(r"^https?://(?:\{s\}\.)?[A-Za-z0-9.-]+(?::[0-9]{1,5})?/[^\s\"';]*$")


def envtiles(name: str) -> tuple[str, str]:
    """A map tile URL template ("https://{s}.tile.example.org/{z}/{x}/{y}.png") and the
    Content-Security-Policy source its images come from; ("", "") when unset."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return "", ""
    if not _TILE_URL.match(raw):
        raise ImproperlyConfiguredError(
            f"{name} doit être une adresse http(s) de tuiles, par exemple "
            f"https://tuiles.exemple.fr/{{z}}/{{x}}/{{y}}.png, pas {raw!r}"
        )
    scheme, _, rest = raw.partition("://")
    host = rest.split("/", 1)[0].replace("{s}.", "*.")
    return raw, f"{scheme}://{host}"

"""The console map's tile server: one setting, checked at start, told to the app by /meta,
and the only foreign origin the policy lets images come from."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from maillage.env import ImproperlyConfiguredError, envtiles


def test_no_tile_server_means_a_plain_background(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAILLAGE_MAP_TILE_URL", raising=False)
    assert envtiles("MAILLAGE_MAP_TILE_URL") == ("", "")


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://tuiles.exemple.fr/{z}/{x}/{y}.png", "https://tuiles.exemple.fr"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("http://localhost:8080/tiles/{z}/{x}/{y}.png", "http://localhost:8080"),
    ],
)
def test_a_tile_template_gives_its_image_source(
    monkeypatch: pytest.MonkeyPatch, url: str, source: str
) -> None:
    monkeypatch.setenv("MAILLAGE_MAP_TILE_URL", url)
    assert envtiles("MAILLAGE_MAP_TILE_URL") == (url, source)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "//tiles.example.org/{z}/{x}/{y}.png",
        "https://tiles.example.org/{z}/{x}/{y}.png; script-src *",
        "https://*/{z}/{x}/{y}.png",
        "https://a.example.org {z}",
    ],
)
def test_anything_else_refuses_to_start(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("MAILLAGE_MAP_TILE_URL", url)
    with pytest.raises(ImproperlyConfiguredError, match="MAILLAGE_MAP_TILE_URL"):
        envtiles("MAILLAGE_MAP_TILE_URL")


@pytest.mark.django_db
def test_meta_tells_the_app_the_tile_source(settings: Any) -> None:
    settings.MAP_TILE_URL = "https://tuiles.exemple.fr/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© contributeurs OpenStreetMap"
    body = Client().get("/api/v1/meta").json()
    assert body["map"] == {
        "tile_url": "https://tuiles.exemple.fr/{z}/{x}/{y}.png",
        "attribution": "© contributeurs OpenStreetMap",
    }


@pytest.mark.django_db
def test_the_default_policy_allows_no_foreign_image() -> None:
    policy = Client().get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob:;" in policy

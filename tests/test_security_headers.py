"""Every response carries the strict Content-Security-Policy; the pages it covers hold no
inline script or style, and the API docs load Swagger UI from our own static files."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

REQUIRED = [
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    # The installable app: its manifest and service worker from our origin only.
    "manifest-src 'self'",
    "worker-src 'self'",
]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/rejoindre",
        "/api/v1/docs",
        "/api/v1/openapi.json",
        "/api/v1/nope",
        "/manifest.webmanifest",
        "/sw.js",
    ],
)
def test_every_response_carries_the_policy(path: str) -> None:
    response = Client().get(path)
    policy = response["Content-Security-Policy"]
    for directive in REQUIRED:
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.parametrize("path", ["/", "/api/v1/docs"])
def test_html_pages_have_no_inline_script_style_or_foreign_origin(path: str) -> None:
    html = Client().get(path).content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "ressource d'une autre origine"

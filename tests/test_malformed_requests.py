"""Hand-made probes of hostile request shapes: each gets a structured 4xx, never a 500.

Run with DEBUG on and off, since Django and ninja answer differently in each (debug pages,
tracebacks). NUL characters matter on PostgreSQL, which refuses them where SQLite stores
them: the same probes run on both databases.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from maillage.members.models import Invitation, Person, Role
from maillage.members.tests import factory

pytestmark = pytest.mark.django_db

ANONYMOUS_UNSAFE = [
    "/api/v1/auth/passkey/options",
    "/api/v1/auth/passkey/verify",
    "/api/v1/enrolment/open",
    "/api/v1/enrolment/passkey-options",
    "/api/v1/enrolment/complete",
    "/api/v1/demo/login",
    "/api/v1/session/logout",
    "/api/v1/invitations",
    "/api/v1/incidents",
    "/api/v1/territory/import",
]


@pytest.fixture(params=[True, False], ids=["debug", "production-like"])
def debug(request: pytest.FixtureRequest, settings: Any) -> bool:
    settings.DEBUG = request.param
    return bool(request.param)


def csrf_client() -> tuple[Client, dict[str, str]]:
    client = Client(raise_request_exception=False)
    client.get("/api/v1/session")
    return client, {"HTTP_X_CSRFTOKEN": client.cookies["maillage_csrf"].value}


def assert_structured(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"code", "message", "field"}
    assert body["message"] and "Traceback" not in body["message"]
    if code is not None:
        assert body["code"] == code
    return dict(body)


@pytest.mark.parametrize("path", ANONYMOUS_UNSAFE)
@pytest.mark.parametrize("with_csrf", [True, False], ids=["csrf", "no-csrf"])
def test_multipart_without_boundary(debug: bool, path: str, with_csrf: bool) -> None:
    client, headers = csrf_client()
    response = client.post(
        path,
        data=b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--x--\r\n",
        content_type="multipart/form-data",
        **(headers if with_csrf else {}),
    )
    body = assert_structured(response, 400, "unreadable_form")
    assert "boundary" in body["message"]


@pytest.mark.parametrize("path", ANONYMOUS_UNSAFE)
def test_multipart_on_json_endpoints_and_broken_multipart(debug: bool, path: str) -> None:
    client, headers = csrf_client()
    response = client.post(
        path, data=b"garbage", content_type="multipart/form-data; boundary=zz", **headers
    )
    assert response.status_code < 500
    if response.status_code >= 400:  # options endpoints read no body and answer 200
        assert_structured(response, response.status_code)


def test_a_body_over_the_limit_is_refused_on_its_declared_length(debug: bool) -> None:
    client, headers = csrf_client()
    response = client.post(
        "/api/v1/enrolment/open",
        data=b'{"token": "x"}',
        content_type="application/json",
        CONTENT_LENGTH=str(300 * 1024 * 1024),
        **headers,
    )
    body = assert_structured(response, 413, "too_large")
    assert "Mo" in body["message"]


def test_a_real_body_over_the_limit(debug: bool) -> None:
    client, headers = csrf_client()
    response = client.post(
        "/api/v1/enrolment/open",
        data='{"token": "' + "a" * 3_000_000 + '"}',
        content_type="application/json",
        **headers,
    )
    assert_structured(response, 413, "too_large")


@pytest.mark.parametrize(
    "body",
    ['{"token":', "[1, 2", '{"token": "a"', "\xff\xfe", "nul\x00", '"' + "\\ud800" + '"'],
    ids=["truncated", "open-list", "open-object", "not-utf8", "raw-nul", "lone-surrogate"],
)
def test_unparseable_json(debug: bool, body: str) -> None:
    client, headers = csrf_client()
    response = client.post(
        "/api/v1/enrolment/open",
        data=body.encode("utf-8", "surrogatepass"),
        content_type="application/json",
        **headers,
    )
    assert 400 <= response.status_code < 500
    assert_structured(response, response.status_code)


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json(debug: bool, depth: int) -> None:
    client, headers = csrf_client()
    response = client.post(
        "/api/v1/auth/passkey/verify",
        data='{"credential": ' + "[" * depth + "]" * depth + "}",
        content_type="application/json",
        **headers,
    )
    assert_structured(response, 422, "too_deep")


def test_nul_in_json_anywhere_is_refused_before_any_query(debug: bool) -> None:
    client, headers = csrf_client()
    for body in (
        '{"token": "abc\\u0000def"}',
        '{"credential": {"id\\u0000": 1}}',
        '{"credential": {"id": ["\\u0000"]}}',
    ):
        response = client.post(
            "/api/v1/enrolment/open", data=body, content_type="application/json", **headers
        )
        assert_structured(response, 422, "control_character")


def test_nul_in_query_path_and_cookies(debug: bool) -> None:
    client = Client(raise_request_exception=False)
    assert_structured(client.get("/api/v1/territory/shops?sector=%00"), 400, "control_character")
    assert_structured(client.get("/api/v1/territory/shops/%00"), 400, "control_character")
    client.cookies["maillage_session"] = "abc\x00def"
    assert_structured(client.get("/api/v1/session"), 400, "control_character")


def test_nul_in_a_signed_in_members_request_stores_nothing(debug: bool) -> None:
    commune = factory.make_commune()
    coordinator = factory.make_member(Role.COORDINATOR, commune)
    client = coordinator.client(raise_request_exception=False)
    client.get("/api/v1/session")
    headers = {"HTTP_X_CSRFTOKEN": client.cookies["maillage_csrf"].value}
    people, invitations = Person.objects.count(), Invitation.objects.count()
    response = client.post(
        "/api/v1/invitations",
        data={"role": Role.OPERATOR, "display_name": "Jean\u0000 Dupont"},
        content_type="application/json",
        **headers,
    )
    assert_structured(response, 422, "control_character")
    assert Invitation.objects.count() == invitations
    assert Person.objects.count() == people


def test_unknown_api_paths_and_wrong_methods(debug: bool) -> None:
    client = Client(raise_request_exception=False)
    assert_structured(client.get("/api/v1/nope"), 404, "not_found")
    assert_structured(client.get("/api/v2/session"), 404, "not_found")
    assert_structured(client.post("/api/v1/nope/deeper"), 404, "not_found")
    response = client.put("/api/v1/session")
    assert_structured(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_pages_keep_html_outside_the_api(debug: bool) -> None:
    response = Client().get("/une/page/quelconque")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_a_bad_content_length_header(debug: bool) -> None:
    client, headers = csrf_client()
    response = client.post(
        "/api/v1/enrolment/open",
        data=b"{}",
        content_type="application/json",
        CONTENT_LENGTH="douze",
        **headers,
    )
    assert_structured(response, 400, "bad_length")

"""Presence and the partner's stream against the real ASGI stream: an operator's open stream
makes the police reachable, in this process and, on PostgreSQL, as another server process
answers; the partner's stream carries only the reports sealed to its device."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection

from maillage.duty import presence
from maillage.incidents.tests.helpers import Draft, post_report
from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.tests.live import SseClient, live_db, serve
from maillage.stream.tests.test_stream_live import key, publish
from maillage.testing.servers import ServerProcess, server_processes, server_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_db")]

__all__ = ["live_db"]  # the fixture


def eventually(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} : toujours faux après {timeout} s")


@pytest.fixture
def server(settings: Any) -> Iterator[str]:
    settings.STREAM_HEARTBEAT_SECONDS = 0.3
    settings.STREAM_POLL_SECONDS = 30.0
    with serve() as base:
        yield base


def test_an_operators_open_stream_is_presence_until_it_closes(server: str, commune: Any) -> None:
    operator = factory.make_member(Role.OPERATOR, commune)
    merchant = factory.make_member(Role.MERCHANT, commune)
    listener = SseClient(server, key(merchant))
    try:
        assert listener.status == 200
        time.sleep(0.5)
        assert not presence.operators_connected(commune), "un commerçant ne compte pas"
    finally:
        listener.close()
    stream = SseClient(server, key(operator))
    try:
        assert stream.status == 200
        eventually(lambda: presence.operators_connected(commune), "opérateur connecté")
    finally:
        stream.close()
    eventually(lambda: not presence.operators_connected(commune), "opérateur parti")


def test_the_partners_stream_carries_only_the_reports_sealed_to_it(
    server: str, commune: Any, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    merchant = factory.make_member(Role.MERCHANT, commune)
    operator = factory.make_member(Role.OPERATOR, commune)
    partner = factory.make_member(Role.PARTNER, commune)
    stream = SseClient(server, key(partner))
    try:
        client = merchant.client()
        police_only = Draft(merchant, readers=[operator.device])
        assert post_report(client, police_only).status_code == 201
        fallback = Draft(merchant, readers=[operator.device, partner.device])
        assert post_report(client, fallback).status_code == 201
        publish(commune, "Fin de l'essai.")
        seen = stream.until("charter.published")
        reported = [e for e in seen if e.event == "incident.reported"]
        assert [e.data["target_id"] for e in reported] == [fallback.incident]
        assert reported[0].data["sealed"]["id"] == fallback.message
    finally:
        stream.close()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[ServerProcess]]:
    if connection.vendor != "postgresql":
        pytest.skip("plusieurs processus serveurs : PostgreSQL seulement")
    env = {
        **os.environ,
        "DATABASE_URL": server_url(connection.settings_dict, with_name=True),
        "MAILLAGE_DATA_DIR": str(tmp_path),
        "MAILLAGE_STREAM_HEARTBEAT_SECONDS": "1",
        "MAILLAGE_DUTY_PRESENCE_BEAT_SECONDS": "1",
    }
    with server_processes(2, env, tmp_path) as started:
        yield list(started)


def test_presence_on_one_server_process_is_seen_by_the_other(
    servers: list[ServerProcess],
) -> None:
    first, second = servers
    cast = factory.make_cast()
    merchant = httpx.Client(
        base_url=second.url, cookies={"maillage_session": key(cast[Role.MERCHANT])}
    )

    def connected() -> bool:
        answer = merchant.get("/api/v1/duty/reachability")
        assert answer.status_code == 200, answer.text
        return bool(answer.json()["operators_connected"])

    try:
        assert not connected()
        stream = SseClient(first.url, key(cast[Role.OPERATOR]))
        try:
            assert stream.status == 200
            eventually(connected, "la présence vue par l'autre processus")
        finally:
            stream.close()
        eventually(lambda: not connected(), "le départ vu par l'autre processus")
    finally:
        merchant.close()

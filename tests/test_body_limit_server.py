"""Oversized bodies against a real server process (`maillage serve`, uvicorn).

A 300 MB Content-Length is answered 413 while only a few bytes were sent, so nothing was
read or spooled; a chunked body without Content-Length is cut off soon after the limit.
Both answers are the structured JSON error.
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

LIMIT = 2_621_440


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """No database is touched by these probes: the server runs on an empty SQLite file."""
    tmp = tmp_path_factory.mktemp("body-limit")
    port = _free_port()
    log = tmp / "server.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "MAILLAGE_DATA_DIR": str(tmp),
        "MAILLAGE_MAX_REQUEST_BYTES": str(LIMIT),
    }
    script = Path(sys.executable).with_name("maillage")
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(script), "serve", "--port", str(port)], env=env, stdout=sink, stderr=sink
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"Le serveur s'est arrêté :\n{log.read_text(errors='replace')}")
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v1/nope", timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    pytest.fail(f"Le serveur n'a pas démarré :\n{log.read_text()}")
                time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _read_response(sock: socket.socket, timeout: float) -> tuple[int, dict[str, object]]:
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


def _headers(host: str, port: int, extra: str) -> bytes:
    return (
        f"POST /api/v1/enrolment/open HTTP/1.1\r\nHost: localhost:{port}\r\n"
        f"Content-Type: application/json\r\n{extra}\r\n"
    ).encode()


def test_a_300_mb_declared_body_is_refused_without_being_read(server: tuple[str, int]) -> None:
    host, port = server
    with socket.create_connection(server) as sock:
        started = time.monotonic()
        sock.sendall(_headers(host, port, f"Content-Length: {300 * 1024 * 1024}\r\n"))
        sock.sendall(b'{"token": "')
        status, body = _read_response(sock, timeout=5)
        elapsed = time.monotonic() - started
    assert status == 413
    assert body["code"] == "too_large"
    assert "Mo" in str(body["message"])
    assert elapsed < 3


def test_a_chunked_stream_is_cut_off_after_the_limit(server: tuple[str, int]) -> None:
    host, port = server
    piece = b"a" * 65536
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    sent = 0
    with socket.create_connection(server) as sock:
        sock.sendall(_headers(host, port, "Transfer-Encoding: chunked\r\n"))
        while sent < 50 * LIMIT:
            readable, writable, _ = select.select([sock], [sock], [], 5)
            if readable:
                break
            if not writable:
                continue
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        status, body = _read_response(sock, timeout=5)
    assert status == 413
    assert body["code"] == "too_large"
    # The limit plus what the kernel's socket buffers absorbed, far from the 130 MB offered.
    assert sent < LIMIT + 16 * 1024 * 1024


def test_a_small_body_still_reaches_the_application(server: tuple[str, int]) -> None:
    host, port = server
    response = httpx.post(
        f"http://{host}:{port}/api/v1/nope",
        content=b'{"a": 1}',
        headers={"Host": f"localhost:{port}"},
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"

"""Incident content never reaches the server in clear.

A real server process (`maillage demo`, the database of this test pass: a fresh
PostgreSQL database or an SQLite file) receives a report whose text and photo carry a
unique canary, sealed by the reference client exactly as a shop's device would. An
operator device opens it (so the canary really travelled). Then everything the server
wrote is searched: a full `pg_dump` or the SQLite file (with its WAL), the media folder,
and the server's own log at DEBUG level. The canary and slices of the photo's bytes are
looked for raw, hex-encoded and base64-encoded; finding none is the test. Positive
controls (the sealed bytes are found where they should be) prove the search can see.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from PIL import Image

from maillage.client.device import MemberDevice
from maillage.client.http import MaillageClient
from maillage.client.photos import reencode_photo
from maillage.testing.servers import copy_sqlite, migrated_sqlite

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


@dataclass
class Server:
    url: str
    database_url: str
    media: Path
    log: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _maillage_command() -> list[str]:
    script = Path(sys.executable).with_name("maillage")
    return [str(script)] if script.exists() else [sys.executable, "-m", "maillage.cli"]


@pytest.fixture
def server(tmp_path: Path, django_db_blocker: Any) -> Iterator[Server]:
    """`maillage demo` on a free port, on the same kind of database as this test pass (on
    SQLite a copy of the migrated file the live tests share: its `migrate` is then a no-op)."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    database = f"maillage_canary_{uuid.uuid4().hex[:12]}"
    if on_postgres:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        database_url = f"postgres://postgres@127.0.0.1:5432/{database}"
    else:
        with django_db_blocker.unblock():
            copy_sqlite(migrated_sqlite(), str(tmp_path / "canary.sqlite3"))
        database_url = f"sqlite:///{tmp_path / 'canary.sqlite3'}"
    port = _free_port()
    media, log = tmp_path / "media", tmp_path / "server.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MAILLAGE_DEMO": "true",
        "MAILLAGE_DATA_DIR": str(tmp_path / "data"),
        "MAILLAGE_MEDIA_ROOT": str(media),
        "MAILLAGE_LOG_LEVEL": "DEBUG",
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*_maillage_command(), "demo", "--port", str(port), "--no-simulate"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    running = Server(url, database_url, media, log, process)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"Le serveur s'est arrêté :\n{log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Le serveur n'a pas démarré :\n{log.read_text(errors='replace')}")
            time.sleep(0.3)
        yield running
    finally:
        running.stop()
        if on_postgres:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _photo_with_canary(canary: str) -> bytes:
    """A JPEG whose pixels are noisy and whose EXIF carries the canary and a GPS position."""
    image = Image.effect_noise((1200, 900), 60).convert("RGB")
    exif = Image.Exif()
    exif[0x010E] = f"Suspect au comptoir {canary}"  # ImageDescription
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (48.0, 59.0, 25.0), 3: "E", 4: (1.0, 43.0, 2.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def _encodings(data: bytes) -> set[bytes]:
    """The ways a careless server could have written these bytes: raw, hex, base64."""
    found = {data, data.hex().encode(), data.hex().upper().encode()}
    for shift in range(3):
        chunk = data[shift:]
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(chunk).rstrip(b"=")
            found.add(text[4:-4] if len(text) > 12 else text)
    return found


def _slices(data: bytes, count: int = 6, width: int = 48) -> list[bytes]:
    step = max(1, (len(data) - width) // count)
    return [data[offset : offset + width] for offset in range(step, len(data) - width, step)][
        :count
    ]


def _haystacks(server: Server) -> dict[str, bytes]:
    stores: dict[str, bytes] = {}
    if server.database_url.startswith("postgres"):
        dump = subprocess.run(
            [shutil.which("pg_dump") or "/usr/bin/pg_dump", "--no-owner", server.database_url],
            check=True,
            capture_output=True,
        )
        stores["pg_dump"] = dump.stdout
        assert b"COPY public.incidents_" in dump.stdout, "le dump ne contient pas les tables"
    else:
        path = Path(server.database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-journal"):
            candidate = Path(f"{path}{suffix}")
            if candidate.exists():
                stores[candidate.name] = candidate.read_bytes()
    for file in sorted(server.media.rglob("*")):
        if file.is_file():
            stores[f"media/{file.relative_to(server.media)}"] = file.read_bytes()
    stores["server.log"] = server.log.read_bytes()
    return stores


def test_content_never_reaches_the_server_in_clear(server: Server) -> None:
    canary = f"CANARI-{uuid.uuid4().hex}"
    descriptor_canaries = {
        name: f"DESCRIPTEUR-{uuid.uuid4().hex}"
        for name in ("people", "clothing", "colours", "signs", "direction", "vehicle")
    }
    original_photo = _photo_with_canary(canary)
    photo = reencode_photo(original_photo)

    with MaillageClient(server.url) as police_http, MaillageClient(server.url) as shop_http:
        members = police_http.demo_members()
        operator = MemberDevice(police_http, label="Console CSU")
        operator.sign_in_demo(next(m["id"] for m in members if m["role"] == "operateur"))
        assert operator.ensure_service_key() == 1

        merchant = MemberDevice(shop_http, label="Téléphone boutique")
        merchant.sign_in_demo(next(m["id"] for m in members if m["role"] == "commercant"))
        # Every descriptor carries its own canary: the server cannot check sealed content
        # against the lists, so a value a device put there is what must stay sealed.
        descriptors = {
            "v": 1,
            "people": descriptor_canaries["people"],
            "clothing": [descriptor_canaries["clothing"]],
            "colours": [descriptor_canaries["colours"]],
            "signs": [descriptor_canaries["signs"]],
            "direction": descriptor_canaries["direction"],
            "vehicle": descriptor_canaries["vehicle"],
        }
        report = merchant.send_report(
            f"Vol à l'étalage, individu en fuite. {canary}",
            [photo],
            fields={"report": descriptors},
            category="comportement_suspect",
            neighbours=True,
        )
        assert report.resolution.refused == []

        opened = operator.read_incident(report.incident)
        assert len(opened) == 1
        assert canary in (opened[0].text or "")
        assert opened[0].fields == {"report": descriptors}
        assert opened[0].attachments[0].data == photo.data
        sealed_attachment = police_http.attachment(report.incident, report.message, 1)

    server.stop()
    stores = _haystacks(server)

    # Positive controls: the sealed photo is in the media folder, the envelope in the DB.
    media = b"".join(data for name, data in stores.items() if name.startswith("media/"))
    assert sealed_attachment in media
    database = b"".join(data for name, data in stores.items() if not name.startswith("media/"))
    assert report.message.encode() in database
    assert b"comportement_suspect" in database  # the clear metadata is stored, as designed

    needles: dict[str, set[bytes]] = {"canari (texte)": _encodings(canary.encode())}
    needles["canari (UTF-16)"] = {canary.encode("utf-16-le")}
    for name, value in descriptor_canaries.items():
        needles[f"descripteur {name}"] = _encodings(value.encode())
    for index, piece in enumerate(_slices(photo.data)):
        needles[f"photo ré-encodée, tranche {index}"] = _encodings(piece)
    for index, piece in enumerate(_slices(original_photo)):
        needles[f"photo d'origine, tranche {index}"] = _encodings(piece)

    leaks = [
        f"{what} trouvé dans {where}"
        for where, data in stores.items()
        for what, variants in needles.items()
        if any(variant in data for variant in variants)
    ]
    assert leaks == []

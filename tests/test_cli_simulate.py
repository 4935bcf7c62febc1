"""`maillage simulate` as typed: it starts without Django, refuses bad options, and ends
with a summary even when no server answers."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import pytest

from maillage.cli import simulate


def test_bad_options_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert simulate(["--rate", "0"]) == 2
    assert simulate(["--burst", "0"]) == 2
    assert "--rate" in capsys.readouterr().err


def test_without_a_server_it_reports_and_ends(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    before = signal.getsignal(signal.SIGINT)
    assert simulate(["--url", f"http://127.0.0.1:{port}", "--burst", "2", "--seed", "1"]) == 0
    assert signal.getsignal(signal.SIGINT) is before
    out = capsys.readouterr().out
    assert out.count("unreachable") == 2
    assert "0 signalement(s) envoyé(s), 2 échec(s)" in out


def test_it_imports_no_django() -> None:
    code = "import sys, maillage.cli as c; c.simulate_parser(); print('django' in sys.modules)"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"{code}; import maillage.client.simulate; print('django' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["False", "False"]

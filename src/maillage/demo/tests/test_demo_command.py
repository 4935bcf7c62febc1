"""`maillage demo` starts the simulator only when it serves, and stops it with the server."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.core.management import call_command

from maillage.demo.management.commands.demo import _local_url, _start_simulator
from maillage.incidents.models import Incident

pytestmark = pytest.mark.django_db(transaction=True)


def simulator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "maillage-simulator"]


def test_no_serve_prepares_without_simulating(settings: Any) -> None:
    settings.DEMO_MODE = True
    call_command("demo", no_serve=True)
    assert simulator_threads() == []
    assert Incident.objects.count() == 0


def test_the_demo_simulator_sends_once_the_server_is_up_and_stops_with_it(
    settings: Any, live_server: Any
) -> None:
    settings.DEMO_MODE = True
    call_command("demo", no_serve=True)
    simulator, thread = _start_simulator(live_server.url, {"simulate_rate": 600.0})
    try:
        deadline = time.monotonic() + 60  # a bound on the wait, not a speed check
        while not simulator.outcomes and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        simulator.stop()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert simulator.outcomes and simulator.outcomes[0].ok
    assert Incident.objects.filter(public_id=simulator.outcomes[0].incident).exists()


def test_the_simulator_reaches_the_server_where_it_listens() -> None:
    assert _local_url("0.0.0.0", 8000) == "http://127.0.0.1:8000"  # noqa: S104
    assert _local_url("::1", 8001) == "http://[::1]:8001"
    assert _local_url("localhost", 8002) == "http://localhost:8002"

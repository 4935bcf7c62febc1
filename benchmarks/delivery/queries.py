"""SQL queries per step of a delivery, counted in this process (Django's
CaptureQueriesContext) on the seeded database, the servers stopped.

- `report_accept`: POST /api/v1/incidents through the real client (maillage.client) on
  Django's WSGI handler in process (httpx's WSGI transport): session, checks, incident,
  message, event, NOTIFY.
- `directory`: GET /api/v1/trust/recipients, which the sender's device fetches first;
  `directory_304`: the same, revalidated with the ETag the device kept (304, no body).
- `stream_read_batch`: what a server's commune reader runs once per wake-up for the events
  it reads (the log rows, then the sealed envelopes and the service key's holders).
- `access_log_append`: the access-log append of a sealed event's deliveries to every
  recipient device at once, as a server process writes it (one batch per event).
"""

from __future__ import annotations

import time
from typing import Any


def measure(poster_member: str, *, direct: bool) -> dict[str, Any]:
    import httpx
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from benchmarks.delivery.run import Poster
    from maillage.client.device import MemberDevice
    from maillage.client.http import MaillageClient
    from maillage.members.models import Membership
    from maillage.stream.delivery import log_deliveries, sealed_for
    from maillage.stream.fanout import read_after
    from maillage.stream.models import Event
    from maillage.trust.models import Device

    client = MaillageClient("http://127.0.0.1")
    client.http = httpx.Client(
        transport=httpx.WSGITransport(app=WSGIHandler()), base_url="http://127.0.0.1/api/v1"
    )
    poster = Poster.__new__(Poster)
    poster.device = MemberDevice(client, label="Banc d'essai (requêtes)")
    poster.device.sign_in_demo(poster_member)
    poster.direct = direct
    counts: dict[str, int] = {}
    timings: dict[str, float] = {}

    # A first report outside the count: first-request costs (caches, prepared statements).
    poster.device.post_report(poster.prepare("Échauffement (requêtes)"))
    prepared = poster.prepare("Requêtes comptées")
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        poster.device.post_report(prepared)
        timings["report_accept_ms"] = (time.perf_counter() - started) * 1000
    counts["report_accept"] = len(captured.captured_queries)
    poster.device.client._directories.clear()  # a fresh answer, then a revalidated one
    for step in ("directory", "directory_304"):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            poster.device.client.recipients()
            timings[f"{step}_ms"] = (time.perf_counter() - started) * 1000
        counts[step] = len(captured.captured_queries)

    event = Event.objects.filter(payload__message=prepared.message).get()
    with CaptureQueriesContext(connection) as captured:
        items = read_after(event.commune_id, event.seq - 1, event.seq, sealed_for)
    counts["stream_read_batch"] = len(captured.captured_queries)
    sealed = items[0].sealed
    assert sealed is not None
    recipients = len(sealed.recipients)
    devices = list(Device.objects.filter(public_id__in=list(sealed.recipients)))
    assert devices
    memberships = Membership.objects.in_bulk([device.membership_id for device in devices])
    deliveries = [(memberships[device.membership_id], device, sealed) for device in devices]
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        log_deliveries(deliveries)
        timings["access_log_append_ms"] = (time.perf_counter() - started) * 1000
    counts["access_log_append"] = len(captured.captured_queries)
    client.close()
    return {"counts": counts, "timings_ms": timings, "sealed_recipients": recipients}

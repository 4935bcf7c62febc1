"""The push worker: the log becomes deliveries, deliveries become attempts.

Run by every server process's ticker (stream/ticker.py) every PUSH_TICK_SECONDS:

1. `fan_out`: for each commune with live subscriptions, the events after its cursor that
   wake someone (push/audience.py) and that the device may see (stream/viewer.py) become
   one Delivery per subscription, and the cursor moves, in one transaction under the
   cursor's row lock: two processes never fan the same events out twice.
2. `send_due`: deliveries due are claimed (SKIP LOCKED where the database has it; a claim
   is a lease, so a process that dies mid-send leaves them to be claimed again), sent by
   the transport from a small thread pool, and every try is an Attempt. A temporary error
   is retried after PUSH_BACKOFF_BASE_SECONDS × 2^(n−1) (or the push service's
   Retry-After); a subscription gone (404, 410) is disabled, with its event.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from maillage.access.policy import dispatched_incidents, sectors_reached
from maillage.access.roles import Role
from maillage.members.models import Membership
from maillage.push import audience, payload, subscriptions, vapid
from maillage.push.models import Attempt, Cursor, Delivery, PushSubscription
from maillage.push.transports import Outcome, Target, Transport, WebPush
from maillage.stream import viewer
from maillage.stream.delivery import log_deliveries, sealed_for
from maillage.stream.fanout import BATCH, Item, render
from maillage.stream.models import Event

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
SEND_BATCH = 500
# An alert older than this is not news any more: neither sent nor retried.
TTL = timedelta(hours=1)
_pool: ThreadPoolExecutor | None = None


def pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="push")
    return _pool


def default_transport() -> Transport:
    return WebPush(vapid.signer(), vapid.contact())


@dataclass
class Summary:
    fanned: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    outcomes: list[Outcome] = field(default_factory=list)


def _load_bounds(members: list[Membership]) -> None:
    """Read each member's bounds once (the policy keeps them on the object). The members
    were loaded with their shop and its sector; one sector object per sector, so the
    policy reads each sector's neighbours once, not once per shop."""
    sectors: dict[int, Any] = {}
    for member in members:
        shop = member.shop if member.shop_id is not None else None
        if shop is not None:
            shop.sector = sectors.setdefault(shop.sector_id, shop.sector)
    for member in members:
        sectors_reached(member)
        if member.role == Role.AGENT:
            dispatched_incidents(member)


def _actor_roles(events: list[Event]) -> dict[int, str]:
    actors = {e.actor_id for e in events if e.actor_id is not None}
    return dict(Membership.objects.filter(pk__in=actors).values_list("pk", "role"))


def fan_out(commune_id: int) -> tuple[int, int]:
    """One batch of the commune's new events: how many it read, how many deliveries."""
    with transaction.atomic():
        cursor = Cursor.objects.select_for_update().filter(commune_id=commune_id).first()
        if cursor is None:
            return 0, 0
        events = list(
            Event.objects.filter(commune_id=commune_id, seq__gt=cursor.seq)
            .select_related("member", "shop")
            .order_by("seq")[:BATCH]
        )
        if not events:
            return 0, 0
        wanted = [e for e in events if e.kind in audience.KINDS]
        rows: list[Delivery] = []
        if wanted:
            subs = list(
                PushSubscription.objects.filter(
                    commune_id=commune_id, disabled_at__isnull=True
                ).select_related("membership__shop__sector", "device")
            )
            _load_bounds([s.membership for s in subs])
            roles = _actor_roles(wanted)
            now = timezone.now()
            for item in render(wanted, sealed_for):
                event = item.event
                role = roles.get(event.actor_id) if event.actor_id is not None else None
                for sub in subs:
                    if event.actor_device == sub.device.public_id:
                        continue
                    if audience.wants(event, sub.membership, role) and viewer.sees(
                        sub.membership, sub.device, item
                    ):
                        rows.append(
                            Delivery(
                                commune_id=commune_id,
                                subscription=sub,
                                seq=event.seq,
                                kind=event.kind,
                                due_at=now,
                            )
                        )
            Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        cursor.seq = events[-1].seq
        cursor.save(update_fields=["seq"])
    return len(events), len(rows)


def fan_out_all() -> int:
    communes = (
        PushSubscription.objects.filter(disabled_at__isnull=True)
        .values_list("commune_id", flat=True)
        .distinct()
    )
    made = 0
    for commune_id in communes:
        read = BATCH
        while read == BATCH:
            read, count = fan_out(commune_id)
            made += count
    return made


def _claim(now: datetime, limit: int) -> list[int]:
    with transaction.atomic():
        due = Delivery.objects.filter(
            state__in=[Delivery.State.PENDING, Delivery.State.SENDING], due_at__lte=now
        ).order_by("due_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        claimed = [d.pk for d in due.only("pk")[:limit]]
        if claimed:
            Delivery.objects.filter(pk__in=claimed).update(
                state=Delivery.State.SENDING, due_at=now + LEASE
            )
    return claimed


def backoff(attempt: int) -> float:
    """Seconds before try `attempt + 1`, after `attempt` failed tries."""
    base = float(settings.PUSH_BACKOFF_BASE_SECONDS)
    return float(min(base * 2 ** (attempt - 1), float(settings.PUSH_BACKOFF_MAX_SECONDS)))


@dataclass
class Job:
    delivery: Delivery
    item: Item
    body: bytes
    ttl: int


def _items(deliveries: list[Delivery]) -> dict[tuple[int, int], tuple[Item, payload.Notice]]:
    by_commune: dict[int, set[int]] = defaultdict(set)
    for d in deliveries:
        by_commune[d.commune_id].add(d.seq)
    found = {}
    for commune_id, seqs in by_commune.items():
        events = list(
            Event.objects.filter(commune_id=commune_id, seq__in=seqs)
            .select_related("member", "shop")
            .order_by("seq")
        )
        items = render(events, sealed_for)
        notices = payload.notices(items)
        for item in items:
            found[(commune_id, item.seq)] = (item, notices[item.seq])
    return found


def send_due(transport: Transport | None = None, limit: int = SEND_BATCH) -> Summary:
    summary = Summary()
    now = timezone.now()
    claimed = _claim(now, limit)
    if not claimed:
        return summary
    deliveries = list(
        Delivery.objects.filter(pk__in=claimed).select_related(
            "subscription__membership__shop__sector", "subscription__device"
        )
    )
    transport = transport or default_transport()
    items = _items(deliveries)
    _load_bounds([d.subscription.membership for d in deliveries])
    jobs: list[Job] = []
    expired: list[int] = []
    logged = []
    for d in deliveries:
        sub = d.subscription
        found = items.get((d.commune_id, d.seq))
        age = now - found[0].event.at if found is not None else TTL
        if found is None or sub.disabled_at is not None or age >= TTL:
            expired.append(d.pk)
            continue
        item, notice = found
        with_sealed = viewer.gets_sealed(sub.membership, sub.device, item)
        body, sealed_in = payload.build(item, notice, with_sealed)
        if sealed_in and item.sealed is not None and item.sealed.access_logged and d.attempts == 0:
            logged.append((sub.membership, sub.device, item.sealed))
        jobs.append(Job(d, item, body, int((TTL - age).total_seconds())))
    if expired:
        Delivery.objects.filter(pk__in=expired).update(state=Delivery.State.FAILED, done_at=now)
        summary.failed += len(expired)
    if logged:
        # Logged before it leaves, as the stream and a fetch do.
        log_deliveries(logged)

    def send(job: Job) -> Outcome:
        sub = job.delivery.subscription
        target = Target(sub.endpoint, {"p256dh": sub.p256dh, "auth": sub.auth})
        return transport.send(
            target, job.body, urgency=audience.urgency(job.delivery.kind), ttl=job.ttl
        )

    outcomes = list(pool().map(send, jobs))
    _record(transport.name, jobs, outcomes, summary)
    return summary


def _record(name: str, jobs: list[Job], outcomes: list[Outcome], summary: Summary) -> None:
    now = timezone.now()
    attempts = []
    sent: list[int] = []
    failed: list[int] = []
    gone: list[tuple[PushSubscription, Outcome]] = []
    succeeded: set[int] = set()
    troubled: set[int] = set()
    for job, outcome in zip(jobs, outcomes, strict=True):
        d = job.delivery
        number = d.attempts + 1
        attempts.append(
            Attempt(
                commune_id=d.commune_id,
                transport=name,
                delivery=d,
                device_id=d.subscription.device_id,
                seq=d.seq,
                number=number,
                at=now,
                duration_ms=round(outcome.seconds * 1000),
                result=outcome.result,
                status=outcome.status,
                detail=outcome.detail,
                bytes_sent=len(job.body),
            )
        )
        summary.outcomes.append(outcome)
        if outcome.result == Attempt.Result.OK:
            sent.append(d.pk)
            succeeded.add(d.subscription_id)
            continue
        troubled.add(d.subscription_id)
        if outcome.gone:
            gone.append((d.subscription, outcome))
        if outcome.result == Attempt.Result.TEMPORARY and number < settings.PUSH_MAX_ATTEMPTS:
            wait = outcome.retry_after if outcome.retry_after is not None else backoff(number)
            Delivery.objects.filter(pk=d.pk).update(
                state=Delivery.State.PENDING,
                attempts=number,
                due_at=now + timedelta(seconds=wait),
            )
            summary.retried += 1
        else:
            failed.append(d.pk)
    with transaction.atomic():
        Attempt.objects.bulk_create(attempts)
        Delivery.objects.filter(pk__in=sent).update(
            state=Delivery.State.SENT, attempts=F("attempts") + 1, done_at=now
        )
        Delivery.objects.filter(pk__in=failed).update(
            state=Delivery.State.FAILED, attempts=F("attempts") + 1, done_at=now
        )
        PushSubscription.objects.filter(pk__in=succeeded).update(last_success_at=now)
        PushSubscription.objects.filter(pk__in=troubled - succeeded).update(last_failure_at=now)
    summary.sent += len(sent)
    summary.failed += len(failed)
    seen: set[int] = set()
    for sub, outcome in gone:
        if sub.pk not in seen:
            seen.add(sub.pk)
            subscriptions.disable(sub, outcome.status, f"HTTP {outcome.status}: abonnement expiré")
    if gone:
        # What was still owed to a dead subscription will not be delivered.
        Delivery.objects.filter(subscription_id__in=seen, state=Delivery.State.PENDING).update(
            state=Delivery.State.FAILED, done_at=now
        )


def run_once(transport: Transport | None = None) -> Summary:
    """One tick: fan out, then send what is due."""
    fanned = fan_out_all()
    summary = send_due(transport)
    summary.fanned = fanned
    return summary

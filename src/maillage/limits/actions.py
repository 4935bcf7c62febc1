"""Counting a request against a named limit: one atomic step, correct across processes.

The bucket row is locked (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's IMMEDIATE
transactions already admit one writer at a time), so two server processes counting the
same client at the same moment never both get the last place of a window.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from maillage.limits.models import Bucket

SWEEP_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Rule:
    count: int
    seconds: int


def rule(name: str) -> Rule:
    count, seconds = settings.RATE_LIMITS[name]
    return Rule(int(count), int(seconds))


def bucket_key(name: str, client: str) -> str:
    """Keyed with SECRET_KEY: a stored key cannot be turned back into an IP address."""
    message = f"{name}\n{client}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def hit(name: str, client: str) -> float | None:
    """Count one request; None when allowed, else the seconds until the window ends."""
    with transaction.atomic():
        return count_in_transaction(name, client, rule(name))


def count_in_transaction(name: str, client: str, limit: Rule) -> float | None:
    """Count one request against `limit` inside the caller's transaction, so that the count
    commits or rolls back with what it guards (a stored report): an identical retry, whose
    insert fails, is not counted. None when allowed, else the seconds until the window ends."""
    return count_all_in_transaction([(name, client, limit)])


def count_all_in_transaction(counted: list[tuple[str, str, Rule]]) -> float | None:
    """Count one request under several limits at once (a device's and its shop's), in two
    queries when every bucket exists: all are counted, or none if one refuses. None when
    allowed, else the longest wait of the refusing limits."""
    now = timezone.now()
    rules = {
        bucket_key(name, client): (name, limit)
        for name, client, limit in counted
        if limit.count > 0
    }
    if not rules:
        return None
    buckets = {b.key: b for b in Bucket.objects.select_for_update().filter(key__in=list(rules))}
    waits = [
        max((bucket.window_ends - now).total_seconds(), 1.0)
        for key, bucket in buckets.items()
        if bucket.window_ends > now and bucket.count >= rules[key][1].count
    ]
    if waits:
        return max(waits)
    running = [b.pk for b in buckets.values() if b.window_ends > now]
    if running:
        Bucket.objects.filter(pk__in=running).update(count=F("count") + 1)
    for key, bucket in buckets.items():
        if bucket.window_ends <= now:
            window = timedelta(seconds=rules[key][1].seconds)
            Bucket.objects.filter(pk=bucket.pk).update(
                count=1, window_ends=now + window, refused=False
            )
    for key in sorted(rules.keys() - buckets.keys()):
        name, limit = rules[key]
        wait = _create_or_count(key, name, limit, now)
        if wait is not None:
            return wait  # the caller's refusal rolls back what was counted above
    return None


def _create_or_count(key: str, name: str, limit: Rule, now: Any) -> float | None:
    Bucket.objects.filter(window_ends__lt=now - SWEEP_AFTER).delete()
    try:
        with transaction.atomic():
            Bucket.objects.create(
                key=key, name=name, count=1, window_ends=now + timedelta(seconds=limit.seconds)
            )
        return None
    except IntegrityError:  # another process created it first: count in it
        bucket = Bucket.objects.select_for_update().get(key=key)
        if bucket.count >= limit.count:
            return max((bucket.window_ends - now).total_seconds(), 1.0)
        Bucket.objects.filter(pk=bucket.pk).update(count=F("count") + 1)
        return None


def wait_of(name: str, client: str, limit: Rule) -> float | None:
    """The seconds until `client` may again, if this limit refuses it now."""
    now = timezone.now()
    bucket = Bucket.objects.filter(key=bucket_key(name, client), window_ends__gt=now).first()
    if bucket is None or limit.count <= 0 or bucket.count < limit.count:
        return None
    return max((bucket.window_ends - now).total_seconds(), 1.0)


def mark_refused(name: str, client: str) -> bool:
    """Note a refusal in the bucket's window; True for the window's first one (worth
    telling someone, once)."""
    key = bucket_key(name, client)
    return bool(
        Bucket.objects.filter(key=key, refused=False, window_ends__gt=timezone.now()).update(
            refused=True
        )
    )

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
    limit = rule(name)
    if limit.count <= 0:
        return None
    key = bucket_key(name, client)
    now = timezone.now()
    window = timedelta(seconds=limit.seconds)
    with transaction.atomic():
        bucket = Bucket.objects.select_for_update().filter(key=key).first()
        if bucket is None:
            Bucket.objects.filter(window_ends__lt=now - SWEEP_AFTER).delete()
            try:
                with transaction.atomic():
                    Bucket.objects.create(key=key, name=name, count=1, window_ends=now + window)
                return None
            except IntegrityError:  # another process created it first: count in it
                bucket = Bucket.objects.select_for_update().get(key=key)
        if bucket.window_ends <= now:
            Bucket.objects.filter(pk=bucket.pk).update(count=1, window_ends=now + window)
            return None
        if bucket.count >= limit.count:
            return max((bucket.window_ends - now).total_seconds(), 1.0)
        Bucket.objects.filter(pk=bucket.pk).update(count=F("count") + 1)
        return None

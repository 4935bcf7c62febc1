"""One counter per (limit, client): a fixed window, keyed by a keyed hash, never the IP."""

from __future__ import annotations

from django.db import models


class Bucket(models.Model):
    """Requests counted in the window that ends at `window_ends` (maillage.limits.actions)."""

    key = models.CharField(max_length=64, unique=True, help_text="HMAC-SHA256(limit, client)")
    name = models.CharField(max_length=40)
    count = models.PositiveIntegerField()
    window_ends = models.DateTimeField(db_index=True)
    refused = models.BooleanField(default=False, help_text="A request of this window was refused")

"""What the trust actions share: their refusals and the epoch seconds signed documents use."""

from __future__ import annotations

from datetime import UTC, datetime

from maillage.errors import ApiError
from maillage.wire import chain


class Invalid(ApiError):
    status = 422


class TrustRefused(ApiError):
    """A trust check failed; the code is chain.py's (`bad_signature`, `not_a_certifier`…)."""

    def __init__(self, error: chain.TrustError, field: str | None = None) -> None:
        forbidden = error.code in {"not_a_certifier", "revoked"}
        super().__init__(error.code, error.message, field=field, status=403 if forbidden else 422)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def moment(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)

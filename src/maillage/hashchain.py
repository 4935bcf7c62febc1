"""Hash chains for the append-only logs (content access log, event log): one rule, twice used.

Link n stores `hash = SHA-256(prev_hash || canonical_json(fields))`, with `prev_hash` the
hash of link n − 1 (64 zeros for the first). A per-commune head row keeps the last number
and hash, so links cut off at the end are noticed too. No Django here: the callers map
their rows to `Link`s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from maillage.wire.chain import canonical_json

GENESIS = "0" * 64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def microseconds(at: datetime) -> int:
    """A timestamp as an integer, the form canonical JSON accepts (it refuses floats)."""
    return (at - _EPOCH) // timedelta(microseconds=1)


def link_hash(prev_hash: str, fields: Mapping[str, object]) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical_json(dict(fields))).hexdigest()


@dataclass(frozen=True)
class Link:
    """A stored link as read back, with the hash recomputed from its stored fields."""

    number: int
    prev_hash: str
    stored_hash: str
    recomputed_hash: str


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    first_broken: int | None


def verify_links(links: Iterable[Link], head_number: int, head_hash: str) -> Verification:
    """Walk links in number order; `first_broken` is the first number that does not hold
    (an edited row, a missing one, or, past the end, a row cut off behind the head)."""
    expected_prev, expected_number, count = GENESIS, 1, 0
    for link in links:
        count += 1
        if (
            link.number != expected_number
            or link.prev_hash != expected_prev
            or link.stored_hash != link.recomputed_hash
        ):
            return Verification(False, count, expected_number)
        expected_prev = link.stored_hash
        expected_number += 1
    if head_number != count or (head_hash or GENESIS) != expected_prev:
        return Verification(False, count, expected_number)
    return Verification(True, count, None)

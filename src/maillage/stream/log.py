"""Appending to and verifying the commune's event log (the action helper is the only caller).

Seq n of a commune is given under a lock of the commune's head row, taken last in the
action's transaction and held until it commits: concurrent actions queue there, numbers
follow commit order, and a rollback undoes the head too, so no number is ever skipped.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone

from maillage.hashchain import GENESIS, Link, Verification, link_hash, microseconds, verify_links
from maillage.stream.kinds import SPECS, Kind
from maillage.stream.models import ActorKind, Event, EventHead
from maillage.stream.signals import event_committed

if TYPE_CHECKING:
    from maillage.members.models import Membership
    from maillage.territory.models import Commune, Shop
from maillage.wire.chain import canonical_json

logger = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 1024
MAX_STRING_LENGTH = 200
MAX_LIST_LENGTH = 100
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Stems of names that would carry content or secrets; a payload describes, never contains.
CONTENT_STEMS = (
    "body",
    "cipher",
    "content",
    "envelope",
    "password",
    "photo",
    "plain",
    "private",
    "secret",
    "signature",
    "text",
    "token",
)
_INT_LIMIT = 2**53 - 1


class PayloadError(ValueError):
    """A programming error: this payload must not enter the log."""


def content_like(key: str) -> bool:
    return any(stem in key for stem in CONTENT_STEMS)


def _check_value(key: str, value: object, nested: bool = False) -> None:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > _INT_LIMIT:
            raise PayloadError(f"{key}: entier hors limites")
        return
    if isinstance(value, str):
        if len(value) > MAX_STRING_LENGTH:
            raise PayloadError(f"{key}: texte de plus de {MAX_STRING_LENGTH} caractères")
        if any(unicodedata.category(char) in {"Cc", "Cf"} for char in value):
            raise PayloadError(f"{key}: caractère de contrôle")
        return
    if isinstance(value, list) and not nested:
        if len(value) > MAX_LIST_LENGTH:
            raise PayloadError(f"{key}: liste de plus de {MAX_LIST_LENGTH} éléments")
        for item in value:
            _check_value(key, item, nested=True)
        return
    raise PayloadError(f"{key}: type {type(value).__name__} refusé (métadonnées simples)")


def validate_payload(kind: Kind, payload: dict[str, Any]) -> None:
    """Exactly the kind's fields, small flat values, nothing named like content."""
    if not isinstance(payload, dict):
        raise PayloadError("le payload doit être un objet")
    for key in payload:
        if not isinstance(key, str) or not _KEY.match(key):
            raise PayloadError(f"clé invalide : {key!r}")
        if content_like(key):
            raise PayloadError(f"{key}: un événement ne porte jamais de contenu")
    expected = SPECS[kind].fields
    if set(payload) != expected:
        raise PayloadError(f"{kind}: champs attendus {sorted(expected)}, reçus {sorted(payload)}")
    for key, value in payload.items():
        _check_value(key, value)
    if len(canonical_json(payload)) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"{kind}: payload de plus de {MAX_PAYLOAD_BYTES} octets")


def _public(value: Any) -> str | None:
    return str(value.public_id) if value is not None else None


def event_hash(event: Event) -> str:
    """The hash an event must carry, recomputed from its stored fields."""
    fields = {
        "commune": str(event.commune.public_id),
        "seq": event.seq,
        "kind": event.kind,
        "at": microseconds(event.at),
        "actor": _public(event.actor),
        "actor_device": str(event.actor_device) if event.actor_device else None,
        "actor_kind": event.actor_kind,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "member": _public(event.member),
        "shop": _public(event.shop),
        "payload": event.payload,
    }
    return link_hash(event.prev_hash, fields)


def append_event(
    *,
    commune: Commune,
    kind: Kind,
    actor_kind: ActorKind,
    actor: Membership | None,
    actor_device: str | None,
    target_type: str,
    target_id: str,
    member: Membership | None,
    shop: Shop | None,
    payload: dict[str, Any],
) -> Event:
    """Append one event inside the caller's transaction; announced only once it commits."""
    if not connection.in_atomic_block:
        raise RuntimeError("Un événement s'ajoute dans la transaction de son action.")
    validate_payload(kind, payload)
    head, _ = EventHead.objects.select_for_update().get_or_create(commune=commune)
    event = Event(
        commune=commune,
        seq=head.seq + 1,
        kind=kind.value,
        at=timezone.now(),
        actor=actor,
        actor_device=actor_device,
        actor_kind=actor_kind,
        target_type=target_type,
        target_id=target_id,
        member=member,
        shop=shop,
        payload=payload,
        prev_hash=head.hash or GENESIS,
    )
    event.hash = event_hash(event)
    event.save(force_insert=True)
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    transaction.on_commit(partial(_announce, event))
    return event


def _announce(event: Event) -> None:
    for receiver, result in event_committed.send_robust(sender=Event, event=event):
        if isinstance(result, Exception):
            logger.error(
                "event_committed receiver %r failed for event %s",
                receiver,
                event.seq,
                exc_info=result,
            )


def verify_chain(commune: Commune) -> Verification:
    """Recompute the commune's whole log; `first_broken` is the first seq that does not hold
    (an edited or deleted row, a gap, or a row cut off at the end)."""
    events = (
        Event.objects.filter(commune=commune)
        .select_related("commune", "actor", "member", "shop")
        .order_by("seq")
    )
    links = (
        Link(event.seq, event.prev_hash, event.hash, event_hash(event))
        for event in events.iterator(chunk_size=500)
    )
    head = EventHead.objects.filter(commune=commune).first()
    if head is None:
        return verify_links(links, 0, GENESIS)
    return verify_links(links, head.seq, head.hash)

"""What one push carries to one device (docs/decisions.md, "Web Push"):

    {"v": 1, "type": "maillage.push", "seq", "kind", "at", "incident", "category",
     "from", "sector", "ref": id | absent, "sealed": {...} | absent, "fetch": bool}

`sealed` is the event's sealed copy exactly as the stream sends it to that device (the
envelope, still sealed to the device's own key: RFC 8291 seals it once more for the push
service); when it does not fit in a push message it is left out and `fetch` tells the
service worker to fetch the message itself, by `ref` (the message's, the broadcast's or
the neighbour alert's public id, present whenever the device is a recipient).
`category`, `from` and `sector` are the clear metadata the server holds anyway
(docs/privacy.md): enough for a notification when the device cannot open the
envelope. Never any content in clear.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder

from maillage.access.roles import Role
from maillage.incidents.models import Incident
from maillage.members.models import Membership
from maillage.push.transports import MAX_PAYLOAD
from maillage.stream.fanout import Item
from maillage.territory.models import Sector

POLICE_NAME = "Police municipale"


@dataclass(frozen=True)
class Notice:
    """The clear part of an event's push, the same for every device."""

    incident: str | None
    category: str | None
    sender: str | None
    sector: str | None
    actor_role: str | None


def notices(items: list[Item]) -> dict[int, Notice]:
    """Three queries per batch of events, whatever the number of devices."""
    if not items:
        return {}

    def incident_of(item: Item) -> str | None:
        event = item.event
        if event.target_type == "incident":
            return event.target_id
        found = event.payload.get("incident")
        return str(found) if found else None

    wanted = {i for i in (incident_of(item) for item in items) if i}
    incidents = {
        str(row.public_id): row
        for row in Incident.objects.filter(
            commune_id=items[0].event.commune_id, public_id__in=list(wanted)
        ).select_related("shop")
    }
    sectors = dict(
        Sector.objects.filter(commune_id=items[0].event.commune_id).values_list("pk", "name")
    )
    actors = {item.event.actor_id for item in items if item.event.actor_id is not None}
    roles = dict(Membership.objects.filter(pk__in=actors).values_list("pk", "role"))
    result = {}
    for item in items:
        event = item.event
        incident_id = incident_of(item)
        incident = incidents.get(incident_id or "")
        shop = incident.shop if incident is not None else event.shop
        role = roles.get(event.actor_id) if event.actor_id is not None else None
        police = role in {Role.OPERATOR, Role.AGENT, Role.COORDINATOR}
        result[event.seq] = Notice(
            incident=incident_id if incident is not None else None,
            category=incident.category_label if incident is not None else None,
            sender=POLICE_NAME if police else (shop.enseigne if shop is not None else None),
            sector=sectors.get(shop.sector_id) if shop is not None else None,
            actor_role=role,
        )
    return result


def _encode(data: dict[str, object]) -> bytes:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)
    return text.encode()


def build(item: Item, notice: Notice, with_sealed: bool) -> tuple[bytes, bool]:
    """The payload, and whether the sealed copy is in it."""
    event = item.event
    data: dict[str, object] = {
        "v": 1,
        "type": "maillage.push",
        "seq": event.seq,
        "kind": event.kind,
        "at": event.at.isoformat().replace("+00:00", "Z"),
        "incident": notice.incident,
        "category": notice.category,
        "from": notice.sender,
        "sector": notice.sector,
        "fetch": False,
    }
    if with_sealed and item.sealed is not None:
        data["ref"] = item.sealed.message
        whole = _encode({**data, "sealed": item.sealed.body})
        if len(whole) <= MAX_PAYLOAD:
            return whole, True
    data["fetch"] = with_sealed and item.sealed is not None
    return _encode(data), False

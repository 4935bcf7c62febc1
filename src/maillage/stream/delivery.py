"""Sealed content in the stream: the envelope a recipient device gets with its event, and
the access-log entry that delivery writes, exactly as `GET /incidents/{id}/messages` does;
and the sealed broadcast a holder of its group-key generation gets with `broadcast.sent`,
unlogged exactly as `GET /broadcasts` is.

An interface module (like an api.py): it composes incidents, trust and privacy for the
stream, which sits below them (pyproject.toml, import contracts).
"""

from __future__ import annotations

import json
from collections import defaultdict

from django.db.models import Prefetch

from maillage.access.policy import Action
from maillage.broadcasts.models import Broadcast, BroadcastAttachment
from maillage.broadcasts.schemas import broadcast_out
from maillage.incidents.models import SealedAttachment, SealedMessage
from maillage.incidents.schemas import message_out, wire_of
from maillage.members.models import Membership
from maillage.neighbours.models import NeighbourAlert
from maillage.neighbours.schemas import alert_out
from maillage.privacy.access_log import Access, Read, record_reads
from maillage.privacy.models import ContentAccess
from maillage.stream.fanout import Sealed
from maillage.stream.kinds import SPECS, Kind
from maillage.stream.models import Event
from maillage.trust.models import Device, GroupKeyGrant, ServiceKeyGrant

CONTENT_KINDS = frozenset(
    {Kind.INCIDENT_REPORTED.value, Kind.MESSAGE_POSTED.value, Kind.NOTE_POSTED.value}
)
# Neighbour alerts carry their sealed broadcast (and the end's message) to the holders of
# its generation who may see the event (docs/decisions.md, "Neighbour alerts").
NEIGHBOUR_KINDS = frozenset(
    {
        Kind.NEIGHBOUR_ALERT_SUBMITTED.value,
        Kind.NEIGHBOUR_ALERT_SENT.value,
        Kind.NEIGHBOUR_ALERT_VALIDATED.value,
        Kind.NEIGHBOUR_ALERT_ENDED.value,
    }
)


def content_right(kind: str) -> Action:
    """What a viewer needs to receive an event's sealed copy, besides being a recipient
    device: a broadcast's is the right that lists it (asked with the event, so the scope
    bound applies), a neighbour alert's the right that shows the event, an incident
    message's the right to read content."""
    if kind == Kind.BROADCAST_SENT.value:
        return Action.VIEW_BROADCASTS
    if kind in NEIGHBOUR_KINDS or kind == Kind.NOTE_POSTED.value:
        return SPECS[Kind(kind)].view
    return Action.READ_CONTENT


def sealed_for(events: list[Event]) -> dict[int, Sealed]:
    """The sealed copies a batch of events carries: messages and broadcasts."""
    return {**messages_for(events), **broadcasts_for(events), **neighbour_alerts_for(events)}


def messages_for(events: list[Event]) -> dict[int, Sealed]:
    """For each event naming a message: its envelope and the devices it is addressed to
    (device recipients, and the holders of a grant of each service key generation named).
    Two or three queries per batch of events, whatever the number of connections."""
    wanted = {
        str(event.payload.get("message")): event
        for event in events
        if event.kind in CONTENT_KINDS and event.payload.get("message")
    }
    if not wanted:
        return {}
    messages = (
        SealedMessage.objects.filter(public_id__in=list(wanted))
        .select_related("incident", "sender_device")
        .prefetch_related(Prefetch("attachments", SealedAttachment.objects.order_by("index")))
    )
    headers = {}
    generations: dict[tuple[int, str], set[int]] = defaultdict(set)
    for message in messages:
        header = json.loads(message.header)
        headers[message] = header
        for recipient in header.get("recipients", []):
            if recipient.get("kind") == "service":
                service, _, number = str(recipient.get("id", "")).partition(":")
                if number.isdigit():
                    generations[(message.incident.commune_id, service)].add(int(number))
    holders: dict[tuple[int, str, int], set[str]] = defaultdict(set)
    for (commune_id, service), numbers in generations.items():
        grants = ServiceKeyGrant.objects.filter(
            service_key__commune_id=commune_id,
            service_key__service=service,
            service_key__number__in=numbers,
        ).values_list("service_key__number", "recipient_device__public_id")
        for generation, device in grants:
            holders[(commune_id, service, int(generation))].add(str(device))
    result = {}
    for message, header in headers.items():
        event = wanted.get(str(message.public_id))
        if event is None or message.incident.commune_id != event.commune_id:
            continue
        recipients: set[str] = set()
        for recipient in header.get("recipients", []):
            if recipient.get("kind") == "device":
                recipients.add(str(recipient.get("id")))
            elif recipient.get("kind") == "service":
                service, _, number = str(recipient.get("id", "")).partition(":")
                if number.isdigit():
                    recipients |= holders[(message.incident.commune_id, service, int(number))]
        result[event.seq] = Sealed(
            incident=str(message.incident.public_id),
            message=str(message.public_id),
            recipients=frozenset(recipients),
            body={**message_out(message), "envelope": wire_of(message)},
        )
    return result


def broadcasts_for(events: list[Event]) -> dict[int, Sealed]:
    """For each `broadcast.sent`: the broadcast as `GET /broadcasts` lists it, and the
    devices holding a grant of the generation it is sealed to (the only ones that can open
    it; the policy's scope bound is the connection's `visible`). Three queries per batch
    (broadcasts with their sender, their attachments, the grants), whatever the number of
    connections or of holders; the body is the same for every holder, rendered once.

    Not access-logged (`access_logged=False`): `GET /broadcasts` writes no entry either, and
    the stream delivers exactly as a fetch does."""
    wanted = {
        event.target_id: event
        for event in events
        if event.kind == Kind.BROADCAST_SENT.value and event.target_id
    }
    if not wanted:
        return {}
    broadcasts = list(
        Broadcast.objects.filter(public_id__in=list(wanted))
        .select_related(
            "group_key", "sender_device", "sender_membership", "sender_membership__shop"
        )
        .prefetch_related(Prefetch("attachments", BroadcastAttachment.objects.order_by("index")))
    )
    holders: dict[int, set[str]] = defaultdict(set)
    grants = GroupKeyGrant.objects.filter(
        group_key_id__in={broadcast.group_key_id for broadcast in broadcasts}
    ).values_list("group_key_id", "recipient_device__public_id")
    for group_key_id, device in grants:
        holders[group_key_id].add(str(device))
    result = {}
    for broadcast in broadcasts:
        event = wanted.get(str(broadcast.public_id))
        if event is None or broadcast.commune_id != event.commune_id:
            continue
        result[event.seq] = Sealed(
            incident="",
            message=str(broadcast.public_id),
            recipients=frozenset(holders[broadcast.group_key_id]),
            body=broadcast_out(broadcast),
            access_logged=False,
        )
    return result


def neighbour_alerts_for(events: list[Event]) -> dict[int, Sealed]:
    """For each neighbour-alert event: the alert as `GET /neighbours/alerts/{id}` returns it
    (its sealed broadcast, and the end's sealed message), for the devices holding a grant
    of the alert's generation; the event's own visibility (the police and the reporting
    shop while it awaits validation, the sector once out) bounds it further. Not logged,
    as broadcasts are not. A refused alert is gone: its event carries nothing."""
    wanted: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        if event.kind in NEIGHBOUR_KINDS and event.target_id:
            wanted[event.target_id].append(event)
    if not wanted:
        return {}
    alerts = list(
        NeighbourAlert.objects.filter(public_id__in=list(wanted))
        .select_related(
            "sector",
            "shop",
            "incident",
            "broadcast__group_key",
            "broadcast__sender_device",
            "broadcast__sender_membership__shop",
            "end_broadcast__group_key",
            "end_broadcast__sender_device",
            "end_broadcast__sender_membership__shop",
        )
        .prefetch_related(
            Prefetch("broadcast__attachments", BroadcastAttachment.objects.order_by("index")),
            Prefetch("end_broadcast__attachments", BroadcastAttachment.objects.order_by("index")),
        )
    )
    holders: dict[int, set[str]] = defaultdict(set)
    grants = GroupKeyGrant.objects.filter(
        group_key_id__in={alert.broadcast.group_key_id for alert in alerts}
    ).values_list("group_key_id", "recipient_device__public_id")
    for group_key_id, device in grants:
        holders[group_key_id].add(str(device))
    result = {}
    for alert in alerts:
        body = alert_out(alert)
        for event in wanted.get(str(alert.public_id), []):
            if alert.commune_id != event.commune_id:
                continue
            result[event.seq] = Sealed(
                incident="",
                message=str(alert.public_id),
                recipients=frozenset(holders[alert.broadcast.group_key_id]),
                body=body,
                access_logged=False,
            )
    return result


def log_deliveries(deliveries: list[tuple[Membership, Device, Sealed]]) -> None:
    """The access-log entries of envelopes delivered through the stream, before they are
    sent: one append for every connection that delivers them at the same moment."""
    record_reads(
        [
            Read(
                membership,
                device,
                sealed.incident,
                Access(sealed.message, ContentAccess.What.ENVELOPE),
            )
            for membership, device, sealed in deliveries
        ]
    )

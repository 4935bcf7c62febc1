"""Shapes of /api/v1/duty: duty hours, fallback recipients, reachability."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from ninja import Field, Schema

from maillage.members.models import Membership
from maillage.schemas import Text


class RangeIO(Schema):
    start: str = Field(description="HH:MM, heure de Paris")
    end: str = Field(description="HH:MM ; pas après le début : le lendemain")


class ExceptionIO(Schema):
    date: str = Field(description="AAAA-MM-JJ")
    closed: bool = False
    ranges: list[RangeIO] = Field(default_factory=list)
    label: Annotated[str, Text(80)] = ""


class ScheduleIn(Schema):
    weekly: dict[str, list[RangeIO]] = Field(description="mon … sun → plages horaires")
    exceptions: list[ExceptionIO] = Field(default_factory=list)


class ScheduleOut(Schema):
    weekly: dict[str, list[RangeIO]]
    exceptions: list[ExceptionIO]
    timezone: str
    default: bool = Field(description="Vrai tant que la commune n'a pas fixé ses horaires")
    on_duty: bool = Field(description="En service à cet instant")


class ReachabilityOut(Schema):
    reachable: bool = Field(description="En service et un opérateur connecté au direct")
    on_duty: bool
    operators_connected: bool
    fallback: bool = Field(description="Des destinataires de repli existent (appareils)")


class PartnerOut(Schema):
    membership: uuid.UUID
    name: str
    status: str


class FallbackIn(Schema):
    recipients: list[uuid.UUID] = Field(max_length=20)


class FallbackOut(Schema):
    recipients: list[PartnerOut]
    candidates: list[PartnerOut]


def partner_out(membership: Membership) -> dict[str, Any]:
    return {
        "membership": membership.public_id,
        "name": membership.person.display_name,
        "status": membership.status,
    }

"""The commune's fallback recipients: partner members whose devices a new report is also
sealed to while the police municipale is not reachable (maillage.duty.reachability).

Only members of a fallback role (access.policy.FALLBACK_RECIPIENT_ROLES: « partenaire »)
can be named: they see nothing of the commune but the reports sealed to them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.db.models import Q

from maillage.access.policy import FALLBACK_RECIPIENT_ROLES, Action
from maillage.access.roles import MembershipStatus
from maillage.duty.models import FallbackRecipient
from maillage.errors import ApiError
from maillage.members.models import Membership
from maillage.stream.action import Actor, action
from maillage.stream.kinds import Kind
from maillage.territory.models import Commune
from maillage.trust.recipients import current_certificates, in_commune

MAX_RECIPIENTS = 20


class FallbackRefused(ApiError):
    status = 400


def candidates(commune: Commune) -> list[Membership]:
    """Members who could be named: the commune's partners, active or awaiting approval."""
    return list(
        Membership.objects.select_related("person")
        .filter(
            commune=commune,
            role__in=FALLBACK_RECIPIENT_ROLES,
            status__in=[MembershipStatus.ACTIVE, MembershipStatus.PENDING],
        )
        .order_by("person__display_name", "pk")
    )


def configured(commune: Commune) -> list[Membership]:
    """The members named, in the order they were added."""
    ids = FallbackRecipient.objects.filter(commune=commune).values_list("membership_id", flat=True)
    by_pk = {m.pk: m for m in Membership.objects.select_related("person").filter(pk__in=ids)}
    return [by_pk[pk] for pk in ids if pk in by_pk]


def active_ids(commune: Commune) -> list[int]:
    """The named members who may receive now (active, of a fallback role)."""
    return list(
        FallbackRecipient.objects.filter(
            commune=commune,
            membership__status=MembershipStatus.ACTIVE,
            membership__role__in=FALLBACK_RECIPIENT_ROLES,
        ).values_list("membership_id", flat=True)
    )


def has_devices(commune: Commune) -> bool:
    """Whether some named member has a device a report can be sealed to now."""
    ids = active_ids(commune)
    if not ids:
        return False
    return bool(current_certificates(in_commune(commune), Q(device__membership__in=ids)))


def set_recipients(actor: Actor, commune: Commune, wanted: Sequence[uuid.UUID]) -> list[Membership]:
    """Replace the list (one `duty.fallback_changed` event; none if nothing changed)."""
    if len(wanted) > MAX_RECIPIENTS:
        raise FallbackRefused(
            "too_many_recipients",
            f"Au plus {MAX_RECIPIENTS} destinataires de repli.",
            field="recipients",
        )
    with action(actor, Action.MANAGE_DUTY, commune, kind=Kind.DUTY_FALLBACK_CHANGED) as act:
        found = {
            m.public_id: m
            for m in Membership.objects.select_related("person").filter(
                commune=commune, public_id__in=list(wanted)
            )
        }
        chosen: list[Membership] = []
        for index, public_id in enumerate(wanted):
            member = found.get(public_id)
            field = f"recipients[{index}]"
            if member is None:
                raise FallbackRefused(
                    "unknown_member", "Membre introuvable dans cette commune.", field=field
                )
            if member.role not in FALLBACK_RECIPIENT_ROLES:
                raise FallbackRefused(
                    "not_partner",
                    "Seul un membre partenaire (centre de supervision) peut recevoir les "
                    "signalements en repli.",
                    field=field,
                )
            if member.status not in (MembershipStatus.ACTIVE, MembershipStatus.PENDING):
                raise FallbackRefused(
                    "member_inactive",
                    "Ce membre est suspendu ou révoqué : il ne peut pas recevoir en repli.",
                    field=field,
                )
            if member not in chosen:
                chosen.append(member)
        before = [m.pk for m in configured(commune)]
        if before == [m.pk for m in chosen]:
            act.unchanged()
            return chosen
        FallbackRecipient.objects.filter(commune=commune).delete()
        FallbackRecipient.objects.bulk_create(
            [FallbackRecipient(commune=commune, membership=m) for m in chosen]
        )
        act.record(commune, {"recipients": [str(m.public_id) for m in chosen]})
    return chosen

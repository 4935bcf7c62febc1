"""The commune's fallback recipients: partner members whose devices a new report is also
sealed to while the police municipale is not reachable (maillage.duty.reachability).

Only members of a fallback role (access.policy.FALLBACK_RECIPIENT_ROLES: « partenaire »)
can be named: they see nothing of the commune but the reports sealed to them.
"""

from __future__ import annotations

from django.db.models import Q

from maillage.access.policy import FALLBACK_RECIPIENT_ROLES
from maillage.access.roles import MembershipStatus
from maillage.duty.models import FallbackRecipient
from maillage.errors import ApiError
from maillage.members.models import Membership
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

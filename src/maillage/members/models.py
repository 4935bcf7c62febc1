"""People, their roles per commune, invitations and the usage charter."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models

from maillage.access.roles import MembershipStatus, Role
from maillage.territory.models import Commune, Shop


class PersonManager(BaseUserManager["Person"]):
    """Django's user manager, for authentication lookups only: a person is created by
    enrolment (`members.actions.enrol_member`), never through the manager."""


class Person(AbstractBaseUser):
    """Someone who signs in with passkeys only; never a password."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    USERNAME_FIELD = "public_id"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = PersonManager()

    def __str__(self) -> str:
        return self.display_name


class Membership(models.Model):
    """A person's role in one commune; a merchant's membership names the shop."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    status = models.CharField(
        max_length=12, choices=MembershipStatus.choices, default=MembershipStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="commercant") | models.Q(shop__isnull=False),
                name="merchant_membership_has_shop",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.get_role_display()} ({self.commune})"


class Invitation(models.Model):
    """A single-use enrolment link; only the SHA-256 of its token is stored."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=20, choices=Role.choices)
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, null=True, blank=True)
    display_name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    membership = models.OneToOneField(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitation"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)


class CharterVersion(models.Model):
    """The usage charter a member accepts before enrolling; each change is a new version."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="charters")
    version = models.PositiveIntegerField()
    text = models.TextField()
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commune", "version"], name="charter_unique_version")
        ]
        ordering = ["-version"]


class CharterAcceptance(models.Model):
    """Proof of which exact charter text a member accepted, and when."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="charter_acceptances"
    )
    charter = models.ForeignKey(CharterVersion, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(auto_now_add=True)


class Passkey(models.Model):
    """A WebAuthn credential; the private key stays in the authenticator."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="passkeys")
    credential_id = models.BinaryField(unique=True)
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)


class MemberSession(models.Model):
    """Which server-side session belongs to which membership and device.

    Suspension and revocation delete these sessions outright, so access ends even for a
    channel that never passes through the middleware again (e.g. an open event stream
    that re-checks its session). The record stays as a tombstone (`ended_at`) so the
    browser's next call can still be told why (401 `access_revoked`). The device is kept
    as a plain id: trust depends on members, not the other way round.
    """

    session_key = models.CharField(max_length=40, unique=True)
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="sessions")
    device_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

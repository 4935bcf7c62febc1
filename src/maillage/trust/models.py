"""Public halves of the commune's trust: root key, device keys, certificates, revocations.

Private keys never reach this table, except the demo root of a demo commune (and the UI
says so): see docs/threat-model.md.
"""

from __future__ import annotations

import uuid

from django.db import models

from maillage.members.models import Membership
from maillage.territory.models import Commune


class CommuneRoot(models.Model):
    commune = models.OneToOneField(Commune, on_delete=models.CASCADE, related_name="root")
    public_key = models.CharField(max_length=64, help_text="Ed25519, base64url")
    fingerprint = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    demo_private_key = models.CharField(
        max_length=64, blank=True, help_text="Only for demo communes."
    )


class DeviceStatus(models.TextChoices):
    PENDING = "pending", "en attente"
    ACTIVE = "active", "certifié"
    SUSPENDED = "suspended", "suspendu"
    REVOKED = "revoked", "révoqué"


class Device(models.Model):
    """One browser or client install, with keys it generated itself."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="devices")
    label = models.CharField(max_length=100)
    enc_public_key = models.CharField(max_length=64, help_text="X25519, base64url")
    sign_public_key = models.CharField(max_length=64, unique=True, help_text="Ed25519, base64url")
    sign_key_fingerprint = models.CharField(
        max_length=64, unique=True, help_text="What certificates name as their issuer"
    )
    status = models.CharField(
        max_length=10, choices=DeviceStatus.choices, default=DeviceStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    certified_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_certified(self) -> bool:
        """Holds a certificate: member endpoints admit its sessions."""
        return self.status == DeviceStatus.ACTIVE

    @property
    def is_withdrawn(self) -> bool:
        """Suspended or revoked: its sessions end (members/sessions.py asks, without
        importing trust/)."""
        return self.status in {DeviceStatus.SUSPENDED, DeviceStatus.REVOKED}


class DeviceCertificate(models.Model):
    """A certificate exactly as signed: canonical body bytes plus the issuer's signature."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="certificates")
    serial = models.CharField(max_length=64, unique=True)
    body = models.TextField(help_text="Canonical JSON, as signed")
    signature = models.CharField(max_length=128, help_text="Ed25519, base64url")
    issuer_fingerprint = models.CharField(max_length=64)
    issuer_certificate = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The issuing device's certificate; empty when the root signed",
    )
    may_certify = models.BooleanField(default=False)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The approving coordinator; empty when certified with the root (CLI, demo)",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["-issued_at"]


class RevocationList(models.Model):
    """Signed, numbered lists; a client refuses any list older than one it has seen."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="revocation_lists")
    number = models.PositiveIntegerField()
    body = models.TextField(help_text="Canonical JSON, as signed")
    signature = models.CharField(max_length=128)
    signer_fingerprint = models.CharField(max_length=64)
    signer_certificate = models.ForeignKey(
        DeviceCertificate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The signing device's certificate; empty when the root signed",
    )
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commune", "number"], name="revocation_unique_number")
        ]
        ordering = ["-number"]


class ServiceKey(models.Model):
    """One generation of a commune's service key pair: only the public half, as signed.

    The private half lives on operator devices and travels between them in grants
    (docs/envelope.md, "Police service key"); the server never sees it.
    """

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="service_keys")
    service = models.CharField(max_length=20, default="police")
    number = models.PositiveIntegerField()
    public_key = models.CharField(max_length=64, help_text="X25519, base64url")
    body = models.TextField(help_text="Canonical JSON, as signed")
    signature = models.CharField(max_length=128)
    signer_device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")
    signer_certificate = models.ForeignKey(
        DeviceCertificate,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The signing device's certificate when it published the key",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "service", "number"], name="service_key_unique_number"
            )
        ]
        ordering = ["-number"]


class ServiceKeyGrant(models.Model):
    """A service private key wrapped (HPKE) for one operator device, signed by a holder."""

    service_key = models.ForeignKey(ServiceKey, on_delete=models.CASCADE, related_name="grants")
    recipient_device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="service_key_grants"
    )
    granter_device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")
    granter_certificate = models.ForeignKey(
        DeviceCertificate,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The granting device's certificate when it signed the grant",
    )
    body = models.TextField(help_text="Canonical JSON, as signed")
    signature = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service_key", "recipient_device"], name="service_key_grant_unique"
            )
        ]


class GroupKey(models.Model):
    """One generation of a broadcast group key of a scope (`commune` or `sector:<id>`):
    only the public half, as signed by an operator device.

    The private half travels in grants to the scope's member devices (docs/envelope.md,
    "Broadcasts and group keys"); the server never sees it. `sector` repeats the scope
    for the access policy (a merchant reads its own sector's key only).
    """

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="group_keys")
    scope = models.CharField(max_length=80)
    sector = models.ForeignKey(
        "territory.Sector", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    number = models.PositiveIntegerField()
    public_key = models.CharField(max_length=64, help_text="X25519, base64url")
    body = models.TextField(help_text="Canonical JSON, as signed")
    signature = models.CharField(max_length=128)
    signer_device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")
    signer_certificate = models.ForeignKey(
        DeviceCertificate,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The signing device's certificate when it published the generation",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "scope", "number"], name="group_key_unique_number"
            )
        ]
        ordering = ["-number"]


class GroupKeyGrant(models.Model):
    """A group private key wrapped (HPKE) for one member device, signed by an operator
    device holding that generation."""

    group_key = models.ForeignKey(GroupKey, on_delete=models.CASCADE, related_name="grants")
    recipient_device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="group_key_grants"
    )
    granter_device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")
    granter_certificate = models.ForeignKey(
        DeviceCertificate,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The granting device's certificate when it signed the grant",
    )
    body = models.TextField(help_text="Canonical JSON, as signed")
    signature = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group_key", "recipient_device"], name="group_key_grant_unique"
            )
        ]

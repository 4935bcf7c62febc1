"""Roles per commune and a membership's status: the vocabulary of the access policy."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    MERCHANT = "commercant", "commerçant"
    COORDINATOR = "coordinateur", "coordinateur"
    OPERATOR = "operateur", "opérateur"
    AGENT = "agent", "agent"
    REFERENT = "referent", "référent"
    OBSERVER = "observateur", "observateur"
    DPO = "dpo", "DPO"
    # A partner service the commune names as its fallback (an intercommunal supervision
    # centre): it receives only the reports sealed to it while the police municipale is
    # not reachable (docs/decisions.md, "Duty hours and fallback").
    PARTNER = "partenaire", "partenaire"


class MembershipStatus(models.TextChoices):
    PENDING = "pending", "en attente"
    ACTIVE = "active", "actif"
    SUSPENDED = "suspended", "suspendu"
    REVOKED = "revoked", "révoqué"

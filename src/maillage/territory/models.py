"""The territory: département → commune (the tenant) → secteur → commerce."""

from __future__ import annotations

import uuid

from django.db import models


class Departement(models.Model):
    code = models.CharField(max_length=3, unique=True)
    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Commune(models.Model):
    """The tenant: every piece of data belongs to exactly one commune."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    insee_code = models.CharField(max_length=5, unique=True)
    departement = models.ForeignKey(Departement, on_delete=models.PROTECT, related_name="communes")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    is_demo = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Sector(models.Model):
    """A part of the commune. Its `neighbours` (declared by the mairie, both ways) widen
    what its shops receive: a sector's alerts and messages reach the shops of the sectors
    that neighbour it too (docs/decisions.md, "Neighbouring sectors")."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="sectors")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60)
    geojson = models.JSONField(null=True, blank=True)
    neighbours = models.ManyToManyField(
        "self",
        symmetrical=True,
        blank=True,
        help_text="Sectors whose shops also receive this sector's alerts and messages",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commune", "slug"], name="sector_unique_slug"),
            models.UniqueConstraint(fields=["commune", "name"], name="sector_unique_name"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Shop(models.Model):
    """A commerce. SIRET is unique nationally, so unique across the whole deployment."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="shops")
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="shops")
    enseigne = models.CharField(max_length=200)
    raison_sociale = models.CharField(max_length=200)
    siret = models.CharField(max_length=14, unique=True)
    address = models.CharField(max_length=300)
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    activity = models.CharField(max_length=120, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["enseigne"]

    def __str__(self) -> str:
        return self.enseigne

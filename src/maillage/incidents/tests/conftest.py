from __future__ import annotations

from pathlib import Path

import pytest

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.territory.models import Commune


@pytest.fixture
def media(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """MEDIA_ROOT in a fresh folder, so a test sees exactly the files it caused."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root  # type: ignore[attr-defined]
    return root


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


@pytest.fixture
def merchant(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.MERCHANT, commune, name="Commerçante")


@pytest.fixture
def operator(commune: Commune) -> factory.Persona:
    return factory.make_member(Role.OPERATOR, commune, name="Opérateur CSU")

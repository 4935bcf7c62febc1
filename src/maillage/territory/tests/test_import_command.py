"""`maillage import-shops FILE.csv --commune SLUG`."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from maillage.cli import main
from maillage.territory.models import Shop
from maillage.territory.tests.factory import make_commune, make_sector, valid_siret

pytestmark = pytest.mark.django_db

HEADER = "enseigne;raison_sociale;siret;adresse;latitude;longitude;secteur;activite\n"


@pytest.fixture(autouse=True)
def keep_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """run_from_argv closes every connection when done, which would end the test's."""
    monkeypatch.setattr(connections, "close_all", lambda: None)


@pytest.fixture
def commune_slug() -> str:
    commune = make_commune(slug="mantes")
    make_sector(commune, name="Gare")
    return commune.slug


def write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "commerces.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def shop_row(sector: str = "Gare") -> str:
    return f"Tabac de la Gare;SNC TABAC;{valid_siret()};1 avenue de la Gare;48.99;1.71;{sector};\n"


def test_it_imports_through_the_dashed_command_name(
    tmp_path: Path, commune_slug: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, shop_row(), shop_row())

    main(["import-shops", str(path), "--commune", commune_slug])

    assert capsys.readouterr().out.strip() == "2 commerces importés."
    assert Shop.objects.count() == 2


def test_it_fails_with_the_french_report(
    tmp_path: Path, commune_slug: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, shop_row(), shop_row("Gare Nord"))

    with pytest.raises(CommandError) as failed:
        call_command("import_shops", str(path), commune=commune_slug)

    assert str(failed.value) == "Import refusé : 1 ligne en erreur, aucun commerce enregistré."
    assert "Ligne 3 : secteur « Gare Nord » inconnu" in capsys.readouterr().err
    assert not Shop.objects.exists()


def test_it_exits_non_zero_from_the_command_line(tmp_path: Path, commune_slug: str) -> None:
    path = write(tmp_path, shop_row("Gare Nord"))
    with pytest.raises(SystemExit) as exited:
        main(["import-shops", str(path), "--commune", commune_slug])
    assert exited.value.code != 0


def test_it_names_an_unknown_commune(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Commune « nulle-part » introuvable"):
        call_command("import_shops", str(write(tmp_path)), commune="nulle-part")

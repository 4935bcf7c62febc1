"""The mairie's CSV import: every row checked, all stored or none."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage.stream.action import CLI
from maillage.territory.actions import import_shops
from maillage.territory.csv_import import validate_shops_csv
from maillage.territory.models import Commune, Shop
from maillage.territory.tests.factory import make_commune, make_sector, make_shop, valid_siret

pytestmark = pytest.mark.django_db

HEADER = "enseigne;raison_sociale;siret;adresse;latitude;longitude;secteur;activite"


def row(enseigne: str = "Pharmacie des Tilleuls", **values: str) -> str:
    fields = {
        "raison_sociale": "SELARL TILLEULS",
        "siret": valid_siret(),
        "adresse": "4 rue des Tilleuls, 78200 Mantes-la-Jolie",
        "latitude": "48.990100",
        "longitude": "1.717200",
        "secteur": "Centre-ville",
        "activite": "pharmacie",
    }
    fields.update(values)
    return ";".join([enseigne, *(fields[name] for name in list(fields))])


def csv_of(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


@pytest.fixture
def commune() -> Commune:
    commune = make_commune()
    make_sector(commune, name="Centre-ville")
    make_sector(commune, name="Gare")
    return commune


def messages(commune: Commune, data: bytes | str) -> list[str]:
    result = import_shops(CLI, commune, data)
    assert result.created == 0
    return result.report_lines()


def test_it_imports_every_row_of_a_valid_file(commune: Commune) -> None:
    data = "\ufeff".encode() + csv_of(row("Boulangerie du Marché"), row(secteur="gare"))

    result = import_shops(CLI, commune, data)

    assert result.ok
    assert result.created == 2
    assert result.summary == "2 commerces importés."
    shop = Shop.objects.get(enseigne="Boulangerie du Marché")
    assert (shop.commune, shop.sector.name, shop.activity) == (commune, "Centre-ville", "pharmacie")
    assert str(shop.latitude) == "48.990100"


def test_it_stores_nothing_when_one_row_among_valid_ones_is_bad(commune: Commune) -> None:
    make_shop(commune)
    before = Shop.objects.count()
    data = csv_of(row(), row(), row(siret="123"), row(), row())

    result = import_shops(CLI, commune, data)

    assert not result.ok
    assert result.created == 0
    assert result.report_lines() == ["Ligne 4 : SIRET 123 invalide (14 chiffres attendus)"]
    assert [(error.line, error.field) for error in result.errors] == [(4, "siret")]
    assert Shop.objects.count() == before


def test_it_reports_an_unknown_sector(commune: Commune) -> None:
    lines = messages(commune, csv_of(row(), row(secteur="Gare Nord")))
    assert lines == ["Ligne 3 : secteur « Gare Nord » inconnu"]


def test_it_matches_sectors_by_name_in_any_case_or_by_slug(commune: Commune) -> None:
    result = import_shops(CLI, commune, csv_of(row(secteur="CENTRE-VILLE"), row(secteur=" gare ")))
    assert result.created == 2


def test_it_reports_a_siret_repeated_in_the_file(commune: Commune) -> None:
    siret = valid_siret()
    lines = messages(commune, csv_of(row(), row(siret=siret), row(), row(siret=siret)))
    assert lines == ["Ligne 5 : SIRET en double (déjà ligne 3)"]


def test_it_reports_a_siret_already_registered(commune: Commune) -> None:
    shop = make_shop(commune)
    lines = messages(commune, csv_of(row(), row(siret=shop.siret)))
    assert lines == ["Ligne 3 : SIRET déjà enregistré"]


def test_it_reports_a_siret_registered_in_another_commune(commune: Commune) -> None:
    elsewhere = make_shop(make_commune())
    assert messages(commune, csv_of(row(siret=elsewhere.siret))) == [
        "Ligne 2 : SIRET déjà enregistré"
    ]


def test_it_reports_a_wrong_check_key(commune: Commune) -> None:
    assert messages(commune, csv_of(row(siret="44306184100048"))) == [
        "Ligne 2 : SIRET 44306184100048 invalide (clé de contrôle)"
    ]


def test_it_reports_missing_coordinates(commune: Commune) -> None:
    lines = messages(commune, csv_of(row(), row(), row(), row(latitude="", longitude=" ")))
    assert lines == ["Ligne 5 : coordonnées manquantes"]


def test_it_reports_coordinates_out_of_range_or_unreadable(commune: Commune) -> None:
    lines = messages(
        commune,
        csv_of(
            row(latitude="91"), row(longitude="-180.5"), row(latitude="nord"), row(longitude="")
        ),
    )
    assert lines == [
        "Ligne 2 : latitude 91 hors limites (entre -90 et 90)",
        "Ligne 3 : longitude -180.5 hors limites (entre -180 et 180)",
        "Ligne 4 : latitude « nord » illisible",
        "Ligne 5 : longitude manquante",
    ]


def test_it_reports_a_missing_enseigne(commune: Commune) -> None:
    assert messages(commune, csv_of(row(""))) == ["Ligne 2 : enseigne manquante"]


def test_it_puts_every_problem_of_a_row_on_one_line(commune: Commune) -> None:
    result = import_shops(CLI, commune, csv_of(row("", siret="123", secteur="Nulle part")))
    assert result.report_lines() == [
        "Ligne 2 : enseigne manquante ; SIRET 123 invalide (14 chiffres attendus) ; "
        "secteur « Nulle part » inconnu"
    ]
    assert [error.field for error in result.errors] == ["enseigne", "siret", "sector"]


def test_it_reports_missing_header_columns(commune: Commune) -> None:
    lines = messages(commune, csv_of("Pharmacie;x", header="enseigne;siret;adresse;secteur"))
    assert lines == [
        "Ligne 1 : colonnes manquantes : latitude, longitude (colonnes attendues : enseigne, "
        "raison_sociale, siret, adresse, latitude, longitude, secteur, activite)"
    ]


def test_it_reads_commas_french_headers_and_decimal_commas(commune: Commune) -> None:
    text = (
        "Enseigne,Raison sociale,SIRET,Adresse,Latitude,Longitude,Secteur,Activité\r\n"
        f'"Café de la Gare, chez Momo",SARL MOMO,{valid_siret()},"1 place de l\'Europe",'
        '"48,9891","1,7050",Gare,café-bar\r\n'
    )
    result = import_shops(CLI, commune, text.encode())
    assert result.created == 1
    shop = Shop.objects.get(enseigne="Café de la Gare, chez Momo")
    assert (str(shop.latitude), shop.activity) == ("48.989100", "café-bar")


def test_it_skips_blank_rows_and_keeps_file_line_numbers(commune: Commune) -> None:
    lines = messages(commune, csv_of(row(), ";;;;;;;", "", row(secteur="Inconnu")))
    assert lines == ["Ligne 5 : secteur « Inconnu » inconnu"]


def test_it_counts_lines_from_where_a_quoted_multiline_record_starts(commune: Commune) -> None:
    multiline = row('"Tabac\nPresse"')
    lines = messages(commune, csv_of(multiline, row(secteur="Inconnu")))
    assert lines == [
        "Ligne 2 : enseigne : caractère de contrôle interdit (U+000A, saut de ligne)",
        "Ligne 4 : secteur « Inconnu » inconnu",
    ]


def test_it_refuses_a_file_that_is_not_utf8(commune: Commune) -> None:
    data = (HEADER + "\n" + row("Boucherie Lefèvre") + "\n").encode("cp1252")
    [line] = messages(commune, data)
    assert line.startswith("Le fichier n'est pas encodé en UTF-8")


def test_it_refuses_an_empty_file_or_a_header_alone(commune: Commune) -> None:
    assert messages(commune, b"") == ["Le fichier est vide"]
    assert messages(commune, csv_of()) == ["Le fichier ne contient aucun commerce"]


def test_it_summarises_a_rejection(commune: Commune) -> None:
    result = import_shops(CLI, commune, csv_of(row(siret="1"), row(), row(siret="2")))
    assert result.summary == "Import refusé : 2 lignes en erreur, aucun commerce enregistré."


shop_values = st.fixed_dictionaries(
    {
        "enseigne": st.text(
            alphabet=st.characters(categories=["L", "N", "Zs", "P"], exclude_characters="\x85"),
            min_size=1,
            max_size=40,
        ).filter(lambda text: text.strip() != "" and not text.lstrip(" ").startswith(("-", "@"))),
        "latitude": st.decimals(-90, 90, places=6),
        "longitude": st.decimals(-180, 180, places=6),
        "secteur": st.sampled_from(["Centre-ville", "centre-ville", "GARE", "gare"]),
    }
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    shops=st.lists(shop_values, min_size=1, max_size=8),
    delimiter=st.sampled_from([";", ","]),
    bom=st.booleans(),
)
def test_it_accepts_any_well_formed_file(
    commune: Commune, shops: list[dict[str, object]], delimiter: str, bom: bool
) -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(HEADER.split(";"))
    sirets = []
    for values in shops:
        sirets.append(valid_siret())
        writer.writerow(
            [
                values["enseigne"],
                "",
                sirets[-1],
                "1 rue Nationale",
                values["latitude"],
                values["longitude"],
                values["secteur"],
                "",
            ]
        )
    data = ("\ufeff" if bom else "") + buffer.getvalue()

    rows, errors = validate_shops_csv(commune, data.encode())

    assert errors == []
    assert [parsed.siret for parsed in rows] == sirets
    assert [parsed.enseigne for parsed in rows] == [
        " ".join(str(values["enseigne"]).split()) for values in shops
    ]


def test_it_stores_nothing_when_a_concurrent_write_takes_a_siret(
    commune: Commune, monkeypatch: pytest.MonkeyPatch
) -> None:
    from maillage.territory import actions

    siret = valid_siret()
    real_validate = actions.validate_shops_csv
    calls: list[int] = []

    def validate_then_race(*args: object) -> object:
        rows, errors = real_validate(*args)  # type: ignore[arg-type]
        if not calls:
            make_shop(commune, siret=siret)
        calls.append(1)
        return rows, errors

    monkeypatch.setattr(actions, "validate_shops_csv", validate_then_race)
    before = Shop.objects.count()

    result = import_shops(CLI, commune, csv_of(row(), row(siret=siret)))

    # The simulated writer ran inside the import's transaction, so it was rolled back too.
    assert result.report_lines() == ["Conflit avec un enregistrement simultané, réessayez"]
    assert len(calls) == 2
    assert Shop.objects.count() == before

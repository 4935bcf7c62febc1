"""Clean text: control and bidirectional characters, e-mail addresses, over-long values and
spreadsheet formulas are refused with a French reason, through the API and the CSV import,
and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from maillage.members.models import Invitation, Role
from maillage.members.tests import factory
from maillage.stream.action import CLI
from maillage.territory.actions import import_shops
from maillage.territory.models import Shop
from maillage.territory.tests.factory import make_sector, valid_siret
from maillage.wire import text

FORBIDDEN = {
    "CR": "\r",
    "LF": "\n",
    "ESC": "\x1b",
    "BEL": "\x07",
    "NUL": "\x00",
    "TAB": "\t",
    "DEL": "\x7f",
    "RLO": "\u202e",
    "LRE": "\u202a",
    "PDF": "\u202c",
    "LRI": "\u2066",
    "PDI": "\u2069",
}


@pytest.mark.parametrize("char", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_the_rule_refuses_control_and_bidi_characters(char: str) -> None:
    with pytest.raises(text.TextProblem) as refused:
        text.check_text(f"Jean{char}Dupont")
    assert refused.value.code == "control_character"
    assert f"U+{ord(char):04X}" in refused.value.sentence


def test_the_rule_keeps_ordinary_french_text_as_is() -> None:
    name = "Boulangerie « L'Épi d'or » – Saint-Étienne, 2ᵉ étage 😀 عربي"
    assert text.check_text(name, max_length=200) == name
    assert text.check_text("Ligne 1\n\tLigne 2", multiline=True) == "Ligne 1\n\tLigne 2"
    with pytest.raises(text.TextProblem):
        text.check_text("Ligne 1\r\nLigne 2", multiline=True)


def test_the_rule_says_a_value_is_too_long() -> None:
    with pytest.raises(text.TextProblem) as refused:
        text.check_text("a" * 151, max_length=150)
    assert refused.value.sentence == "Texte trop long : 150 caractères au plus, 151 reçus."


@pytest.mark.parametrize(
    "address",
    ["marie@mairie-mantes.fr", "jean.dupont+police@exemple.fr", "  a@B.Example.COM "],
)
def test_plain_email_addresses_are_accepted(address: str) -> None:
    assert "@" in text.check_email(address)


@pytest.mark.parametrize(
    "address",
    ["marie", "marie@", "@mairie.fr", "marie@mairie", "ma rie@mairie.fr", "a@b..fr", "a@-b.fr"],
)
def test_malformed_email_addresses_are_refused(address: str) -> None:
    with pytest.raises(text.TextProblem) as refused:
        text.check_email(address)
    assert refused.value.code == "invalid_email"


@pytest.mark.parametrize("cell", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "  =HYPERLINK()"])
def test_formula_cells_are_detected_and_neutralised(cell: str) -> None:
    assert text.is_formula(cell)
    with pytest.raises(text.TextProblem):
        text.check_cell(cell)
    assert text.neutralise_cell(cell) == "'" + cell
    assert not text.is_formula(text.neutralise_cell(cell))


def test_numbers_are_data_in_numeric_columns_only() -> None:
    assert text.check_cell("-1.5520", number_allowed=True) == "-1.5520"
    assert text.check_cell("+48,99", number_allowed=True) == "+48,99"
    assert text.neutralise_cell("-1.5", number_allowed=True) == "-1.5"
    assert text.is_formula("-1.5")
    assert text.is_formula("-1+cmd", number_allowed=True)
    assert text.neutralise_cell("Pharmacie") == "Pharmacie"


# --- through the API and the import ---------------------------------------------------


@pytest.fixture
def coordinator() -> factory.Persona:
    return factory.make_member(Role.COORDINATOR, factory.make_commune())


def post(client: Client, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data=data, content_type="application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("char", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_an_invitation_name_with_a_control_character_is_refused(
    coordinator: factory.Persona, char: str
) -> None:
    before = Invitation.objects.count()
    response = post(
        coordinator.client(),
        "/api/v1/invitations",
        {"role": Role.OPERATOR, "display_name": f"Jean{char}Dupont"},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "control_character"
    assert body["field"] == "display_name"
    assert body["message"].startswith("Caractère")  # NUL is stopped by the JSON parser already
    assert f"U+{ord(char):04X}" in body["message"]
    assert Invitation.objects.count() == before


@pytest.mark.django_db
def test_an_invitation_email_is_validated_and_a_long_name_says_so(
    coordinator: factory.Persona,
) -> None:
    client = coordinator.client()
    before = Invitation.objects.count()
    response = post(
        client,
        "/api/v1/invitations",
        {"role": Role.OPERATOR, "display_name": "Jean", "email": "jean@mairie"},
    )
    assert (response.status_code, response.json()["code"]) == (422, "invalid_email")
    assert response.json()["message"] == "Adresse e-mail « jean@mairie » invalide."
    response = post(
        client, "/api/v1/invitations", {"role": Role.OPERATOR, "display_name": "J" * 151}
    )
    assert (response.status_code, response.json()["code"]) == (422, "too_long")
    assert "150 caractères au plus" in response.json()["message"]
    assert Invitation.objects.count() == before
    response = post(
        client,
        "/api/v1/invitations",
        {"role": Role.OPERATOR, "display_name": "Jean", "email": "Jean@Mairie.FR"},
    )
    assert response.status_code == 201
    assert Invitation.objects.get(public_id=response.json()["id"]).email == "Jean@mairie.fr"


@pytest.mark.django_db
def test_a_device_label_with_a_bidi_override_is_refused(coordinator: factory.Persona) -> None:
    _, _, enc, sign = factory.new_keys()
    response = post(
        coordinator.client(),
        "/api/v1/devices",
        {"label": "Téléphone \u202egpj.exe", "enc_key": enc, "sign_key": sign},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "control_character"
    assert response.json()["field"] == "label"


@pytest.mark.django_db
def test_a_shop_with_an_escape_sequence_is_refused(coordinator: factory.Persona) -> None:
    sector = make_sector(coordinator.commune, name="Centre")
    response = post(
        coordinator.client(),
        "/api/v1/territory/shops",
        {
            "enseigne": "Boucherie\x1b[2J",
            "siret": valid_siret(),
            "address": "1 rue de la Gare",
            "latitude": "48.99",
            "longitude": "1.71",
            "sector": sector.pk,
        },
    )
    assert response.status_code == 422
    assert "caractère de contrôle interdit (U+001B, échappement)" in response.json()["message"]
    assert not Shop.objects.filter(commune=coordinator.commune).exists()


HEADER = "enseigne;raison_sociale;siret;adresse;latitude;longitude;secteur;activite"


@pytest.mark.django_db
def test_the_import_refuses_formula_cells_line_by_line_and_keeps_signed_coordinates() -> None:
    commune = factory.make_commune()
    make_sector(commune, name="Centre")
    rows = [
        f"Pharmacie;SELARL;{valid_siret()};1 rue A;48.99;-1.71;Centre;pharmacie",
        f'=HYPERLINK("http://x");SARL;{valid_siret()};2 rue B;48.99;1.71;Centre;café',
        f"Tabac;SAS;{valid_siret()};@SUM(A1);48.99;1.71;Centre;-tabac",
        f"Fleurs;SAS;{valid_siret()};3 rue C;=1+1;1.71;Centre;fleurs",
    ]
    result = import_shops(CLI, commune, "\n".join([HEADER, *rows]) + "\n")
    assert result.created == 0
    report = result.report_lines()
    assert len(report) == 3
    assert report[0].startswith("Ligne 3 : enseigne : valeur « =HYPERLINK")
    assert "serait exécutée comme une formule par un tableur" in report[0]
    assert report[1].startswith("Ligne 4 : adresse : valeur « @SUM(A1) »")
    assert "activite : valeur « -tabac »" in report[1]
    assert report[2].startswith("Ligne 5 : latitude : valeur « =1+1 »")
    assert not Shop.objects.filter(commune=commune).exists()

    good = import_shops(CLI, commune, "\n".join([HEADER, rows[0]]) + "\n")
    assert good.created == 1
    assert str(Shop.objects.get(commune=commune).longitude) == "-1.710000"

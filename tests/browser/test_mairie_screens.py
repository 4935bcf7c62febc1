"""The mairie's daily screens in Chromium (issue 9, item 7), signed in as a real coordinator
(enrolled through her link, device certified by the root, as in test_enrolment.py):

1. the shop list of 140 shops: search as one types, sector filter, count in a live region;
   add a shop with a bad SIRET (French error, nothing stored), then a good one; edit it;
   import a CSV with one bad line (line-by-line report, nothing stored), then a good one;
2. the invitation form's shop picker (part of a name typed, keyboard into the list); the
   invited shopkeeper enrols, his device is approved, listed on his page and revoked there
   (the revocation list signed in the coordinator's browser);
3. the charter edited and published as version 2, listed with version 1.

Every new page passes the accessibility audit (tests/browser/a11y.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from maillage.incidents import alert_settings
from maillage.incidents.models import AlertSettings
from maillage.members.models import CharterVersion, Membership
from maillage.stream.kinds import Kind
from maillage.stream.models import Event
from maillage.territory.models import Commune, Sector, Shop
from maillage.territory.tests.factory import make_sector, make_shop, valid_siret
from maillage.trust.models import Device, DeviceStatus, RevocationList

from .a11y import audit
from .conftest import PHONE, PersonFactory, save_screenshot
from .test_enrolment import (  # noqa: F401  (the fixture is used by name)
    MERCHANT,
    SECTOR,
    SHOP,
    Mairie,
    approve,
    certified_coordinator,
    enrol_through_link,
    mairie,
    open_coordination,
    root_certify,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GARE = "Gare"
CSV_HEADER = "enseigne;raison_sociale;siret;adresse;latitude;longitude;secteur;activite\n"


def seed_shops(commune: Commune, centre: Sector, gare: Sector) -> None:
    """139 more shops (140 with the fixture's): the commune's list today."""
    make_shop(
        commune,
        gare,
        enseigne="Pharmacie de la Gare",
        address="1 place de la Gare",
        activity="pharmacie",
    )
    make_shop(
        commune, gare, enseigne="Tabac du Marché", address="2 place du Marché", activity="tabac"
    )
    for number in range(137):
        make_shop(
            commune,
            centre if number % 2 else gare,
            enseigne=f"Commerce {number:03d}",
            address="rue Nationale, Mantes-la-Jolie",
            activity="commerce de détail",
        )


def expect_count(page: Page, text: str) -> None:
    expect(page.locator("#shops-count")).to_have_text(text)


def shop_rows(page: Page) -> list[str]:
    return page.locator("#shops-table tbody th").all_inner_texts()


def test_shop_list_search_filter_add_edit_and_csv_import(
    open_browser: PersonFactory,
    app_url: str,
    mairie: Mairie,  # noqa: F811  (the fixture of test_enrolment.py)
    tmp_path: Path,
) -> None:
    commune = mairie.commune
    centre = mairie.shop.sector
    gare = make_sector(commune, name=GARE)
    seed_shops(commune, centre, gare)
    assert Shop.objects.filter(commune=commune).count() == 140
    claire = certified_coordinator(open_browser, mairie, app_url)
    page = claire.page

    # --- the list: 140 shops, searched as one types, filtered by sector -----------------
    page.get_by_role("navigation", name="Écrans de la mairie").get_by_role(
        "link", name="Commerces"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Commerces")
    table = page.get_by_role("table", name="Commerces de la commune")
    expect(table).to_be_visible()
    expect_count(page, "140 commerces.")
    assert table.get_by_role("columnheader").all_inner_texts() == [
        "Enseigne",
        "Secteur",
        "Adresse",
        "SIRET",
        "Activité",
        "Actions",
    ]
    assert audit(page) == []
    save_screenshot(page, "mairie-commerces", tmp_path)

    page.get_by_label("Rechercher", exact=True).fill("marche")
    expect_count(page, "2 commerces sur 140.")
    assert sorted(shop_rows(page)) == ["Boulangerie du Marché", "Tabac du Marché"]
    page.get_by_label("Secteur", exact=True).select_option(label=GARE)
    expect_count(page, "1 commerce sur 140.")
    assert shop_rows(page) == ["Tabac du Marché"]
    page.get_by_label("Rechercher", exact=True).fill("")
    expect_count(page, "71 commerces sur 140.")  # 2 named + 69 of the 137 numbered
    page.get_by_label("Rechercher", exact=True).fill("introuvable")
    expect_count(page, "Aucun commerce sur 140.")
    expect(page.get_by_text("Aucun commerce ne correspond.")).to_be_visible()

    # --- add a shop: a bad SIRET is refused in French and nothing is stored ------------
    page.get_by_role("link", name="Ajouter un commerce").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ajouter un commerce")
    page.get_by_role("button", name="Enregistrer le commerce").click()
    expect(page.get_by_role("alert")).to_contain_text("Corrigez les champs signalés")
    expect(page.get_by_text("Indiquez l'enseigne.")).to_be_visible()
    good = valid_siret(9_000_001)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    page.get_by_label("Enseigne", exact=True).fill("Épicerie des Halles")
    page.get_by_label("SIRET", exact=True).fill(bad)
    page.get_by_label("Adresse", exact=True).fill("4 rue des Halles, 78200 Mantes-la-Jolie")
    page.get_by_label("Latitude", exact=True).fill("48,9902")
    page.get_by_label("Longitude", exact=True).fill("1,7185")
    page.get_by_label("Secteur du commerce").select_option(label=SECTOR)
    page.get_by_role("button", name="Enregistrer le commerce").click()
    message = f"SIRET {bad} invalide (clé de contrôle)."
    expect(page.get_by_role("alert")).to_contain_text(message)
    siret_field = page.get_by_label("SIRET", exact=True)
    expect(siret_field).to_have_attribute("aria-invalid", "true")
    expect(siret_field).to_be_focused()
    assert not Shop.objects.filter(enseigne="Épicerie des Halles").exists()
    assert Shop.objects.filter(commune=commune).count() == 140
    assert audit(page) == []

    siret_field.fill(good)
    page.get_by_role("button", name="Enregistrer le commerce").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Commerces")
    expect(
        page.get_by_role("status").filter(has_text="Commerce « Épicerie des Halles » enregistré.")
    ).to_be_visible()
    expect_count(page, "141 commerces.")
    added = Shop.objects.get(siret=good)
    assert (added.enseigne, added.sector, str(added.latitude)) == (
        "Épicerie des Halles",
        centre,
        "48.990200",
    )

    # --- edit it: new name, other sector; one shop.updated event ------------------------
    page.get_by_label("Rechercher", exact=True).fill("halles")
    expect_count(page, "1 commerce sur 141.")
    page.get_by_role("link", name="Modifier Épicerie des Halles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Modifier un commerce")
    expect(page.get_by_label("SIRET", exact=True)).to_have_value(good)
    page.get_by_label("Enseigne", exact=True).fill("Épicerie fine des Halles")
    page.get_by_label("Secteur du commerce").select_option(label=GARE)
    assert audit(page) == []
    page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(
        page.get_by_role("status").filter(has_text="Commerce « Épicerie fine des Halles » modifié.")
    ).to_be_visible()
    added.refresh_from_db()
    assert (added.enseigne, added.sector) == ("Épicerie fine des Halles", gare)
    [event] = Event.objects.filter(commune=commune, kind=Kind.SHOP_UPDATED)
    assert event.payload["changed"] == ["enseigne", "sector"]

    # --- CSV import: one bad line refuses the whole file, line by line -----------------
    page.get_by_role("link", name="Importer une liste CSV").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer des commerces")
    assert audit(page) == []
    first, second = valid_siret(9_000_002), valid_siret(9_000_003)
    broken = second[:-1] + str((int(second[-1]) + 1) % 10)
    rejected = tmp_path / "commerces-erreur.csv"
    rejected.write_text(
        CSV_HEADER
        + f"Fleurs du Pont;SARL FLEURS;{first};1 quai de la Seine;48.99;1.71;{SECTOR};fleuriste\n"
        + f"Cordonnerie Lenoir;;{broken};3 rue Thiers;48.99;1.72;{GARE};cordonnerie\n",
        encoding="utf-8",
    )
    page.get_by_label("Fichier CSV").set_input_files(str(rejected))
    page.get_by_role("button", name="Importer le fichier").click()
    report = page.get_by_role("alert").filter(has_text="Fichier refusé")
    expect(report).to_contain_text("Import refusé : 1 ligne en erreur, aucun commerce enregistré.")
    expect(report.get_by_role("listitem")).to_have_text(
        [f"Ligne 3 : SIRET {broken} invalide (clé de contrôle)"]
    )
    expect(report).to_be_focused()
    assert not Shop.objects.filter(siret__in=[first, broken]).exists()
    assert Shop.objects.filter(commune=commune).count() == 141
    assert audit(page) == []
    save_screenshot(page, "mairie-import-refuse", tmp_path)

    accepted = tmp_path / "commerces.csv"
    accepted.write_text(
        CSV_HEADER
        + f"Fleurs du Pont;SARL FLEURS;{first};1 quai de la Seine;48.99;1.71;{SECTOR};fleuriste\n"
        + f"Cordonnerie Lenoir;;{second};3 rue Thiers;48,99;1,72;{GARE};cordonnerie\n",
        encoding="utf-8",
    )
    page.get_by_label("Fichier CSV").set_input_files(str(accepted))
    page.get_by_role("button", name="Importer le fichier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Commerces")
    expect(page.get_by_role("status").filter(has_text="2 commerces importés.")).to_be_visible()
    expect_count(page, "143 commerces.")
    assert set(
        Shop.objects.filter(siret__in=[first, second]).values_list("enseigne", flat=True)
    ) == {
        "Fleurs du Pont",
        "Cordonnerie Lenoir",
    }


def test_shop_picker_member_devices_revocation_and_charter_versions(
    open_browser: PersonFactory,
    app_url: str,
    mairie: Mairie,  # noqa: F811  (the fixture of test_enrolment.py)
    tmp_path: Path,
) -> None:
    commune = mairie.commune
    gare = make_sector(commune, name=GARE)
    seed_shops(commune, mairie.shop.sector, gare)
    claire = certified_coordinator(open_browser, mairie, app_url)
    page = claire.page

    # --- the picker: typing part of a name narrows the list; the keyboard goes into it --
    page.get_by_label("Rôle").select_option("commercant")
    search = page.get_by_label("Rechercher par nom, adresse ou secteur")
    search.fill("commerce 01")
    expect(page.locator("#invite-shop-count")).to_have_text("10 commerces correspondent.")
    search.press("ArrowDown")
    listbox = page.get_by_label("Commerce", exact=True)
    expect(listbox).to_be_focused()
    expect(listbox.locator("option:checked")).to_have_text(re.compile(r"^Commerce 010 "))
    listbox.press("ArrowDown")
    expect(listbox.locator("option:checked")).to_have_text(re.compile(r"^Commerce 011 "))

    search.fill("boulang marc")
    expect(page.locator("#invite-shop-count")).to_have_text(
        f"1 commerce correspond : {SHOP}, choisi."
    )
    expect(listbox).to_have_value(str(mairie.shop.public_id))
    assert audit(page) == []
    page.get_by_label("Nom et prénom").fill(MERCHANT)
    page.get_by_role("button", name="Créer le lien d'invitation").click()
    expect(page.get_by_role("heading", name="Lien d'invitation prêt")).to_be_visible()
    link = page.get_by_label("Lien d'invitation").input_value()
    expect(page.get_by_role("region", name="Invitations en cours")).to_contain_text(SHOP)

    # --- he enrols, she approves his device ---------------------------------------------
    karim = open_browser("commercant", viewport=PHONE)
    enrol_through_link(karim, link, app_url=app_url)
    approve(page, MERCHANT)
    membership = Membership.objects.get(person__display_name=MERCHANT)
    assert membership.shop == mairie.shop
    device = Device.objects.get(membership=membership)
    assert device.status == DeviceStatus.ACTIVE

    # --- his devices, listed; one revoked with a list signed in her browser -------------
    page.get_by_role("region", name="Membres").get_by_role(
        "link", name=f"Appareils (1) de {MERCHANT}"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Appareils d'un membre")
    devices = page.get_by_role("table", name=f"Appareils de {MERCHANT}")
    expect(devices.get_by_role("row")).to_have_count(2)  # header + his one device
    expect(devices).to_contain_text("Actif")
    assert audit(page) == []
    save_screenshot(page, "mairie-appareils", tmp_path)
    devices.get_by_role(
        "button", name=re.compile(rf"^Révoquer l'appareil « .* » de {MERCHANT}$")
    ).click()
    dialog = page.get_by_role("dialog", name="Révoquer cet appareil ?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Révoquer l'appareil").click()
    expect(
        page.get_by_role("status").filter(has_text=re.compile(r"Appareil « .* » révoqué\."))
    ).to_be_visible()
    expect(devices).to_contain_text("Révoqué")
    expect(devices.get_by_role("button")).to_have_count(0)
    device.refresh_from_db()
    assert device.status == DeviceStatus.REVOKED
    latest = RevocationList.objects.filter(commune=commune).order_by("-number").first()
    assert latest is not None and latest.number == 1
    claire_device = Device.objects.get(membership__person__display_name="Claire Martin")
    assert str(device.public_id) in latest.body
    assert latest.signer_fingerprint == claire_device.sign_key_fingerprint  # her browser's key
    assert Event.objects.filter(commune=commune, kind=Kind.DEVICE_REVOKED).count() == 1

    # --- the charter: edited, published as version 2, listed with version 1 -------------
    page.get_by_role("navigation", name="Écrans de la mairie").get_by_role(
        "link", name="Charte"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Charte d'utilisation")
    text = page.get_by_label("Texte de la charte")
    expect(text).to_have_value(re.compile(r"^Charte d'utilisation de Maillage"))
    page.get_by_role("button", name="Publier la nouvelle version").click()
    expect(
        page.get_by_text("Le texte n'a pas changé : modifiez-le avant de publier.")
    ).to_be_visible()
    assert CharterVersion.objects.filter(commune=commune).count() == 1
    text.fill(text.input_value() + "\n8. Contact\nLa mairie répond aux questions des membres.\n")
    page.get_by_role("button", name="Publier la nouvelle version").click()
    expect(
        page.get_by_role("status").filter(has_text="Version 2 de la charte publiée.")
    ).to_be_visible()
    versions = page.get_by_role("table", name="Versions publiées de la charte")
    expect(versions.get_by_role("rowheader")).to_have_text(["Version 2 en vigueur", "Version 1"])
    # Version 1 was accepted by both members; nobody has accepted version 2 yet.
    expect(versions.get_by_role("row").nth(2).get_by_role("cell").nth(1)).to_have_text("2")
    latest_charter = CharterVersion.objects.get(commune=commune, version=2)
    assert latest_charter.text.endswith("La mairie répond aux questions des membres.")
    assert audit(page) == []


def test_alert_settings_categories_order_neighbour_policy_and_limits(
    open_browser: PersonFactory,
    app_url: str,
    mairie: Mairie,  # noqa: F811  (the fixture of test_enrolment.py)
    tmp_path: Path,
) -> None:
    commune = mairie.commune
    claire = certified_coordinator(open_browser, mairie, app_url)
    page = claire.page
    page.get_by_role("navigation", name="Écrans de la mairie").get_by_role(
        "link", name="Réglages des alertes"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Réglages des alertes")
    categories = page.get_by_role("table", name="Catégories, dans l'ordre de l'accueil")
    expect(categories.get_by_role("row")).to_have_count(9)  # header + the 8 defaults
    expect(page.get_by_label("Libellé de la catégorie vol")).to_have_value("Vol / vol à l'étalage")
    expect(page.get_by_label("Afficher « Appelez le 17 » pour Agression en cours")).to_be_checked()
    assert audit(page) == []
    save_screenshot(page, "mairie-reglages", tmp_path)

    # A bad value is refused here, in French, and nothing is stored.
    page.get_by_label("Libellé de la catégorie vol").fill(" ")
    page.get_by_label("Durée d'une alerte aux voisins (minutes)").fill("2")
    page.get_by_role("button", name="Enregistrer les réglages").click()
    expect(page.get_by_role("alert")).to_contain_text("Corrigez les champs signalés")
    expect(page.get_by_text("Indiquez un libellé.")).to_be_visible()
    expect(page.get_by_text("Indiquez une durée entière entre 5 et 1440 minutes.")).to_be_visible()
    expect(page.get_by_label("Libellé de la catégorie vol")).to_be_focused()
    assert not AlertSettings.objects.filter(commune=commune).exists()
    assert audit(page) == []

    # Labels, order (from the keyboard), severity, the 17, enabled; policy, expiry, limits.
    page.get_by_label("Libellé de la catégorie vol").fill("Vol à l'étalage")
    up = page.get_by_role("button", name="Monter Agression en cours")
    up.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Monter Agression en cours")).to_be_focused()
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("status").filter(has_text="Agression en cours : position 1 sur 8.")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Descendre Agression en cours")).to_be_focused()
    page.get_by_label("Gravité par défaut de Dégradation").select_option(label="Élevée")
    page.get_by_label("Afficher « Appelez le 17 » pour Alarme").check()
    page.get_by_label("Proposer Autre").uncheck()
    page.get_by_label("Aussitôt, sans validation").check()
    page.get_by_label("Durée d'une alerte aux voisins (minutes)").fill("90")
    report_device = page.get_by_role("group", name="Signalements par appareil")
    report_device.get_by_label("Nombre au plus").fill("4")
    report_device.get_by_label("Sur (minutes)").fill("15")
    escalation = page.get_by_role("region", name="Escalade")
    expect(escalation.get_by_text("Aucun opérateur ni agent actif pour l'instant.")).to_be_visible()
    escalation.get_by_label("Première escalade après (secondes)").fill("45")
    escalation.get_by_label("Seconde escalade après (secondes)").fill("150")
    page.get_by_label("Nouvelle catégorie").fill("Vente à la sauvette")
    page.get_by_role("button", name="Ajouter la catégorie").click()
    expect(page.get_by_label("Libellé de la catégorie vente_a_la_sauvette")).to_be_focused()
    expect(categories.get_by_role("row")).to_have_count(10)
    page.get_by_role("button", name="Enregistrer les réglages").click()
    expect(page.get_by_role("status").filter(has_text="Réglages enregistrés.")).to_be_visible()

    settings = alert_settings.for_commune(commune)
    assert [c.slug for c in settings.categories][:3] == ["agression", "vol", "comportement_suspect"]
    by_slug = {c.slug: c for c in settings.categories}
    assert by_slug["vol"].label == "Vol à l'étalage"
    assert by_slug["degradation"].severity == "high"
    assert by_slug["alarme"].call_17 is True
    assert by_slug["autre"].enabled is False
    assert [c.slug for c in settings.categories][-1] == "vente_a_la_sauvette"
    assert (by_slug["vente_a_la_sauvette"].label, by_slug["vente_a_la_sauvette"].severity) == (
        "Vente à la sauvette",
        "medium",
    )
    assert settings.neighbour_validation is False
    assert settings.neighbour_expiry_minutes == 90
    assert (settings.limit("report_device").count, settings.limit("report_device").minutes) == (
        4,
        15,
    )
    assert (settings.escalation_first_seconds, settings.escalation_second_seconds) == (45, 150)
    assert Event.objects.filter(commune=commune, kind=Kind.ALERT_SETTINGS_CHANGED).count() == 1

    # What was stored is what the page shows again.
    page.reload()
    expect(page.get_by_label("Libellé de la catégorie agression")).to_be_visible()
    expect(categories.get_by_role("row").nth(1)).to_contain_text("1")
    expect(page.get_by_label("Libellé de la catégorie agression")).to_have_value(
        "Agression en cours"
    )
    first_label = categories.get_by_role("row").nth(1).get_by_role("textbox").first
    expect(first_label).to_have_value("Agression en cours")
    expect(page.get_by_label("Proposer Autre")).not_to_be_checked()
    expect(page.get_by_label("Aussitôt, sans validation")).to_be_checked()
    expect(page.get_by_label("Durée d'une alerte aux voisins (minutes)")).to_have_value("90")
    expect(page.get_by_label("Seconde escalade après (secondes)")).to_have_value("150")


PAGES = [
    ("/coordination/commerces", "Commerces"),
    ("/coordination/commerces/nouveau", "Ajouter un commerce"),
    ("/coordination/commerces/import", "Importer des commerces"),
    ("/coordination/charte", "Charte d'utilisation"),
    ("/coordination/reglages", "Réglages des alertes"),
    ("/coordination/secteurs", "Secteurs voisins"),
    ("/coordination/joignabilite", "Joignabilité des appareils"),
]


def test_every_mairie_screen_passes_the_audit_on_a_phone(
    open_browser: PersonFactory,
    app_url: str,
    mairie: Mairie,  # noqa: F811  (the fixture of test_enrolment.py)
) -> None:
    claire = open_browser("coordinatrice", viewport=PHONE)
    enrol_through_link(claire, mairie.invitation_url, app_url=app_url)
    root_certify(mairie)
    page = claire.page
    open_coordination(page)
    assert audit(page) == []
    own = Membership.objects.get(person__display_name="Claire Martin")
    pages = [
        *PAGES,
        (f"/coordination/commerces/{mairie.shop.public_id}", "Modifier un commerce"),
        (f"/coordination/membres/{own.public_id}", "Appareils d'un membre"),
    ]
    for path, title in pages:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        expect(page.get_by_text("Chargement…")).to_have_count(0)
        assert audit(page) == [], path
    # Her own device is listed, and not offered for revocation.
    expect(page.get_by_role("table")).to_contain_text("(cet appareil)")
    expect(page.get_by_role("table").get_by_role("button")).to_have_count(0)

"""The whole enrolment, in two real browsers with virtual passkey authenticators.

1. The mairie runs `maillage commune create` (root key, encrypted backup, first
   invitation); the first coordinator enrols through that link in her browser, and
   `maillage root certify` certifies her device with the root backup.
2. She invites a shopkeeper from /coordination; his phone opens the link, accepts the
   charter, registers a passkey and its own device keys: he is "en attente".
3. She approves his device: her browser verifies its own chain up to the pinned root and
   signs his certificate with its non-extractable Ed25519 key.
4. He signs in again with his passkey and sees his shop's home page.
5. She revokes him (a revocation list signed in her browser); his next request throws
   him out with a French message, and his passkey no longer opens anything.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, Request, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from maillage.members.models import Membership, MembershipStatus, Role
from maillage.territory.models import Commune, Shop
from maillage.territory.tests.factory import make_sector, make_shop
from maillage.trust.models import (
    CommuneRoot,
    Device,
    DeviceCertificate,
    DeviceStatus,
    RevocationList,
)
from maillage.wire import chain

from .a11y import audit
from .conftest import DESKTOP, PHONE, Person, PersonFactory, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COORDINATOR = "Claire Martin"
MERCHANT = "Karim Benali"
SHOP = "Boulangerie du Marché"
SECTOR = "Centre-ville"

# Reads this browser's device record from IndexedDB (what the keystore wrote).
READ_KEYSTORE_JS = """
() => new Promise((resolve, reject) => {
  const open = indexedDB.open("maillage");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const tx = open.result.transaction("device", "readonly");
    const store = tx.objectStore("device");
    const keys = store.get("keys");
    const id = store.get("public_id");
    const root = store.get("root");
    tx.oncomplete = () => {
      const k = keys.result;
      resolve({
        publicId: id.result ?? null,
        root: root.result ?? null,
        signKey: k ? k.signKey : null,
        encKey: k ? k.encKey : null,
        signPrivateExtractable: k ? k.signPrivate.extractable : null,
        encPrivateExtractable: k ? k.encPrivate.extractable : null,
        signAlgorithm: k ? k.signPrivate.algorithm.name : null,
        encAlgorithm: k ? k.encPrivate.algorithm.name : null,
      });
      open.result.close();
    };
  };
})
"""


def read_keystore(page: Page) -> dict[str, Any]:
    return dict(page.evaluate(READ_KEYSTORE_JS))


def enrol_through_link(person: Person, link: str, *, app_url: str) -> None:
    """Open the invitation, accept the charter, create the passkey; ends on "en attente"."""
    assert link.startswith(f"{app_url}/rejoindre#jeton="), link
    page = person.page
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Rejoindre Maillage")
    expect(page.get_by_role("heading", name="Charte d'utilisation (version 1)")).to_be_visible()

    # Refused without the charter's explicit acceptance.
    page.get_by_role("button", name="Accepter et créer ma clé d'accès").click()
    expect(page.get_by_text("Cochez la case pour accepter la charte")).to_be_visible()
    assert person.credentials() == []

    page.get_by_label("J'ai lu la charte d'utilisation et je l'accepte").check()
    page.get_by_role("button", name="Accepter et créer ma clé d'accès").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inscription enregistrée")
    expect(page.get_by_role("main")).to_contain_text(
        "Votre inscription est en attente de validation par la mairie."
    )
    assert len(person.credentials()) == 1, "la clé d'accès n'est pas dans l'authentificateur"
    assert "jeton" not in page.url, "le jeton consommé doit quitter la barre d'adresse"


def open_coordination(page: Page) -> None:
    page.goto("/coordination")
    expect(page.get_by_role("heading", level=1)).to_have_text("Coordination")
    expect(page.get_by_text("Votre appareil est certifié")).to_be_visible()


def invite(page: Page, name: str, *, shop_label: str) -> str:
    """On /coordination: invite a shopkeeper; returns the link shown once."""
    page.get_by_label("Rôle").select_option("commercant")
    page.get_by_label("Commerce").select_option(label=shop_label)
    page.get_by_label("Nom et prénom").fill(name)
    page.get_by_role("button", name="Créer le lien d'invitation").click()
    expect(page.get_by_role("heading", name="Lien d'invitation prêt")).to_be_visible()
    return page.get_by_label("Lien d'invitation").input_value()


def approve(page: Page, name: str) -> None:
    """On /coordination: refresh, then approve the first pending device of `name`."""
    page.get_by_role("button", name="Actualiser les listes").click()
    expect(page.get_by_role("status").filter(has_text="Listes à jour.")).to_be_visible()
    pending = page.get_by_role("region", name="Appareils en attente")
    pending.get_by_role("button", name=f"Approuver l'appareil de {name}").first.click()
    expect(page.get_by_text(f"Appareil de {name} approuvé et certifié.")).to_be_visible()


def member_action(
    page: Page, name: str, action: str, dialog_title: str, screenshot: Path | None = None
) -> None:
    """On /coordination: Suspendre / Réactiver / Révoquer `name`, confirmed in the dialog."""
    members = page.get_by_role("region", name="Membres")
    members.get_by_role("button", name=f"{action} {name}").click()
    dialog = page.get_by_role("dialog", name=dialog_title)
    expect(dialog).to_be_visible()
    if screenshot is not None:
        save_screenshot(page, f"dialogue-{action.lower()}", screenshot)
    dialog.get_by_role("button", name=action).click()
    expect(dialog).to_be_hidden()


def sign_in_with_passkey(page: Page) -> None:
    page.goto("/connexion")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    page.get_by_role("button", name="Se connecter avec ma clé d'accès").click()


def certified_coordinator(open_browser: PersonFactory, mairie: Mairie, app_url: str) -> Person:
    """The first coordinator, enrolled in her browser and certified with the root."""
    claire = open_browser("coordinatrice", viewport=DESKTOP)
    enrol_through_link(claire, mairie.invitation_url, app_url=app_url)
    root_certify(mairie)
    open_coordination(claire.page)
    return claire


@dataclass
class Mairie:
    """What `maillage commune create` left: the commune, its root (public half on the
    server, encrypted backup in a file), the first coordinator's link; plus one shop."""

    commune: Commune
    root: CommuneRoot
    invitation_url: str
    backup: Path
    passphrase_file: Path
    shop: Shop


@pytest.fixture
def mairie(app_url: str, tmp_path: Path) -> Mairie:
    passphrase_file = tmp_path / "phrase.txt"
    passphrase_file.write_text("une phrase de passe de mairie assez longue\n", encoding="utf-8")
    backup = tmp_path / "racine-mantes.pem"
    out = io.StringIO()
    call_command(
        "commune",
        "create",
        "--name=Mantes-la-Jolie",
        "--insee=78361",
        "--departement=78",
        "--departement-name=Yvelines",
        f"--coordinator={COORDINATOR}",
        "--coordinator-email=claire.martin@mairie.example",
        f"--root-backup={backup}",
        f"--passphrase-file={passphrase_file}",
        stdout=out,
    )
    links = [line.strip() for line in out.getvalue().splitlines() if "/rejoindre#" in line]
    assert len(links) == 1, out.getvalue()
    commune = Commune.objects.get(slug="mantes-la-jolie")
    sector = make_sector(commune, name=SECTOR)
    shop = make_shop(commune, sector, enseigne=SHOP)
    return Mairie(
        commune=commune,
        root=CommuneRoot.objects.get(commune=commune),
        invitation_url=links[0],
        backup=backup,
        passphrase_file=passphrase_file,
        shop=shop,
    )


def root_certify(mairie: Mairie) -> str:
    """`maillage root certify` at the mairie: the root signs pending coordinator devices."""
    out = io.StringIO()
    call_command(
        "root",
        "certify",
        f"--commune={mairie.commune.slug}",
        f"--root-backup={mairie.backup}",
        f"--passphrase-file={mairie.passphrase_file}",
        "--yes",
        stdout=out,
    )
    assert "1 appareil(s) certifié(s)." in out.getvalue(), out.getvalue()
    return out.getvalue()


def test_whole_enrolment_approval_sign_in_and_revocation(
    open_browser: PersonFactory, app_url: str, mairie: Mairie, tmp_path: Path
) -> None:
    shop = mairie.shop
    root_fingerprint = mairie.root.fingerprint

    # --- 1. the first coordinator enrols, then the root certifies her device -----------
    claire = open_browser("coordinatrice", viewport=DESKTOP)
    enrol_through_link(claire, mairie.invitation_url, app_url=app_url)

    claire_device = Device.objects.get(membership__person__display_name=COORDINATOR)
    assert claire_device.status == DeviceStatus.PENDING
    stored = read_keystore(claire.page)
    assert stored["publicId"] == str(claire_device.public_id)
    assert stored["signKey"] == claire_device.sign_public_key
    assert stored["encKey"] == claire_device.enc_public_key
    assert stored["root"]["fingerprint"] == root_fingerprint
    assert stored["root"]["source"] == "link"
    assert stored["signPrivateExtractable"] is False
    assert stored["encPrivateExtractable"] is False
    assert (stored["signAlgorithm"], stored["encAlgorithm"]) == ("Ed25519", "X25519")

    assert claire_device.sign_key_fingerprint in root_certify(mairie)

    claire.page.goto("/")
    expect(claire.page.get_by_role("heading", level=1)).to_have_text(f"Bonjour {COORDINATOR}")
    claire.page.get_by_role("link", name="Ouvrir la coordination").click()
    expect(claire.page.get_by_text("Votre appareil est certifié")).to_be_visible()
    expect(claire.page.get_by_text("Liste de révocation vérifiée : n° 0.")).to_be_visible()

    # --- 2. she invites a shopkeeper ---------------------------------------------------
    page = claire.page
    page.get_by_label("Rôle").select_option("commercant")
    page.get_by_label("Commerce").select_option(label=f"{SHOP} ({SECTOR})")
    page.get_by_label("Nom et prénom").fill(MERCHANT)
    page.get_by_role("button", name="Créer le lien d'invitation").click()
    expect(page.get_by_role("heading", name="Lien d'invitation prêt")).to_be_visible()
    expect(page.get_by_role("img", name="QR code du lien d'invitation")).to_be_visible()
    link = page.get_by_label("Lien d'invitation").input_value()
    assert link.endswith(f"&racine={root_fingerprint}")
    expect(page.get_by_role("region", name="Invitations en cours")).to_contain_text(MERCHANT)
    assert audit(page) == []
    save_screenshot(page, "coordination-invitation", tmp_path)

    # --- 3. his phone opens the link, accepts the charter, registers a passkey ---------
    karim = open_browser("commercant", viewport=PHONE)
    sent: list[Request] = []
    karim.page.on("request", lambda request: sent.append(request))
    karim.page.goto(link)
    expect(karim.page.get_by_role("main")).to_contain_text(SHOP)
    expect(karim.page.get_by_role("main")).to_contain_text("Commerçant")
    expect(karim.page.get_by_role("main")).to_contain_text("Mantes-la-Jolie")
    assert audit(karim.page) == []
    save_screenshot(karim.page, "rejoindre-charte", tmp_path)
    enrol_through_link(karim, link, app_url=app_url)

    # The root fingerprint from the fragment never reached the server.
    for request in sent:
        assert root_fingerprint not in request.url, request.url
        assert root_fingerprint not in (request.post_data or ""), request.url
        assert "racine" not in request.url, request.url

    karim.page.get_by_role("link", name="Aller à l'accueil").click()
    expect(karim.page.get_by_role("heading", level=1)).to_have_text("Inscription en attente")
    expect(karim.page.get_by_role("main")).to_contain_text(
        "Votre inscription est en attente de validation par la mairie"
    )
    karim_membership = Membership.objects.get(person__display_name=MERCHANT)
    assert karim_membership.status == MembershipStatus.PENDING
    assert karim_membership.role == Role.MERCHANT
    assert karim_membership.shop == shop
    karim_device = Device.objects.get(membership=karim_membership)
    assert read_keystore(karim.page)["publicId"] == str(karim_device.public_id)

    # --- 4. she approves his device: verified chain, certificate signed in her browser --
    page.get_by_role("button", name="Actualiser les listes").click()
    expect(page.get_by_role("status").filter(has_text="Listes à jour.")).to_be_visible()
    pending = page.get_by_role("region", name="Appareils en attente")
    expect(pending).to_contain_text(MERCHANT)
    expect(pending).to_contain_text(karim_device.sign_key_fingerprint[:4])
    pending.get_by_role("button", name=f"Approuver l'appareil de {MERCHANT}").click()
    expect(page.get_by_text(f"Appareil de {MERCHANT} approuvé et certifié.")).to_be_visible()
    expect(pending).to_contain_text("Aucun appareil en attente.")

    certificate = DeviceCertificate.objects.get(device=karim_device)
    body = json.loads(certificate.body)
    assert body["issuer"] == claire_device.sign_key_fingerprint
    assert body["sign_key"] == karim_device.sign_public_key
    assert body["shop"] == str(shop.public_id)
    assert body["may_certify"] is False
    claire_certificate = DeviceCertificate.objects.get(device=claire_device)
    revocations = chain.RevocationList(
        commune=str(mairie.commune.public_id), number=0, issued_at=0, entries=(), issuer=""
    )
    leaf = chain.verify_chain(
        [
            chain.SignedDocument(certificate.body, certificate.signature),
            chain.SignedDocument(claire_certificate.body, claire_certificate.signature),
        ],
        mairie.root.public_key,
        root_fingerprint,
        str(mairie.commune.public_id),
        revocations,
        body["issued_at"],
    )
    assert leaf.device == str(karim_device.public_id)
    karim_membership.refresh_from_db()
    assert karim_membership.status == MembershipStatus.ACTIVE

    # --- 5. he signs in again with his passkey and sees his shop -----------------------
    kpage = karim.page
    kpage.get_by_role("button", name="Se déconnecter").click()
    expect(kpage.get_by_role("alert")).to_contain_text("Vous êtes déconnecté(e).")
    expect(kpage.get_by_role("heading", level=1)).to_have_text("Bienvenue sur Maillage")
    kpage.get_by_role("button", name="Se connecter avec une clé d'accès (passkey)").click()
    expect(kpage.get_by_role("heading", level=1)).to_have_text(SHOP)
    main = kpage.get_by_role("main")
    expect(main).to_contain_text(SECTOR)
    # The home is the alert (issue 9): the categories, no « prochaine version ».
    expect(main.get_by_role("heading", name="Que se passe-t-il ?")).to_be_visible()
    expect(main.get_by_role("button", name="Vol / vol à l'étalage")).to_be_visible()
    expect(main).not_to_contain_text("prochaine version")
    expect(main.get_by_role("link", name="Appeler le 17")).to_have_attribute("href", "tel:17")
    assert audit(kpage) == []
    save_screenshot(kpage, "accueil-commerce", tmp_path)

    # --- 6. she revokes him; his next request throws him out ---------------------------
    open_coordination(page)
    members = page.get_by_role("region", name="Membres")
    members.get_by_role("button", name=f"Révoquer {MERCHANT}").click()
    dialog = page.get_by_role("dialog", name="Révoquer ce membre ?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(MERCHANT)
    dialog.get_by_role("button", name="Révoquer").click()
    expect(page.get_by_text(f"{MERCHANT} est révoqué(e).")).to_be_visible()
    expect(page.get_by_text("Liste de révocation vérifiée : n° 1.")).to_be_visible()

    karim_membership.refresh_from_db()
    assert karim_membership.status == MembershipStatus.REVOKED
    latest = RevocationList.objects.filter(commune=mairie.commune).order_by("-number").first()
    assert latest is not None and latest.number == 1
    assert latest.signer_fingerprint == claire_device.sign_key_fingerprint
    assert [e["serial"] for e in json.loads(latest.body)["entries"]] == [certificate.serial]

    # His open page is signed out by the event itself, and a reload still says why.
    expect(kpage.get_by_role("alert")).to_contain_text("Votre session a pris fin")
    kpage.reload()
    expect(kpage.get_by_role("alert")).to_contain_text("Votre session a pris fin")
    expect(kpage.get_by_role("heading", level=1)).to_have_text("Bienvenue sur Maillage")
    save_screenshot(kpage, "commercant-revoque", tmp_path)

    # His passkey no longer opens anything.
    kpage.goto("/connexion")
    kpage.get_by_role("button", name="Se connecter avec ma clé d'accès").click()
    expect(kpage.get_by_role("alert")).to_contain_text(
        "Votre accès a été suspendu ou révoqué par la mairie."
    )

    errors = [
        line
        for person in (claire, karim)
        for line in person.console
        if line.startswith("pageerror")
    ]
    assert errors == []


def test_new_browser_becomes_a_device_and_suspension_is_lifted(
    open_browser: PersonFactory, app_url: str, mairie: Mairie, tmp_path: Path
) -> None:
    """A shopkeeper signs in on a second browser (same passkey, synced as passkeys are):
    that browser registers as a new device and waits for approval. A suspension throws
    both browsers out; reinstating sends his devices back to approval."""
    claire = certified_coordinator(open_browser, mairie, app_url)
    link = invite(claire.page, MERCHANT, shop_label=f"{SHOP} ({SECTOR})")
    phone = open_browser("telephone", viewport=PHONE)
    enrol_through_link(phone, link, app_url=app_url)
    approve(claire.page, MERCHANT)
    # Still signed in since enrolment: the approval shows on his next visit.
    phone.page.get_by_role("link", name="Aller à l'accueil").click()
    expect(phone.page.get_by_role("heading", level=1)).to_have_text(SHOP)

    # The same passkey on a second browser, which has no device keys yet.
    laptop = open_browser("ordinateur", viewport=DESKTOP)
    assert laptop.cdp is not None
    for credential in phone.credentials():
        laptop.cdp.send(
            "WebAuthn.addCredential",
            {"authenticatorId": laptop.authenticator_id, "credential": credential},
        )
    sign_in_with_passkey(laptop.page)
    expect(laptop.page.get_by_role("heading", level=1)).to_have_text("Nouvel appareil")
    expect(laptop.page.get_by_role("main")).to_contain_text(
        "ce navigateur n'est pas encore un appareil enregistré"
    )
    assert audit(laptop.page) == []
    save_screenshot(laptop.page, "nouvel-appareil", tmp_path)
    laptop.page.get_by_label("Nom de cet appareil").fill("Ordinateur de la caisse")
    laptop.page.get_by_role(
        "button", name="Enregistrer ce navigateur comme nouvel appareil"
    ).click()
    expect(laptop.page.get_by_role("heading", level=1)).to_have_text("Appareil en attente")
    membership = Membership.objects.get(person__display_name=MERCHANT)
    devices = list(Device.objects.filter(membership=membership).order_by("created_at"))
    assert [d.label for d in devices][1:] == ["Ordinateur de la caisse"]
    assert read_keystore(laptop.page)["publicId"] == str(devices[1].public_id)

    save_screenshot(laptop.page, "appareil-en-attente", tmp_path)
    approve(claire.page, MERCHANT)
    # The page may go home by itself (its live session check) before the button is pressed.
    with contextlib.suppress(PlaywrightTimeoutError):
        laptop.page.get_by_role("button", name="Vérifier à nouveau").click(timeout=3000)
    expect(laptop.page.get_by_role("heading", level=1)).to_have_text(SHOP)

    # Suspension: list n° 2 names both certificates; both browsers are out.
    member_action(claire.page, MERCHANT, "Suspendre", "Suspendre ce membre ?", tmp_path)
    expect(claire.page.get_by_text(f"{MERCHANT} est suspendu(e).")).to_be_visible()
    expect(claire.page.get_by_text("Liste de révocation vérifiée : n° 1.")).to_be_visible()
    latest = RevocationList.objects.filter(commune=mairie.commune).first()
    assert latest is not None
    entries = json.loads(latest.body)["entries"]
    assert sorted(e["device"] for e in entries) == sorted(str(d.public_id) for d in devices)
    assert {e["reason"] for e in entries} == {"suspended"}

    for browser in (phone, laptop):
        browser.page.reload()
        expect(browser.page.get_by_role("alert")).to_contain_text("Votre session a pris fin")

    # Reinstated: his devices need a fresh certificate, so he waits for approval again.
    member_action(claire.page, MERCHANT, "Réactiver", "Réactiver ce membre ?")
    expect(claire.page.get_by_text(f"{MERCHANT} est réactivé(e).")).to_be_visible()
    approve(claire.page, MERCHANT)
    approve(claire.page, MERCHANT)
    expect(claire.page.get_by_role("region", name="Appareils en attente")).to_contain_text(
        "Aucun appareil en attente."
    )
    # The laptop holds the passkey's latest signature counter (the phone's copy is behind
    # it, which the server rightly treats as a possible clone), so he signs in there.
    sign_in_with_passkey(laptop.page)
    expect(laptop.page.get_by_role("heading", level=1)).to_have_text(SHOP)

"""Re-certifying the devices a revoked coordinator device had approved, in the browser.

A coordinator's phone is lost: the mairie revokes it with the root. The shopkeeper it
had approved keeps an active device whose chain every client now refuses (its issuer is
on the revocation list). Another coordinator sees it in her pending list as « À
recertifier » and approves it as she would a new device: same keys, a new certificate
signed in her browser, and his chain verifies again.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from maillage.members.models import Role
from maillage.members.tests import factory
from maillage.stream.action import CLI
from maillage.trust import certificates as trust_certificates
from maillage.trust import directory
from maillage.trust import revocations as trust_revocations
from maillage.trust.models import Device
from maillage.trust.rootkey import load_encrypted_backup
from maillage.wire import chain

from .a11y import audit
from .conftest import PersonFactory
from .test_enrolment import SHOP, Mairie, certified_coordinator, mairie

__all__ = ["mairie"]  # the fixture, shared with the enrolment tests

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MERCHANT = "Samir Haddad"
RECERTIFY = "À recertifier : approuvé par un appareil de coordinateur révoqué"


def verify_now(device: Device) -> chain.CertificateBody:
    commune = device.membership.commune
    _, revocations = directory.parsed_revocations(commune)
    root = directory.root_of(commune)
    return chain.verify_chain(
        directory.device_chain(device),
        root.public_key,
        root.fingerprint,
        str(commune.public_id),
        revocations,
        int(timezone.now().timestamp()),
    )


def test_coordinator_recertifies_the_shop_of_a_revoked_coordinator_device(
    open_browser: PersonFactory, app_url: str, mairie: Mairie
) -> None:
    claire = certified_coordinator(open_browser, mairie, app_url)
    claire_device = Device.objects.get(membership__role=Role.COORDINATOR, status="active")
    root_key = load_encrypted_backup(
        mairie.backup, mairie.passphrase_file.read_text(encoding="utf-8").strip().encode()
    )

    # Another coordinator's phone approved a shopkeeper, then was lost and revoked.
    lost = factory.make_member(Role.COORDINATOR, mairie.commune, approved=False)
    trust_certificates.certify_with_root(CLI, lost.device, root_key)
    lost.refresh()
    samir = factory.make_member(
        Role.MERCHANT, mairie.commune, mairie.shop, approved=False, name=MERCHANT
    )
    trust_certificates.accept_certificate(
        lost.actor(),
        samir.device,
        factory.coordinator_certificate(lost, samir.device),
    )
    trust_revocations.revoke_devices_with_root(CLI, mairie.commune, root_key, [lost.device])
    with pytest.raises(chain.TrustError) as refused:
        verify_now(samir.refresh().device)
    assert refused.value.code == "revoked"

    page = claire.page
    page.get_by_role("button", name="Actualiser les listes").click()
    expect(page.get_by_role("status").filter(has_text="Listes à jour.")).to_be_visible()
    pending = page.get_by_role("region", name="Appareils en attente")
    expect(pending).to_contain_text(MERCHANT)
    expect(pending).to_contain_text(RECERTIFY)
    expect(pending).to_contain_text(SHOP)
    assert audit(page) == []
    pending.get_by_role("button", name=f"Approuver l'appareil de {MERCHANT}").click()
    expect(page.get_by_text(f"Appareil de {MERCHANT} approuvé et certifié.")).to_be_visible()
    expect(pending).to_contain_text("Aucun appareil en attente.")

    leaf = verify_now(samir.refresh().device)
    assert leaf.issuer == claire_device.sign_key_fingerprint
    assert leaf.sign_key == samir.device.sign_public_key
    assert [line for line in claire.console if line.startswith("pageerror")] == []

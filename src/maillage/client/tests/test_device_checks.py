"""A member's device refuses to seal what no opener would accept: its own chain is
checked with the same revocation list as the recipients'."""

from __future__ import annotations

import uuid

import pytest

from maillage.client import device as device_module
from maillage.client.device import MemberDevice, SendRefused
from maillage.client.http import MaillageClient
from maillage.wire.envelope import Binding
from maillage.wire.recipients import TrustState
from maillage.wire.tests.factory import NOW, Commune, Device


def _member_device(commune: Commune, own: Device) -> MemberDevice:
    member = MemberDevice(MaillageClient("http://127.0.0.1:9"))  # never called here
    member.sign_key, member.enc_key = own.sign, own.enc
    member.device, member.serial, member.chain = own.id, own.serial, own.chain
    member.commune = commune.id
    member.state = TrustState(commune.root_public, commune.fingerprint, commune.id)
    return member


def _directory(commune: Commune, operator: Device) -> dict[str, object]:
    return {
        "purpose": "incident",
        "shop": commune.shop,
        "revocations": commune.revocation_document(),
        "devices": [operator.entry()],
        "service_key": None,
    }


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device_module, "_now", lambda: NOW)


def test_a_trusted_device_seals(commune_setup: tuple[Commune, Device, Device]) -> None:
    commune, merchant, operator = commune_setup
    member = _member_device(commune, merchant)
    binding = Binding(commune.id, str(uuid.uuid4()), str(uuid.uuid4()))
    sealed, resolution = member.seal(
        binding, _directory(commune, operator), text="Vol", attachments=[]
    )
    assert [r.id for r in resolution.recipients] == [operator.id]
    assert sealed.wire["content"]


def test_a_withdrawn_device_refuses_to_seal(commune_setup: tuple[Commune, Device, Device]) -> None:
    commune, merchant, operator = commune_setup
    commune.revoke(merchant, at=NOW - 10)
    member = _member_device(commune, merchant)
    binding = Binding(commune.id, str(uuid.uuid4()), str(uuid.uuid4()))
    with pytest.raises(SendRefused) as refused:
        member.seal(binding, _directory(commune, operator), text="Vol", attachments=[])
    assert refused.value.code == "own_device_untrusted"


@pytest.fixture
def commune_setup() -> tuple[Commune, Device, Device]:
    commune = Commune()
    return commune, commune.device("commercant", commune.shop), commune.device("operateur")

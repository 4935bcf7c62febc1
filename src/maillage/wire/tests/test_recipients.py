"""A key directory lying in every way we can think of, caught by the sender's checks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from maillage.wire import chain, service_key
from maillage.wire.envelope import EnvelopeError, Recipient
from maillage.wire.hpke import x25519_public_of
from maillage.wire.recipients import (
    SERVICE_ENTRY,
    TrustState,
    police_recipients,
    resolve_recipients,
)
from maillage.wire.tests.factory import NOW, Commune, Device


@pytest.fixture
def commune() -> Commune:
    return Commune()


@pytest.fixture
def merchant(commune: Commune) -> Device:
    return commune.device("commercant", commune.shop)


@pytest.fixture
def operator(commune: Commune) -> Device:
    return commune.device("operateur")


def _state(commune: Commune, **kw: Any) -> TrustState:
    return TrustState(commune.root_public, commune.fingerprint, commune.id, **kw)


def _published(commune: Commune, signer: Device, number: int = 1) -> tuple[dict[str, Any], str]:
    key = x25519_public_of(X25519PrivateKey.generate())
    doc = service_key.issue_service_key(
        signer.sign, commune=commune.id, number=number, public_key=key, issued_at=NOW - 60
    )
    return {**doc.to_wire(), "chain": [d.to_wire() for d in signer.chain]}, key


def _directory(
    commune: Commune,
    devices: list[Any],
    *,
    purpose: str = "incident",
    service: dict[str, Any] | None = None,
    revocations: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "purpose": purpose,
        "shop": None if purpose == "sector" else commune.shop,
        "revocations": revocations or commune.revocation_document(),
        "devices": devices,
        "service_key": service,
    }


def test_every_verified_device_and_the_service_key_are_kept(
    commune: Commune, merchant: Device, operator: Device
) -> None:
    agent = commune.device("agent")
    service, key = _published(commune, operator, number=3)
    directory = _directory(
        commune, [merchant.entry(), operator.entry(), agent.entry()], service=service
    )
    result = resolve_recipients(directory, _state(commune), NOW)
    assert result.refused == []
    assert result.recipients[-1] == Recipient("service", "police:3", key)
    assert {(r.id, r.key) for r in result.recipients[:-1]} == {
        (d.id, d.enc_public) for d in (merchant, operator, agent)
    }
    assert result.state.last_service_key_number == 3
    assert result.service_key is not None and result.service_key.number == 3


def test_a_police_note_keeps_the_service_key_operators_and_agents_never_the_shop(
    commune: Commune, merchant: Device, operator: Device
) -> None:
    agent = commune.device("agent")
    service, _ = _published(commune, operator, number=1)
    directory = _directory(
        commune, [merchant.entry(), operator.entry(), agent.entry()], service=service
    )
    result = resolve_recipients(directory, _state(commune), NOW)
    assert result.roles[merchant.id] == "commercant"
    assert {r.id for r in police_recipients(result)} == {operator.id, agent.id, "police:1"}


def test_substituted_key_in_a_certificate_is_refused(
    commune: Commune, merchant: Device, operator: Device
) -> None:
    forged = operator.entry()
    body = json.loads(operator.chain[0].body)
    body["enc_key"] = x25519_public_of(X25519PrivateKey.generate())
    forged["chain"] = [
        {"body": chain.canonical_json(body).decode(), "signature": operator.chain[0].signature},
        *[d.to_wire() for d in operator.chain[1:]],
    ]
    other_operator = commune.device("operateur")
    directory = _directory(commune, [merchant.entry(), forged, other_operator.entry()])
    result = resolve_recipients(directory, _state(commune), NOW)
    assert result.refused == [(operator.id, "bad_signature")]
    assert operator.id not in {r.id for r in result.recipients}


def test_uncertified_device_is_refused(commune: Commune, operator: Device) -> None:
    intruder = commune.device("operateur", issuer_key=Ed25519PrivateKey.generate())
    result = resolve_recipients(
        _directory(commune, [operator.entry(), intruder.entry()]), _state(commune), NOW
    )
    assert result.refused == [(intruder.id, "broken_chain")]
    assert [r.id for r in result.recipients] == [operator.id]


def test_entry_relabelled_with_another_device_id_is_refused(
    commune: Commune, merchant: Device, operator: Device
) -> None:
    relabelled = {**merchant.entry(), "device": "someone-else"}
    result = resolve_recipients(
        _directory(commune, [operator.entry(), relabelled]), _state(commune), NOW
    )
    assert result.refused == [("someone-else", "malformed")]


def test_coordinator_and_dpo_are_not_recipients(commune: Commune, operator: Device) -> None:
    dpo = commune.device("dpo")
    result = resolve_recipients(
        _directory(commune, [operator.entry(), commune.coordinator.entry(), dpo.entry()]),
        _state(commune),
        NOW,
    )
    assert sorted(result.refused) == sorted(
        [(commune.coordinator.id, "not_allowed_recipient"), (dpo.id, "not_allowed_recipient")]
    )


def test_merchant_of_another_shop_for_an_incident(commune: Commune, operator: Device) -> None:
    elsewhere = commune.device("commercant", "another-shop")
    result = resolve_recipients(
        _directory(commune, [operator.entry(), elsewhere.entry()]), _state(commune), NOW
    )
    assert result.refused == [(elsewhere.id, "not_allowed_recipient")]


def test_sector_alert_goes_to_merchants_only(
    commune: Commune, merchant: Device, operator: Device
) -> None:
    neighbour = commune.device("commercant", "another-shop")
    service, _ = _published(commune, operator)
    result = resolve_recipients(
        _directory(
            commune,
            [merchant.entry(), neighbour.entry(), operator.entry()],
            purpose="sector",
            service=service,
        ),
        _state(commune),
        NOW,
    )
    assert {r.id for r in result.recipients} == {merchant.id, neighbour.id}
    assert sorted(result.refused) == sorted(
        [(operator.id, "not_allowed_recipient"), (SERVICE_ENTRY, "not_allowed_recipient")]
    )


def test_revoked_device_is_refused(commune: Commune, merchant: Device, operator: Device) -> None:
    commune.revoke(merchant, at=NOW - 10)
    result = resolve_recipients(
        _directory(commune, [merchant.entry(), operator.entry()]), _state(commune), NOW
    )
    assert result.refused == [(merchant.id, "revoked")]
    assert result.state.known_revoked_serials == {merchant.serial}
    assert result.state.last_revocation_number == 1


def test_older_revocation_list_refuses_the_send(commune: Commune, operator: Device) -> None:
    with pytest.raises(EnvelopeError) as caught:
        resolve_recipients(
            _directory(commune, [operator.entry()]),
            _state(commune, last_revocation_number=2),
            NOW,
        )
    assert caught.value.code == "stale_revocations"


def test_list_forgetting_a_known_revocation_refuses_the_send(
    commune: Commune, merchant: Device, operator: Device
) -> None:
    commune.revoke(merchant, at=NOW - 10)
    forgetful = commune.revocation_document(number=5, entries=[])
    with pytest.raises(EnvelopeError) as caught:
        resolve_recipients(
            _directory(commune, [operator.entry()], revocations=forgetful),
            _state(
                commune,
                last_revocation_number=1,
                known_revoked_serials=frozenset({merchant.serial}),
            ),
            NOW,
        )
    assert caught.value.code == "stale_revocations"


def test_revocation_list_signed_by_another_root(commune: Commune, operator: Device) -> None:
    other = Commune(id=commune.id)
    with pytest.raises(EnvelopeError) as caught:
        resolve_recipients(
            _directory(commune, [operator.entry()], revocations=other.revocation_document()),
            _state(commune),
            NOW,
        )
    assert caught.value.code == "broken_chain"


def test_no_verifiable_police_recipient(
    commune: Commune, merchant: Device, operator: Device
) -> None:
    intruder = commune.device("operateur", issuer_key=Ed25519PrivateKey.generate())
    agent = commune.device("agent")
    with pytest.raises(EnvelopeError) as caught:
        resolve_recipients(
            _directory(commune, [merchant.entry(), intruder.entry(), agent.entry()]),
            _state(commune),
            NOW,
        )
    assert caught.value.code == "no_police_recipient"
    assert "17" in caught.value.message


def test_service_key_alone_is_enough_for_a_report(commune: Commune, merchant: Device) -> None:
    holder = commune.device("operateur")
    service, key = _published(commune, holder)
    result = resolve_recipients(
        _directory(commune, [merchant.entry()], purpose="report", service=service),
        _state(commune),
        NOW,
    )
    assert [(r.id, r.key) for r in result.recipients] == [
        (merchant.id, merchant.enc_public),
        ("police:1", key),
    ]


def test_stale_service_key_is_dropped_and_reported(
    commune: Commune, merchant: Device, operator: Device
) -> None:
    service, _ = _published(commune, operator, number=2)
    result = resolve_recipients(
        _directory(commune, [merchant.entry(), operator.entry()], service=service),
        _state(commune, last_service_key_number=3),
        NOW,
    )
    assert result.refused == [(SERVICE_ENTRY, "stale_service_key")]
    assert result.service_key is None
    assert result.state.last_service_key_number == 3
    with pytest.raises(EnvelopeError) as caught:
        resolve_recipients(
            _directory(commune, [merchant.entry()], service=service),
            _state(commune, last_service_key_number=3),
            NOW,
        )
    assert caught.value.code == "no_police_recipient"


def test_service_key_signed_by_a_merchant_is_refused(
    commune: Commune, merchant: Device, operator: Device
) -> None:
    service, _ = _published(commune, merchant)
    result = resolve_recipients(
        _directory(commune, [operator.entry()], service=service), _state(commune), NOW
    )
    assert result.refused == [(SERVICE_ENTRY, "not_allowed_recipient")]
    assert [r.kind for r in result.recipients] == ["device"]


def test_garbage_entries_are_refused_not_fatal(commune: Commune, operator: Device) -> None:
    directory = _directory(
        commune, [operator.entry(), "x", {"device": 3}, {"device": "d", "chain": "no"}]
    )
    result = resolve_recipients(directory, _state(commune), NOW)
    assert result.refused == [("", "malformed"), ("", "malformed"), ("d", "malformed")]
    assert [r.id for r in result.recipients] == [operator.id]


def test_duplicate_entry_is_refused(commune: Commune, operator: Device) -> None:
    result = resolve_recipients(
        _directory(commune, [operator.entry(), operator.entry()]), _state(commune), NOW
    )
    assert result.refused == [(operator.id, "malformed")]
    assert len(result.recipients) == 1


def test_directory_shape(commune: Commune, operator: Device) -> None:
    directory = _directory(commune, [operator.entry()])
    broken_ones: list[Any] = [{**directory, "extra": 1}, {**directory, "purpose": "all"}, []]
    for broken in broken_ones:
        with pytest.raises(EnvelopeError) as caught:
            resolve_recipients(broken, _state(commune), NOW)
        assert caught.value.code == "malformed"

"""The fallback partner in maillage.wire.recipients (twin of frontend/tests/duty-recipients
.test.ts): a verified « partenaire » leaf is kept for a new report only, and never stands in
for the police recipient."""

from __future__ import annotations

from typing import Any

import pytest

from maillage.wire.envelope import EnvelopeError
from maillage.wire.recipients import TrustState, resolve_recipients
from maillage.wire.tests.factory import NOW, Commune


def _directory(commune: Commune, purpose: str, devices: list[Any]) -> dict[str, Any]:
    return {
        "purpose": purpose,
        "shop": None if purpose == "sector" else commune.shop,
        "revocations": commune.revocation_document(),
        "devices": devices,
        "service_key": None,
    }


def _state(commune: Commune) -> TrustState:
    return TrustState(commune.root_public, commune.fingerprint, commune.id)


def test_a_partner_is_kept_for_a_report_only_and_is_not_the_police() -> None:
    commune = Commune()
    operator = commune.device("operateur")
    merchant = commune.device("commercant", commune.shop)
    partner = commune.device("partenaire")
    marked = {**partner.entry(), "fallback": True}

    report = resolve_recipients(
        _directory(commune, "report", [operator.entry(), merchant.entry(), marked]),
        _state(commune),
        NOW,
    )
    assert report.refused == []
    assert {r.id for r in report.recipients} == {operator.id, merchant.id, partner.id}
    # Keys come from the verified leaf, whatever the entry says.
    assert next(r.key for r in report.recipients if r.id == partner.id) == partner.enc_public

    for purpose, others in (("incident", [operator.entry()]), ("sector", [merchant.entry()])):
        result = resolve_recipients(
            _directory(commune, purpose, [*others, partner.entry()]), _state(commune), NOW
        )
        assert result.refused == [(partner.id, "not_allowed_recipient")]

    with pytest.raises(EnvelopeError) as refused:
        resolve_recipients(
            _directory(commune, "report", [merchant.entry(), marked]), _state(commune), NOW
        )
    assert refused.value.code == "no_police_recipient"

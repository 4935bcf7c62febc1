"""Cross-language vectors: service-key documents, grants and recipient selection.

`tests/vectors/service-key-v1.json` (written by `generate_service_key_vectors.py`) and
`service-key-v1-ts.json` (signed and sealed by `frontend/scripts/service-key-vectors.gen.ts`
with the same keys) are also read by `frontend/tests/service-key-vectors.test.ts`: both
implementations must end every case alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from maillage.wire import chain, hpke, recipients, service_key
from maillage.wire.envelope import ENVELOPE_MESSAGES, EnvelopeError, TrustContext

FOLDER = Path(__file__).resolve().parents[4] / "tests" / "vectors"
FILES = {
    name: json.loads((FOLDER / name).read_text(encoding="utf-8"))
    for name in ("service-key-v1.json", "service-key-v1-ts.json")
}
VECTORS: dict[str, Any] = FILES["service-key-v1.json"]
NOW: int = VECTORS["now"]


def _trust() -> TrustContext:
    wire = VECTORS["revocations"]
    root = VECTORS["root"]
    verified = chain.verify_revocation_list(
        chain.SignedDocument.from_wire(wire),
        chain.parse_chain(wire["chain"]),
        root["public_key"],
        root["fingerprint"],
        VECTORS["commune"],
        0,
        NOW,
    )
    return TrustContext(root["public_key"], root["fingerprint"], VECTORS["commune"], verified)


def _outcome(work: Any) -> dict[str, Any]:
    try:
        return {"ok": True, **work()}
    except EnvelopeError as exc:
        assert exc.message, exc.code
        return {"ok": False, "code": exc.code}


def _ids(section: str) -> list[Any]:
    return [
        pytest.param(case, id=f"{name}-{case['name']}")
        for name, vectors in FILES.items()
        for case in vectors[section]
    ]


def test_both_files_share_keys_and_the_message_table() -> None:
    python, typescript = FILES.values()
    assert typescript["generated_by"] == "frontend/scripts/service-key-vectors.gen.ts"
    assert len(typescript["service_keys"]) >= 8 and len(typescript["grants"]) >= 8
    for name in ("commune", "root", "revocations", "now", "devices", "police"):
        assert typescript[name] == python[name], name
    assert python["messages"] == typescript["messages"] == ENVELOPE_MESSAGES


def test_every_outcome_is_covered() -> None:
    """The file holds both successes and refusals of each kind it is meant to pin."""
    codes = {
        case["expect"].get("code", "ok")
        for section in ("service_keys", "grants", "recipients")
        for case in VECTORS[section]
    }
    assert {
        "ok",
        "stale_service_key",
        "not_allowed_recipient",
        "revoked",
        "broken_chain",
        "bad_signature",
        "wrong_commune",
        "malformed",
        "not_canonical",
        "not_a_recipient",
        "wrong_service_key",
        "undecryptable",
        "no_police_recipient",
        "stale_revocations",
    } <= codes


@pytest.mark.parametrize("case", _ids("service_keys"))
def test_service_key_document(case: dict[str, Any]) -> None:
    def verify() -> dict[str, Any]:
        body = service_key.verify_service_key(
            case["wire"],
            _trust(),
            NOW,
            case["last_seen_number"],
            as_of_issue=case["as_of_issue"],
        )
        return {"number": body.number, "key": body.key}

    assert _outcome(verify) == case["expect"]


@pytest.mark.parametrize("case", _ids("grants"))
def test_grant(case: dict[str, Any]) -> None:
    trust = _trust()
    document = service_key.verify_service_key(case["service_key"], trust, NOW)
    opener = VECTORS["devices"][case["opener"]]
    private = X25519PrivateKey.from_private_bytes(chain.b64url_decode(opener["private_key"]))

    def open_grant() -> dict[str, Any]:
        key = service_key.open_grant(
            chain.SignedDocument.from_wire(case["grant"]),
            chain.parse_chain(case["granter_chain"]),
            opener["device"],
            private,
            document,
            trust,
            NOW,
        )
        return {"public_key": hpke.x25519_public_of(key)}

    assert _outcome(open_grant) == case["expect"]


@pytest.mark.parametrize("case", _ids("recipients"))
def test_recipient_selection(case: dict[str, Any]) -> None:
    root, state = VECTORS["root"], case["state"]
    trust_state = recipients.TrustState(
        root_public_key=root["public_key"],
        pinned_fingerprint=root["fingerprint"],
        commune=VECTORS["commune"],
        last_revocation_number=state["last_revocation_number"],
        known_revoked_serials=frozenset(state["known_revoked_serials"]),
        last_service_key_number=state["last_service_key_number"],
    )

    def resolve() -> dict[str, Any]:
        got = recipients.resolve_recipients(case["directory"], trust_state, NOW)
        return {
            "recipients": [{"kind": r.kind, "id": r.id, "key": r.key} for r in got.recipients],
            "refused": [list(item) for item in got.refused],
            "state": {
                "last_revocation_number": got.state.last_revocation_number,
                "known_revoked_serials": sorted(got.state.known_revoked_serials),
                "last_service_key_number": got.state.last_service_key_number,
            },
        }

    assert _outcome(resolve) == case["expect"]

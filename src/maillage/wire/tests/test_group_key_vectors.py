"""Cross-language vectors: group-key generations, grants and broadcasts.

`tests/vectors/group-key-v1.json` (written by `generate_group_key_vectors.py`) and
`group-key-v1-ts.json` (signed and sealed by `frontend/scripts/group-key-vectors.gen.ts`
with the same keys) are also read by `frontend/tests/group-key-vectors.test.ts`: both
implementations must end every case alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from maillage.wire import broadcast, chain, group_key, hpke
from maillage.wire.envelope import ENVELOPE_MESSAGES, EnvelopeError, TrustContext, sha256_b64

FOLDER = Path(__file__).resolve().parents[4] / "tests" / "vectors"
FILES = {
    name: json.loads((FOLDER / name).read_text(encoding="utf-8"))
    for name in ("group-key-v1.json", "group-key-v1-ts.json")
}
VECTORS: dict[str, Any] = FILES["group-key-v1.json"]
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


def _x25519(raw: str) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(chain.b64url_decode(raw))


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
    assert typescript["generated_by"] == "frontend/scripts/group-key-vectors.gen.ts"
    for section in ("group_keys", "grants", "broadcasts"):
        assert len(typescript[section]) >= 6, section
    for name in ("commune", "sector_scope", "root", "revocations", "now", "devices", "groups"):
        assert typescript[name] == python[name], name
    assert python["messages"] == typescript["messages"] == ENVELOPE_MESSAGES


def test_every_refusal_is_covered() -> None:
    codes = {
        case["expect"].get("code", "ok")
        for section in ("group_keys", "grants", "broadcasts")
        for case in VECTORS[section]
    }
    assert {
        "ok",
        "stale_group_key",
        "wrong_group_key",
        "wrong_scope",
        "wrong_commune",
        "not_allowed_recipient",
        "not_allowed_sender",
        "not_a_recipient",
        "revoked",
        "broken_chain",
        "bad_signature",
        "malformed",
        "not_canonical",
        "undecryptable",
        "wrong_context",
        "tampered",
        "wrong_sender",
        "unsupported_version",
    } <= codes


@pytest.mark.parametrize("case", _ids("group_keys"))
def test_group_key_document(case: dict[str, Any]) -> None:
    last = case["last"]
    known = (
        None
        if last is None
        else group_key.parse_group_key_document(chain.SignedDocument.from_wire(last))
    )

    def verify() -> dict[str, Any]:
        body = group_key.verify_group_key(
            case["wire"], _trust(), NOW, case["scope"], known, as_of_issue=case["as_of_issue"]
        )
        return {"number": body.number, "key": body.key, "digest": body.digest}

    assert _outcome(verify) == case["expect"]


@pytest.mark.parametrize("case", _ids("grants"))
def test_group_grant(case: dict[str, Any]) -> None:
    trust = _trust()
    document = group_key.verify_group_key(case["group_key"], trust, NOW, case["scope"])
    opener = VECTORS["devices"][case["opener"]]

    def open_grant() -> dict[str, Any]:
        key = group_key.open_group_grant(
            chain.SignedDocument.from_wire(case["grant"]),
            chain.parse_chain(case["granter_chain"]),
            opener["device"],
            _x25519(opener["private_key"]),
            document,
            trust,
        )
        return {"public_key": hpke.x25519_public_of(key)}

    assert _outcome(open_grant) == case["expect"]


@pytest.mark.parametrize("case", _ids("broadcasts"))
def test_broadcast(case: dict[str, Any]) -> None:
    ref = case["opener"]["group"]
    scope, number = ref.rsplit(":", 1)
    opener = broadcast.GroupOpener(
        scope, int(number), _x25519(VECTORS["groups"][ref]), case["opener"]["superseded_at"]
    )

    def open_() -> dict[str, Any]:
        opened = broadcast.open_broadcast(
            case["wire"],
            [chain.b64url_decode(a) for a in case["attachments"]],
            broadcast.BroadcastBinding(**case["expected"]),
            opener,
            _trust(),
        )
        return {
            "text": opened.text,
            "fields": opened.fields,
            "sender": opened.sender.device,
            "number": opened.header.number,
            "attachments": [
                {"media": a.media, "sha256": sha256_b64(a.data)} for a in opened.attachments
            ],
        }

    assert _outcome(open_) == case["expect"]

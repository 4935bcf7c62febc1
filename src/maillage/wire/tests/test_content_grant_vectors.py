"""Cross-language vectors: content-key grants and the envelopes they open.

`tests/vectors/content-key-grant-v1.json` (written by
`generate_content_key_grant_vectors.py`) and `content-key-grant-v1-ts.json` (sealed by
`frontend/scripts/content-key-grant-vectors.gen.ts` with the same devices) are also read
by `frontend/tests/content-grant-vectors.test.ts`: both implementations must end every
case alike.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from maillage.wire import chain, content_grant
from maillage.wire.envelope import ENVELOPE_MESSAGES, Binding, EnvelopeError, TrustContext

FOLDER = Path(__file__).resolve().parents[4] / "tests" / "vectors"
FILES = {
    name: json.loads((FOLDER / name).read_text(encoding="utf-8"))
    for name in ("content-key-grant-v1.json", "content-key-grant-v1-ts.json")
}
PYTHON: dict[str, Any] = FILES["content-key-grant-v1.json"]


def _trust(vectors: dict[str, Any]) -> TrustContext:
    wire, root = vectors["revocations"], vectors["root"]
    verified = chain.verify_revocation_list(
        chain.SignedDocument.from_wire(wire),
        chain.parse_chain(wire["chain"]),
        root["public_key"],
        root["fingerprint"],
        vectors["commune"],
        0,
        vectors["now"],
    )
    return TrustContext(root["public_key"], root["fingerprint"], vectors["commune"], verified)


def _me(vectors: dict[str, Any], name: str) -> tuple[str, X25519PrivateKey]:
    device = vectors["devices"][name]
    return device["device"], X25519PrivateKey.from_private_bytes(
        chain.b64url_decode(device["private_key"])
    )


def _outcome(work: Any) -> dict[str, Any]:
    try:
        return {"ok": True, **work()}
    except EnvelopeError as exc:
        assert exc.message, exc.code
        return {"ok": False, "code": exc.code}


def _cases(section: str) -> list[Any]:
    return [
        pytest.param(vectors, case, id=f"{name}-{case['name']}")
        for name, vectors in FILES.items()
        for case in vectors[section]
    ]


def test_both_files_share_devices_and_the_message_table() -> None:
    python, typescript = FILES.values()
    assert typescript["generated_by"] == "frontend/scripts/content-key-grant-vectors.gen.ts"
    assert len(typescript["openings"]) >= 12 and len(typescript["grants"]) >= 4
    for name in ("commune", "root", "revocations", "now", "devices"):
        assert typescript[name] == python[name], name
    assert python["messages"] == typescript["messages"] == ENVELOPE_MESSAGES


@pytest.mark.parametrize("vectors", FILES.values(), ids=FILES.keys())
def test_every_outcome_is_covered(vectors: dict[str, Any]) -> None:
    codes = {case["expect"].get("code", "ok") for case in vectors["openings"]}
    assert {
        "ok",
        "wrong_context",
        "undecryptable",
        "not_a_recipient",
        "not_allowed_recipient",
        "bad_grant",
        "revoked",
        "wrong_commune",
        "tampered",
    } <= codes


@pytest.mark.parametrize(("vectors", "case"), _cases("openings"))
def test_opening_with_a_grant(vectors: dict[str, Any], case: dict[str, Any]) -> None:
    envelope = vectors["envelopes"][case["envelope"]]
    device, private = _me(vectors, case["opener"])

    def open_() -> dict[str, Any]:
        opened = content_grant.open_envelope_with_grant(
            envelope["wire"],
            [chain.b64url_decode(a) for a in case["attachments"]],
            Binding(**envelope["binding"]),
            chain.SignedDocument.from_wire(case["grant"]),
            chain.parse_chain(case["granter_chain"]),
            device,
            private,
            _trust(vectors),
        )
        return {
            "text": opened.text,
            "attachments": [
                chain.b64url_encode(hashlib.sha256(a.data).digest()) for a in opened.attachments
            ],
            "content_key": chain.b64url_encode(opened.content_key),
        }

    assert _outcome(open_) == case["expect"]


@pytest.mark.parametrize(("vectors", "case"), _cases("grants"))
def test_grant_alone(vectors: dict[str, Any], case: dict[str, Any]) -> None:
    device, private = _me(vectors, case["opener"])

    def open_() -> dict[str, Any]:
        key = content_grant.open_content_key_grant(
            chain.SignedDocument.from_wire(case["grant"]),
            chain.parse_chain(case["granter_chain"]),
            device,
            private,
            _trust(vectors),
        )
        return {"content_key": chain.b64url_encode(key)}

    assert _outcome(open_) == case["expect"]

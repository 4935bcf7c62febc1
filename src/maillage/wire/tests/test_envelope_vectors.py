"""Cross-language vectors: open every case sealed by Python and by TypeScript.

`envelope-v1.json` comes from `tests/vectors/generate_envelope_vectors.py`,
`envelope-v1-ts.json` from the TypeScript generator with the same fixtures. A missing
file is a failure, not a skip: the two implementations are only known to agree if both
directions are checked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from maillage.wire import chain, envelope, hpke, opening
from maillage.wire.envelope import Binding, EnvelopeError, Opener, TrustContext

VECTORS = Path(__file__).resolve().parents[4] / "tests" / "vectors"
FILES = ["envelope-v1.json", "envelope-v1-ts.json"]
# The contract between the engineers lists these; both generators must cover them.
REQUIRED_ERRORS = {
    "revoked",
    "tampered",
    "bad_signature",
    "wrong_context",
    "wrong_sender",
    "not_a_recipient",
    "undecryptable",
    "unsupported_version",
    "not_canonical",
}


def _load(name: str) -> dict[str, Any]:
    path = VECTORS / name
    assert path.exists(), f"{path} is missing: run its generator (see docs/envelope.md)"
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _cases() -> list[Any]:
    params = []
    for name in FILES:
        path = VECTORS / name
        if not path.exists():
            params.append(pytest.param(name, None, id=f"{name}-missing"))
            continue
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            params.append(pytest.param(name, case["name"], id=f"{name}-{case['name']}"))
    return params


def _trust(document: dict[str, Any]) -> TrustContext:
    revocations = document["revocations"]
    verified = chain.verify_revocation_list(
        chain.SignedDocument.from_wire(revocations),
        chain.parse_chain(revocations["chain"]),
        document["root"]["public_key"],
        document["root"]["fingerprint"],
        document["commune"],
        0,
        document["now"],
    )
    return TrustContext(
        document["root"]["public_key"],
        document["root"]["fingerprint"],
        document["commune"],
        verified,
    )


def _opener(document: dict[str, Any], name: str) -> Opener:
    fixture = document["fixtures"]["openers"][name]
    key = X25519PrivateKey.from_private_bytes(chain.b64url_decode(fixture["private_key"]))
    assert hpke.x25519_public_of(key) == fixture["public_key"]
    return Opener(fixture["kind"], fixture["id"], key)


@pytest.mark.parametrize("file_name", FILES)
def test_vector_file_exists_and_agrees_on_messages(file_name: str) -> None:
    document = _load(file_name)
    assert document["version"] == 1
    assert document["messages"] == envelope.ENVELOPE_MESSAGES
    errors = {case["result"].get("error") for case in document["cases"]}
    assert errors >= REQUIRED_ERRORS
    successes = [case for case in document["cases"] if "error" not in case["result"]]
    assert any(len(case["result"]["attachments"]) == 2 for case in successes)
    assert any(document["fixtures"]["openers"][c["opener"]]["kind"] == "service" for c in successes)


def test_both_files_share_the_python_fixtures() -> None:
    python, typescript = _load(FILES[0]), _load(FILES[1])
    assert typescript["generated_by"].startswith("typescript")
    for key in ("commune", "root", "revocations", "fixtures"):
        assert typescript[key] == python[key], key


@pytest.mark.parametrize(("file_name", "case_name"), _cases())
def test_case(file_name: str, case_name: str | None) -> None:
    document = _load(file_name)
    case = next(c for c in document["cases"] if c["name"] == case_name)
    expected = Binding(**case["expected"])
    attachments = [chain.b64url_decode(a) for a in case["attachments"]]
    opener = _opener(document, case["opener"])
    if "error" in case["result"]:
        with pytest.raises(EnvelopeError) as caught:
            opening.open_envelope(case["wire"], attachments, expected, opener, _trust(document))
        assert caught.value.code == case["result"]["error"]
        return
    opened = opening.open_envelope(case["wire"], attachments, expected, opener, _trust(document))
    assert opened.text == case["result"]["text"]
    assert opened.fields == case["result"]["fields"]
    assert [
        {
            "data": chain.b64url_encode(a.data),
            "media": a.media,
            "width": a.width,
            "height": a.height,
        }
        for a in opened.attachments
    ] == case["result"]["attachments"]

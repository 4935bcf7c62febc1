"""The HPKE layer against the official RFC 9180 vectors (Appendix A, base mode, X25519).

`tests/vectors/rfc9180-x25519-base.json` is a verbatim copy of
`../shared/vectors/rfc9180-x25519-base.json` (RFC 9180 test-vectors.json, suites
0x0020/0x0001/0x0001 and 0x0020/0x0001/0x0003) so that a clone alone can run it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from pyhpke import KEMKey, KEMKeyPair, OpenError

from maillage.wire import hpke

REPO = Path(__file__).resolve().parents[4]
VECTORS = REPO / "tests" / "vectors" / "rfc9180-x25519-base.json"


def _load() -> list[dict[str, Any]]:
    return list(json.loads(VECTORS.read_text(encoding="utf-8")))


CASES = _load()


def _ids(case: dict[str, Any]) -> str:
    return f"aead{case['aead_id']}"


def _private(hex_key: str) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(bytes.fromhex(hex_key))


def _pair(hex_key: str) -> KEMKeyPair:
    private = _private(hex_key)
    return KEMKeyPair(
        KEMKey.from_pyca_cryptography_key(private),
        KEMKey.from_pyca_cryptography_key(private.public_key()),
    )


def test_the_copy_is_the_shared_file() -> None:
    shared_dir = os.environ.get("MAILLAGE_SHARED_VECTORS") or str(
        REPO.parent / "shared" / "vectors"
    )
    shared = Path(shared_dir) / "rfc9180-x25519-base.json"
    if not shared.exists():
        pytest.skip("../shared/vectors not present in this checkout")
    assert VECTORS.read_bytes() == shared.read_bytes()


def test_both_suites_are_covered() -> None:
    assert sorted((c["mode"], c["kem_id"], c["kdf_id"], c["aead_id"]) for c in CASES) == [
        (0, 32, 1, 1),
        (0, 32, 1, 3),
    ]


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_derived_key_pairs(case: dict[str, Any]) -> None:
    kem = hpke.suite(case["aead_id"]).kem
    for ikm, sk, pk in (("ikmE", "skEm", "pkEm"), ("ikmR", "skRm", "pkRm")):
        pair = kem.derive_key_pair(bytes.fromhex(case[ikm]))
        assert pair.private_key.to_private_bytes().hex() == case[sk]
        assert pair.public_key.to_public_bytes().hex() == case[pk]


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_encap_and_decap_give_the_shared_secret(case: dict[str, Any]) -> None:
    kem = hpke.suite(case["aead_id"]).kem
    receiver = _pair(case["skRm"])
    shared_secret, enc = kem.encap(receiver.public_key, eks=_pair(case["skEm"]))
    assert enc.hex() == case["enc"]
    assert shared_secret.hex() == case["shared_secret"]
    assert kem.decap(enc, receiver.private_key).hex() == case["shared_secret"]


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_sender_reproduces_every_ciphertext_and_receiver_opens_it(case: dict[str, Any]) -> None:
    suite = hpke.suite(case["aead_id"])
    info = bytes.fromhex(case["info"])
    receiver = _pair(case["skRm"])
    enc, sender = suite.create_sender_context(receiver.public_key, info, eks=_pair(case["skEm"]))
    assert enc.hex() == case["enc"]
    opener = suite.create_recipient_context(enc, receiver.private_key, info)
    expected = {e["sequence_number"]: e for e in case["encryptions"]}
    # Sequence numbers 3, 5…254 are absent: seal and open filler messages to advance both.
    for seq in range(max(expected) + 1):
        vector = expected.get(seq)
        pt = bytes.fromhex(vector["pt"]) if vector else b"filler"
        aad = bytes.fromhex(vector["aad"]) if vector else b""
        ct = sender.seal(pt, aad)
        if vector:
            assert ct.hex() == vector["ct"], f"sequence {seq}"
        assert opener.open(ct, aad) == pt


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_fresh_receiver_opens_the_consecutive_vectors(case: dict[str, Any]) -> None:
    suite = hpke.suite(case["aead_id"])
    opener = suite.create_recipient_context(
        bytes.fromhex(case["enc"]), _pair(case["skRm"]).private_key, bytes.fromhex(case["info"])
    )
    consecutive = [e for e in case["encryptions"] if e["sequence_number"] <= 2]
    assert [e["sequence_number"] for e in consecutive] == [0, 1, 2]
    for vector in consecutive:
        pt = opener.open(bytes.fromhex(vector["ct"]), bytes.fromhex(vector["aad"]))
        assert pt.hex() == vector["pt"]


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_exports(case: dict[str, Any]) -> None:
    suite = hpke.suite(case["aead_id"])
    info = bytes.fromhex(case["info"])
    receiver = _pair(case["skRm"])
    _, sender = suite.create_sender_context(receiver.public_key, info, eks=_pair(case["skEm"]))
    opener = suite.create_recipient_context(bytes.fromhex(case["enc"]), receiver.private_key, info)
    for export in case["exports"]:
        context = bytes.fromhex(export["exporter_context"])
        assert sender.export(context, export["L"]).hex() == export["exported_value"]
        assert opener.export(context, export["L"]).hex() == export["exported_value"]


def test_envelope_helpers_use_the_aes128_suite() -> None:
    """`hpke.seal`/`open_` (what envelopes call) reproduce sequence 0 of the AEAD 1 vector."""
    case = next(c for c in CASES if c["aead_id"] == 1)
    first = case["encryptions"][0]
    receiver = _private(case["skRm"])
    enc, ct = hpke.hpke_seal(
        bytes.fromhex(case["pkRm"]),
        bytes.fromhex(first["pt"]),
        info=bytes.fromhex(case["info"]),
        aad=bytes.fromhex(first["aad"]),
        ephemeral=_private(case["skEm"]),
    )
    assert (enc.hex(), ct.hex()) == (case["enc"], first["ct"])
    opened = hpke.hpke_open(
        receiver, enc, ct, info=bytes.fromhex(case["info"]), aad=bytes.fromhex(first["aad"])
    )
    assert opened.hex() == first["pt"]
    with pytest.raises(hpke.HpkeFailure):
        hpke.hpke_open(receiver, enc, ct, info=bytes.fromhex(case["info"]), aad=b"other")


def test_a_wrong_aad_is_refused_by_the_library() -> None:
    case = CASES[0]
    first = case["encryptions"][0]
    opener = hpke.suite(1).create_recipient_context(
        bytes.fromhex(case["enc"]), _pair(case["skRm"]).private_key, bytes.fromhex(case["info"])
    )
    with pytest.raises(OpenError):
        opener.open(bytes.fromhex(first["ct"]), b"Count-9")

"""chain.py against the shared vectors (the contract with chain.ts) and its own edge cases."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from maillage.wire.chain import (
    MAX_CHAIN_LENGTH,
    TRUST_MESSAGES,
    CertificateBody,
    RevocationEntry,
    RevocationList,
    SignedDocument,
    TrustError,
    b64url_decode,
    b64url_encode,
    canonical_json,
    fingerprint,
    issue_certificate,
    issue_revocation_list,
    parse_certificate,
    parse_chain,
    parse_revocation_document,
    public_key_b64,
    sign_document,
    verify_chain,
    verify_revocation_list,
)

VECTORS_PATH = Path(__file__).resolve().parents[4] / "tests" / "vectors" / "trust-v1.json"
VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="ascii"))
CASES: list[dict[str, Any]] = VECTORS["cases"]

COMMUNE = "0b6f4a52-4c1e-4d7a-9a43-5f0e2c8b1a01"
NOW = 1_770_000_000


def run_case(case: Mapping[str, Any]) -> CertificateBody:
    """What a client does: verify the revocation list first, then the chain against it."""
    chain = parse_chain(case["chain"])
    revocations: RevocationList | None = None
    if case["revocations"] is not None:
        doc, signer_chain = parse_revocation_document(case["revocations"])
        revocations = verify_revocation_list(
            doc,
            signer_chain,
            case["root_public_key"],
            case["pinned_fingerprint"],
            case["commune"],
            case["last_seen_number"],
            case["now"],
            known_serials=case["known_revoked_serials"],
        )
    return verify_chain(
        chain,
        case["root_public_key"],
        case["pinned_fingerprint"],
        case["commune"],
        revocations,
        case["now"],
    )


# --- vectors --------------------------------------------------------------------------


def test_vectors_cover_every_error_code() -> None:
    codes = {case["expect"].get("code") for case in CASES} - {None}
    assert codes == set(TRUST_MESSAGES)
    assert any(case["expect"]["ok"] for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_vector_case(case: dict[str, Any]) -> None:
    expect = case["expect"]
    if expect["ok"]:
        assert run_case(case).device == expect["leaf_device"]
    else:
        with pytest.raises(TrustError) as caught:
            run_case(case)
        assert caught.value.code == expect["code"]


def test_error_messages_match_vectors() -> None:
    assert VECTORS["error_messages"] == TRUST_MESSAGES
    error = TrustError("revoked")
    assert error.message == "Cet appareil a été révoqué ou suspendu."
    assert error.code == "revoked"


@pytest.mark.parametrize(
    "case", VECTORS["canonical"]["valid"], ids=[c["name"] for c in VECTORS["canonical"]["valid"]]
)
def test_canonical_vector(case: dict[str, Any]) -> None:
    assert canonical_json(case["input"]) == case["expected"].encode("utf-8")


@pytest.mark.parametrize(
    "case",
    VECTORS["canonical"]["invalid"],
    ids=[c["name"] for c in VECTORS["canonical"]["invalid"]],
)
def test_canonical_vector_refused(case: dict[str, Any]) -> None:
    with pytest.raises(TrustError) as caught:
        canonical_json(json.loads(case["input_json"]))
    assert caught.value.code == "not_canonical"


def test_b64url_vectors() -> None:
    for case in VECTORS["b64url"]["valid"]:
        data = bytes.fromhex(case["hex"])
        assert b64url_encode(data) == case["text"]
        assert b64url_decode(case["text"]) == data
    for text in VECTORS["b64url"]["invalid"]:
        with pytest.raises(TrustError):
            b64url_decode(text)


def test_key_vectors_are_consistent() -> None:
    for key in VECTORS["keys"].values():
        private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key["seed_hex"]))
        assert public_key_b64(private) == key["public_key"]
        assert fingerprint(b64url_decode(key["public_key"])) == key["fingerprint"]
        assert len(key["fingerprint"]) == 43


def test_signatures_are_reproducible_from_vector_seeds() -> None:
    """Ed25519 is deterministic: re-signing a vector body gives the vector's signature."""
    root = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(VECTORS["keys"]["root"]["seed_hex"]))
    coordinator_cert = CASES[0]["chain"][1]
    resigned = sign_document(json.loads(coordinator_cert["body"]), root)
    assert resigned.to_wire() == coordinator_cert


# --- canonical JSON -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [{1: "x"}, {("a",): 1}, {"x": {1.0: 2}}, {"x": 0.1}, {"x": b"bytes"}, {"x": {1, 2}}]
)
def test_canonical_refuses_non_json_values(value: object) -> None:
    with pytest.raises(TrustError) as caught:
        canonical_json(value)
    assert caught.value.code == "not_canonical"


def test_canonical_keeps_booleans_apart_from_integers() -> None:
    assert canonical_json({"a": True, "b": 1, "c": (1, False)}) == b'{"a":true,"b":1,"c":[1,false]}'


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1)
    | st.text(alphabet=st.characters(exclude_categories=["Cs"])),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(alphabet=st.characters(exclude_categories=["Cs"])), children, max_size=4
        )
    ),
    max_leaves=20,
)


@given(json_values)
def test_canonical_round_trip_is_stable(value: object) -> None:
    raw = canonical_json(value)
    assert canonical_json(json.loads(raw)) == raw


# --- signing and verifying with fresh keys -----------------------------------------


def _fresh_device() -> tuple[Ed25519PrivateKey, str, str]:
    sign = Ed25519PrivateKey.generate()
    enc = X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return sign, public_key_b64(sign), b64url_encode(enc)


def _pki() -> dict[str, Any]:
    root = Ed25519PrivateKey.generate()
    coord_key, coord_sign, coord_enc = _fresh_device()
    merchant_key, merchant_sign, merchant_enc = _fresh_device()
    coordinator = issue_certificate(
        root,
        commune=COMMUNE,
        device="coord-device",
        member="coord-member",
        role="coordinateur",
        shop=None,
        enc_key=coord_enc,
        sign_key=coord_sign,
        may_certify=True,
        issued_at=NOW - 10,
        expires_at=NOW + 1000,
    )
    merchant = issue_certificate(
        coord_key,
        commune=COMMUNE,
        device="merchant-device",
        member="merchant-member",
        role="commercant",
        shop="shop-1",
        enc_key=merchant_enc,
        sign_key=merchant_sign,
        may_certify=False,
        issued_at=NOW - 10,
        expires_at=NOW + 1000,
    )
    return {
        "root": root,
        "root_b64": public_key_b64(root),
        "pin": fingerprint(b64url_decode(public_key_b64(root))),
        "coord_key": coord_key,
        "merchant_key": merchant_key,
        "coordinator": coordinator,
        "merchant": merchant,
    }


def test_issued_chain_verifies_and_returns_leaf() -> None:
    pki = _pki()
    leaf = verify_chain(
        [pki["merchant"], pki["coordinator"]], pki["root_b64"], pki["pin"], COMMUNE, None, NOW
    )
    assert leaf.device == "merchant-device"
    assert leaf.shop == "shop-1"
    assert leaf.sign_key == public_key_b64(pki["merchant_key"])
    assert len(leaf.enc_key_raw) == 32


def test_revocation_list_signed_by_coordinator_is_accepted_then_revokes() -> None:
    pki = _pki()
    merchant_body = parse_certificate(pki["merchant"])
    entry = RevocationEntry(merchant_body.serial, merchant_body.device, "revoked", NOW)
    doc = issue_revocation_list(
        pki["coord_key"], commune=COMMUNE, number=1, issued_at=NOW, entries=[entry]
    )
    revocations = verify_revocation_list(
        doc, [pki["coordinator"]], pki["root_b64"], pki["pin"], COMMUNE, 1, NOW
    )
    assert revocations.number == 1
    assert revocations.serials == {merchant_body.serial}
    with pytest.raises(TrustError) as caught:
        verify_chain(
            [pki["merchant"], pki["coordinator"]],
            pki["root_b64"],
            pki["pin"],
            COMMUNE,
            revocations,
            NOW,
        )
    assert caught.value.code == "revoked"


def test_revocation_list_of_other_commune_is_not_applied() -> None:
    pki = _pki()
    doc = issue_revocation_list(
        pki["root"], commune="ailleurs", number=0, issued_at=NOW, entries=[]
    )
    wrong = verify_revocation_list(doc, [], pki["root_b64"], pki["pin"], "ailleurs", 0, NOW)
    with pytest.raises(TrustError) as caught:
        verify_chain([pki["coordinator"]], pki["root_b64"], pki["pin"], COMMUNE, wrong, NOW)
    assert caught.value.code == "wrong_commune"


def test_chain_longer_than_limit_is_malformed() -> None:
    pki = _pki()
    chain = [pki["merchant"]] * (MAX_CHAIN_LENGTH + 1)
    with pytest.raises(TrustError) as caught:
        verify_chain(chain, pki["root_b64"], pki["pin"], COMMUNE, None, NOW)
    assert caught.value.code == "malformed"


def test_issue_certificate_refuses_certifying_merchant_and_bad_keys() -> None:
    root = Ed25519PrivateKey.generate()
    _, sign, enc = _fresh_device()
    common: dict[str, Any] = {
        "commune": COMMUNE,
        "device": "d",
        "member": "m",
        "shop": None,
        "issued_at": NOW,
        "expires_at": NOW + 1,
    }
    with pytest.raises(TrustError):
        issue_certificate(
            root, role="commercant", enc_key=enc, sign_key=sign, may_certify=True, **common
        )
    with pytest.raises(TrustError):
        issue_certificate(
            root, role="commercant", enc_key=enc[:-2], sign_key=sign, may_certify=False, **common
        )
    with pytest.raises(TrustError):
        issue_certificate(
            root,
            role="commercant",
            enc_key=enc,
            sign_key=sign,
            may_certify=False,
            **(common | {"expires_at": NOW}),
        )


def test_wrong_types_on_the_wire_are_malformed() -> None:
    for wire in [None, {"body": 1, "signature": "x"}, {"body": "{}"}, "text"]:
        with pytest.raises(TrustError) as caught:
            SignedDocument.from_wire(wire)
        assert caught.value.code == "malformed"
    with pytest.raises(TrustError):
        parse_chain({"body": "{}", "signature": ""})


@given(st.integers(min_value=0, max_value=63), st.integers(min_value=0, max_value=7))
def test_any_flipped_signature_bit_is_refused(byte: int, bit: int) -> None:
    pki = _pki()
    signature = bytearray(b64url_decode(pki["coordinator"].signature))
    signature[byte] ^= 1 << bit
    forged = SignedDocument(pki["coordinator"].body, b64url_encode(bytes(signature)))
    with pytest.raises(TrustError) as caught:
        verify_chain([forged], pki["root_b64"], pki["pin"], COMMUNE, None, NOW)
    assert caught.value.code == "bad_signature"

"""Write tests/vectors/trust-v1.json, the contract between chain.py and chain.ts.

Run once: `.venv/bin/python tests/vectors/generate_trust_vectors.py`. Keys come from fixed
seeds and Ed25519 signatures are deterministic, so running it again gives the same file;
the committed file is the contract and tests only read it. Test keys only: never use
them anywhere else.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from maillage.wire.chain import (  # noqa: E402
    TRUST_MESSAGES,
    RevocationEntry,
    RevocationReason,
    SignedDocument,
    b64url_encode,
    canonical_json,
    fingerprint,
    issue_certificate,
    issue_revocation_list,
    sign_document,
)

OUTPUT = Path(__file__).with_name("trust-v1.json")

COMMUNE = "0b6f4a52-4c1e-4d7a-9a43-5f0e2c8b1a01"
OTHER_COMMUNE = "7d2e9c10-8b3f-4e6a-b5c4-2a1d0f9e8c02"
ISSUED = 1764198000  # 2025-11-26T23:00:00Z
EXPIRES = 1795734000  # one year later
NOW = 1770000000  # 2026-02-02, inside the validity period


@dataclass(frozen=True)
class TestKey:
    name: str
    sign: Ed25519PrivateKey
    enc: X25519PrivateKey

    @property
    def public(self) -> str:
        return b64url_encode(self.sign.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    @property
    def enc_public(self) -> str:
        return b64url_encode(self.enc.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.sign.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def describe(self) -> dict[str, str]:
        seed = self.sign.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        pkcs8 = self.sign.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        return {
            "seed_hex": seed.hex(),
            "pkcs8": b64url_encode(pkcs8),
            "public_key": self.public,
            "fingerprint": self.fingerprint,
            "enc_public_key": self.enc_public,
        }


def make_key(name: str) -> TestKey:
    def seed(purpose: str) -> bytes:
        return hashlib.sha256(f"maillage/trust-v1/{name}/{purpose}".encode()).digest()

    return TestKey(
        name,
        Ed25519PrivateKey.from_private_bytes(seed("sign")),
        X25519PrivateKey.from_private_bytes(seed("enc")),
    )


KEYS = {
    name: make_key(name)
    for name in (
        "root",
        "coordinator",
        "merchant",
        "attacker",
        "other_root",
        "other_coordinator",
        "other_merchant",
        "plain_coordinator",
        "coordinator_second_device",
        "second_merchant",
    )
}


def serial(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def device_id(n: int) -> str:
    return f"d0000000-0000-4000-8000-{n:012d}"


def member_id(n: int) -> str:
    return f"a0000000-0000-4000-8000-{n:012d}"


SHOP = "5e000000-0000-4000-8000-000000000001"


def cert(
    issuer: TestKey,
    subject: TestKey,
    n: int,
    *,
    role: Any = "commercant",
    may_certify: bool = False,
    commune: str = COMMUNE,
    issued_at: int = ISSUED,
    expires_at: int = EXPIRES,
) -> SignedDocument:
    return issue_certificate(
        issuer.sign,
        serial=serial(n),
        commune=commune,
        device=device_id(n),
        member=member_id(n),
        role=role,
        shop=SHOP if role == "commercant" else None,
        enc_key=subject.enc_public,
        sign_key=subject.public,
        may_certify=may_certify,
        issued_at=issued_at,
        expires_at=expires_at,
    )


def coordinator_cert(issuer: TestKey, subject: TestKey, n: int, **kw: Any) -> SignedDocument:
    kw.setdefault("may_certify", True)
    return cert(issuer, subject, n, role="coordinateur", **kw)


def body_of(doc: SignedDocument) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(doc.body)
    return body


def tamper(doc: SignedDocument, **changes: Any) -> SignedDocument:
    """Change the body (kept canonical) but keep the old signature: what a server could do."""
    body = body_of(doc) | changes
    return SignedDocument(canonical_json(body).decode(), doc.signature)


def raw_signed(text: str, key: TestKey) -> SignedDocument:
    """Sign text exactly as given, canonical or not."""
    return SignedDocument(text, b64url_encode(key.sign.sign(text.encode())))


def entry(n: int, reason: RevocationReason = "revoked") -> RevocationEntry:
    return RevocationEntry(serial=serial(n), device=device_id(n), reason=reason, at=ISSUED + 3600)


def revocations(
    signer: TestKey,
    number: int,
    entries: list[RevocationEntry],
    chain: list[SignedDocument] | None = None,
    commune: str = COMMUNE,
) -> dict[str, Any]:
    doc = issue_revocation_list(
        signer.sign, commune=commune, number=number, issued_at=ISSUED + 7200, entries=entries
    )
    return {**doc.to_wire(), "chain": [c.to_wire() for c in chain or []]}


def build_cases() -> list[dict[str, Any]]:
    k = KEYS
    coordinator = coordinator_cert(k["root"], k["coordinator"], 1)
    merchant = cert(k["coordinator"], k["merchant"], 2)
    list0 = revocations(k["root"], 0, [])
    unrelated = entry(99, "suspended")

    cases: list[dict[str, Any]] = []

    def case(
        name: str,
        description: str,
        chain: list[SignedDocument],
        expect: dict[str, Any],
        *,
        revocation_doc: dict[str, Any] | None = list0,
        last_seen_number: int = 0,
        known_revoked_serials: list[str] | None = None,
        root: TestKey = k["root"],
        pinned: str | None = None,
        commune: str = COMMUNE,
        now: int = NOW,
    ) -> None:
        cases.append(
            {
                "name": name,
                "description": description,
                "chain": [c.to_wire() for c in chain],
                "root_public_key": root.public,
                "pinned_fingerprint": pinned or k["root"].fingerprint,
                "commune": commune,
                "revocations": revocation_doc,
                "last_seen_number": last_seen_number,
                "known_revoked_serials": known_revoked_serials or [],
                "now": now,
                "expect": expect,
            }
        )

    def ok(n: int) -> dict[str, Any]:
        return {"ok": True, "leaf_device": device_id(n)}

    def fail(code: str) -> dict[str, Any]:
        assert code in TRUST_MESSAGES
        return {"ok": False, "code": code}

    # --- accepted chains
    case(
        "valid_root_coordinator_merchant",
        "root certifies a coordinator device, which certifies a merchant device",
        [merchant, coordinator],
        ok(2),
    )
    case("valid_root_coordinator", "root certifies a coordinator device", [coordinator], ok(1))
    case(
        "valid_without_revocation_list",
        "no revocation list given: revocation check skipped (bootstrap only)",
        [merchant, coordinator],
        ok(2),
        revocation_doc=None,
    )
    case(
        "valid_coordinator_signed_revocations",
        "revocation list 1 signed by the coordinator device, unrelated entry",
        [merchant, coordinator],
        ok(2),
        revocation_doc=revocations(k["coordinator"], 1, [unrelated], [coordinator]),
        last_seen_number=1,
        known_revoked_serials=[unrelated.serial],
    )
    skew = cert(k["coordinator"], k["merchant"], 2, issued_at=NOW + 300)
    case(
        "valid_within_clock_skew",
        "issued 300 s in the future: tolerated clock skew",
        [skew, coordinator],
        ok(2),
    )
    case(
        "valid_coordinator_second_device",
        "a coordinator device certifies the coordinator's second device, which certifies",
        [
            cert(k["coordinator_second_device"], k["merchant"], 2),
            coordinator_cert(k["coordinator"], k["coordinator_second_device"], 5),
            coordinator,
        ],
        ok(2),
    )

    # --- key substitution and forgeries
    case(
        "server_substituted_enc_key",
        "merchant body's enc_key replaced by the attacker's, signature kept",
        [tamper(merchant, enc_key=k["attacker"].enc_public), coordinator],
        fail("bad_signature"),
    )
    case(
        "server_substituted_sign_key",
        "merchant body's sign_key replaced by the attacker's, signature kept",
        [tamper(merchant, sign_key=k["attacker"].public), coordinator],
        fail("bad_signature"),
    )
    case(
        "server_swapped_keys",
        "merchant body's sign_key and enc_key fields swapped with another device's",
        [
            tamper(
                merchant,
                sign_key=k["second_merchant"].public,
                enc_key=k["second_merchant"].enc_public,
            ),
            coordinator,
        ],
        fail("bad_signature"),
    )
    case(
        "attacker_signed_claiming_coordinator",
        "merchant certificate signed by the attacker key, issuer = coordinator fingerprint",
        [
            raw_signed(
                canonical_json(body_of(merchant) | {"sign_key": k["attacker"].public}).decode(),
                k["attacker"],
            ),
            coordinator,
        ],
        fail("bad_signature"),
    )
    attacker_merchant = cert(k["attacker"], k["attacker"], 2)
    case(
        "attacker_chain_not_reaching_root",
        "certificate issued by the attacker key, no path to the root",
        [attacker_merchant],
        fail("broken_chain"),
    )
    attacker_claims_root = raw_signed(
        canonical_json(body_of(coordinator) | {"sign_key": k["attacker"].public}).decode(),
        k["attacker"],
    )
    case(
        "attacker_certificate_claiming_root",
        "coordinator certificate for the attacker key, issuer = root, signed by the attacker",
        [attacker_merchant, attacker_claims_root],
        fail("bad_signature"),
    )
    case(
        "chain_in_wrong_order",
        "chain given root end first instead of leaf first",
        [coordinator, merchant],
        fail("broken_chain"),
    )

    # --- root pinning and communes
    case(
        "pinned_other_root",
        "pinned fingerprint is another commune's root",
        [merchant, coordinator],
        fail("root_mismatch"),
        pinned=k["other_root"].fingerprint,
    )
    case(
        "server_substituted_root",
        "server presents another root key than the one pinned from the invitation link",
        [merchant, coordinator],
        fail("root_mismatch"),
        root=k["other_root"],
    )
    case(
        "certificate_of_another_commune",
        "the commune's coordinator certifies a device of another commune",
        [cert(k["coordinator"], k["merchant"], 2, commune=OTHER_COMMUNE), coordinator],
        fail("wrong_commune"),
    )
    other_coordinator = coordinator_cert(
        k["other_root"], k["other_coordinator"], 11, commune=OTHER_COMMUNE
    )
    case(
        "chain_of_another_commune",
        "a whole chain of another commune, its root pinned, checked for this commune",
        [
            cert(k["other_coordinator"], k["other_merchant"], 12, commune=OTHER_COMMUNE),
            other_coordinator,
        ],
        fail("wrong_commune"),
        revocation_doc=None,
        root=k["other_root"],
        pinned=k["other_root"].fingerprint,
    )
    case(
        "chain_of_another_commune_under_our_root",
        "another commune's chain checked against this commune's pinned root",
        [
            cert(k["other_coordinator"], k["other_merchant"], 12, commune=OTHER_COMMUNE),
            other_coordinator,
        ],
        fail("broken_chain"),
    )

    # --- revocation
    case(
        "revoked_merchant",
        "merchant serial in revocation list 1 (root-signed)",
        [merchant, coordinator],
        fail("revoked"),
        revocation_doc=revocations(k["root"], 1, [entry(2)]),
    )
    case(
        "suspended_merchant",
        "merchant serial suspended in revocation list 1",
        [merchant, coordinator],
        fail("revoked"),
        revocation_doc=revocations(k["root"], 1, [entry(2, "suspended")]),
    )
    case(
        "revoked_coordinator",
        "coordinator revoked: the merchant it certified fails too",
        [merchant, coordinator],
        fail("revoked"),
        revocation_doc=revocations(k["root"], 1, [entry(1)]),
    )

    # --- certifier rights and validity periods
    plain = coordinator_cert(k["root"], k["plain_coordinator"], 3, may_certify=False)
    case(
        "issuer_without_may_certify",
        "coordinator device without may_certify certifies a merchant device",
        [cert(k["plain_coordinator"], k["merchant"], 2), plain],
        fail("not_a_certifier"),
    )
    merchant_certifier_body = body_of(cert(k["coordinator"], k["merchant"], 4)) | {
        "may_certify": True
    }
    merchant_certifier = sign_document(merchant_certifier_body, k["coordinator"].sign)
    case(
        "merchant_with_may_certify",
        "a merchant certificate carrying may_certify: only coordinators may certify",
        [cert(k["merchant"], k["second_merchant"], 6), merchant_certifier, coordinator],
        fail("not_a_certifier"),
    )
    case(
        "expired_merchant",
        "merchant certificate expired before now",
        [cert(k["coordinator"], k["merchant"], 2, issued_at=ISSUED, expires_at=NOW), coordinator],
        fail("expired"),
    )
    case(
        "expired_coordinator",
        "coordinator certificate expired: the merchant under it fails",
        [merchant, coordinator],
        fail("expired"),
        now=EXPIRES,
    )
    case(
        "not_yet_valid",
        "issued 301 s in the future: beyond the tolerated clock skew",
        [cert(k["coordinator"], k["merchant"], 2, issued_at=NOW + 301), coordinator],
        fail("expired"),
    )

    # --- revocation list checks
    case(
        "stale_revocations",
        "revocation list 2 while the client already verified list 3",
        [merchant, coordinator],
        fail("stale_revocations"),
        revocation_doc=revocations(k["root"], 2, [unrelated]),
        last_seen_number=3,
    )
    coordinator_list = revocations(k["coordinator"], 2, [unrelated], [coordinator])
    case(
        "revocations_forgetting_known_serial",
        "revoked coordinator signs a higher list that omits its own revocation",
        [merchant, coordinator],
        fail("stale_revocations"),
        revocation_doc=coordinator_list,
        last_seen_number=1,
        known_revoked_serials=[serial(1), unrelated.serial],
    )
    tampered_list = revocations(k["root"], 1, [entry(2)])
    tampered_body = json.loads(tampered_list["body"]) | {"entries": []}
    tampered_list["body"] = canonical_json(tampered_body).decode()
    case(
        "revocations_bad_signature",
        "server removed an entry from a root-signed list, signature kept",
        [merchant, coordinator],
        fail("bad_signature"),
        revocation_doc=tampered_list,
    )
    forged = revocations(k["attacker"], 5, [])
    forged_body = json.loads(forged["body"]) | {"issuer": k["root"].fingerprint}
    forged["body"] = canonical_json(forged_body).decode()
    forged["signature"] = b64url_encode(k["attacker"].sign.sign(forged["body"].encode()))
    case(
        "revocations_forged_by_attacker",
        "empty list claiming the root as issuer, signed by the attacker key",
        [merchant, coordinator],
        fail("bad_signature"),
        revocation_doc=forged,
    )
    case(
        "revocations_signed_by_merchant",
        "revocation list signed by a merchant device",
        [merchant, coordinator],
        fail("not_a_certifier"),
        revocation_doc=revocations(k["merchant"], 1, [], [merchant, coordinator]),
    )
    case(
        "revocations_signed_by_revoked_coordinator",
        "coordinator signs a list revoking itself: its signature no longer counts",
        [merchant, coordinator],
        fail("revoked"),
        revocation_doc=revocations(k["coordinator"], 1, [entry(1)], [coordinator]),
    )
    case(
        "revocations_of_another_commune",
        "root-signed list naming another commune",
        [merchant, coordinator],
        fail("wrong_commune"),
        revocation_doc=revocations(k["root"], 1, [], commune=OTHER_COMMUNE),
    )

    bad_reason = revocations(k["root"], 1, [entry(2)])
    bad_reason_body = json.loads(bad_reason["body"])
    bad_reason_body["entries"][0]["reason"] = "lost"
    bad_reason.update(sign_document(bad_reason_body, k["root"].sign).to_wire())
    case(
        "revocations_unknown_reason",
        "root-signed list whose entry has a reason docs/trust.md does not define",
        [merchant, coordinator],
        fail("malformed"),
        revocation_doc=bad_reason,
    )
    spaced_list = revocations(k["root"], 1, [entry(2)])
    spaced_text = json.dumps(json.loads(spaced_list["body"]), sort_keys=True, indent=1)
    spaced_list.update(raw_signed(spaced_text, k["root"]).to_wire())
    case(
        "revocations_not_canonical",
        "root-signed list with indentation, validly signed over those bytes",
        [merchant, coordinator],
        fail("not_canonical"),
        revocation_doc=spaced_list,
    )

    # --- encoding
    merchant_json = body_of(merchant)
    spaced = json.dumps(merchant_json, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
    case(
        "non_canonical_whitespace",
        "merchant body with extra whitespace, validly signed over those bytes",
        [raw_signed(spaced, k["coordinator"]), coordinator],
        fail("not_canonical"),
    )
    reordered = dict(reversed(list(merchant_json.items())))
    unsorted = json.dumps(reordered, ensure_ascii=False, separators=(",", ":"))
    assert unsorted.startswith('{"v":1,')
    case(
        "non_canonical_key_order",
        "merchant body with keys in insertion order, validly signed",
        [raw_signed(unsorted, k["coordinator"]), coordinator],
        fail("not_canonical"),
    )
    escaped = json.dumps(merchant_json, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    escaped = escaped.replace('"serial"', '"\\u0073erial"')
    case(
        "non_canonical_escape",
        "merchant body with a needless \\u escape, validly signed",
        [raw_signed(escaped, k["coordinator"]), coordinator],
        fail("not_canonical"),
    )
    floaty = (
        canonical_json(merchant_json)
        .decode()
        .replace(f'"issued_at":{ISSUED}', f'"issued_at":{ISSUED}.5')
    )
    case(
        "float_in_body",
        "a float in a validly signed body",
        [raw_signed(floaty, k["coordinator"]), coordinator],
        fail("not_canonical"),
    )
    case(
        "extra_field",
        "certificate with a field docs/trust.md does not define, validly signed",
        [sign_document(merchant_json | {"admin": True}, k["coordinator"].sign), coordinator],
        fail("malformed"),
    )
    case(
        "wrong_version",
        "certificate with v: 2",
        [sign_document(merchant_json | {"v": 2}, k["coordinator"].sign), coordinator],
        fail("malformed"),
    )
    case(
        "boolean_version",
        "certificate with v: true (1 in loosely typed languages)",
        [sign_document(merchant_json | {"v": True}, k["coordinator"].sign), coordinator],
        fail("malformed"),
    )
    case(
        "short_sign_key",
        "sign_key of 31 bytes",
        [
            sign_document(
                merchant_json | {"sign_key": b64url_encode(bytes(31))}, k["coordinator"].sign
            ),
            coordinator,
        ],
        fail("malformed"),
    )
    case(
        "padded_signature",
        "signature with base64 padding",
        [SignedDocument(merchant.body, merchant.signature + "=="), coordinator],
        fail("malformed"),
    )
    case("empty_chain", "no certificate at all", [], fail("malformed"))
    return cases


def canonical_cases() -> dict[str, Any]:
    deep_ok: Any = []
    for _ in range(32):
        deep_ok = [deep_ok]
    deep_bad: Any = [deep_ok]
    valid_inputs: list[tuple[str, Any]] = [
        ("sorted_keys_nested", {"b": 1, "a": [True, False, None], "c": {"z": "", "y": -5}}),
        ("empty_containers", {"o": {}, "a": []}),
        ("accents_raw_utf8", {"é": "café ☕", "e": "Élysée", "ß": "straße"}),
        (
            "escapes",
            {"s": "q\" b\\ n\n t\t r\r b\b f\f nul\x00 us\x1f del\x7f ls\u2028 ps\u2029 /<>&'"},
        ),
        ("code_point_key_order", {"\uffff": 1, "😀": 2, "a": 3, "\ue000": 4, "Z": 5}),
        ("safe_integer_bounds", {"max": 2**53 - 1, "min": -(2**53 - 1), "zero": 0}),
        ("top_level_string", "texte"),
        ("top_level_array", [3, "deux", {"un": 1}]),
        ("depth_32", deep_ok),
    ]
    invalid_inputs: list[tuple[str, Any]] = [
        ("float", {"x": 1.5}),
        ("large_float", {"x": 1e300}),
        ("integer_2_pow_53", {"x": 2**53}),
        ("integer_minus_2_pow_53", {"x": -(2**53)}),
        ("lone_surrogate_value", {"x": "\ud800"}),
        ("lone_surrogate_key", {"\udc00": 1}),
        ("depth_33", deep_bad),
    ]
    return {
        "valid": [
            {"name": name, "input": value, "expected": canonical_json(value).decode()}
            for name, value in valid_inputs
        ],
        # As JSON text: some JSON parsers (Vite's) reject a lone surrogate escape outright.
        "invalid": [
            {"name": name, "input_json": json.dumps(value)} for name, value in invalid_inputs
        ],
    }


def b64url_cases() -> dict[str, Any]:
    samples = [b"", b"\x00", b"\xff\xfe", b"\xfb\xff\xbf", bytes(range(32))]
    return {
        "valid": [{"hex": s.hex(), "text": b64url_encode(s)} for s in samples],
        "invalid": ["AA==", "A", "AB", "+/8", "ab c", "AAA=", "YQ\n"],
    }


def main() -> None:
    vectors = {
        "description": (
            "Maillage trust wire format v1 (docs/trust.md). Generated by "
            "tests/vectors/generate_trust_vectors.py; test keys only."
        ),
        "version": 1,
        "error_messages": TRUST_MESSAGES,
        "keys": {name: key.describe() for name, key in KEYS.items()},
        "b64url": b64url_cases(),
        "canonical": canonical_cases(),
        "cases": build_cases(),
    }
    OUTPUT.write_text(json.dumps(vectors, indent=2, ensure_ascii=True) + "\n", encoding="ascii")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

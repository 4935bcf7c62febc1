"""Write tests/vectors/service-key-v1.json: service-key documents, grants, recipient choice.

Run: `.venv/bin/python tests/vectors/generate_service_key_vectors.py`. Keys, certificates,
revocation lists, documents and ids come from fixed seeds (Ed25519 is deterministic);
only the HPKE ephemeral keys inside grants change from one run to the next. Every case
is checked here with `maillage.wire` before it is written, then read by
`src/maillage/wire/tests/test_service_key_vectors.py` and
`frontend/tests/service-key-vectors.test.ts`, which must end each case alike. The
TypeScript generator (`frontend/scripts/service-key-vectors.gen.ts`) signs and seals its
own cases with the `devices` and `police` keys below into `service-key-v1-ts.json`.
Test keys only: never use them anywhere else.
"""

from __future__ import annotations

import hashlib
import json
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from maillage.wire import chain, hpke, recipients, service_key  # noqa: E402
from maillage.wire.envelope import ENVELOPE_MESSAGES, EnvelopeError, TrustContext  # noqa: E402

OUTPUT = Path(__file__).with_name("service-key-v1.json")

COMMUNE = "3c9a1f0e-2b4d-4e6f-8a1b-7c2d3e4f5a06"
OTHER_COMMUNE = "8d7e6f5a-4b3c-4d2e-9f1a-0b1c2d3e4f07"
SHOP = "6f5e4d3c-2b1a-4c9d-8e7f-6a5b4c3d2e08"
OTHER_SHOP = "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c09"
ISSUED = 1764198000
EXPIRES = 1795734000
KEY_ISSUED = 1770000000
REVOKED_AT = KEY_ISSUED + 5000
NOW = KEY_ISSUED + 86400
NAMESPACE = uuid.UUID("7d6c5b4a-3928-4716-a5b4-c3d2e1f0a9b8")


def _seed(label: str) -> bytes:
    return hashlib.sha256(f"maillage service-key-v1 test key: {label}".encode()).digest()


def _ed25519(label: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_seed(f"ed25519 {label}"))


def _x25519(label: str) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(_seed(f"x25519 {label}"))


def _raw_private(key: Ed25519PrivateKey | X25519PrivateKey) -> str:
    return chain.b64url_encode(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))


def _id(label: str) -> str:
    return str(uuid.uuid5(NAMESPACE, label))


ROOT_KEY = _ed25519("root")
ROOT_PUBLIC = chain.public_key_b64(ROOT_KEY)
ROOT_FINGERPRINT = chain.fingerprint(chain.b64url_decode(ROOT_PUBLIC))


@dataclass(frozen=True)
class Device:
    name: str
    role: chain.Role
    sign: Ed25519PrivateKey
    enc: X25519PrivateKey
    chain: list[chain.SignedDocument]

    @property
    def id(self) -> str:
        return _id(f"device {self.name}")

    @property
    def serial(self) -> str:
        return _id(f"serial {self.name}")

    @property
    def enc_public(self) -> str:
        return hpke.x25519_public_of(self.enc)

    def entry(self) -> dict[str, Any]:
        return {"device": self.id, "chain": [doc.to_wire() for doc in self.chain]}


def _device(
    name: str,
    role: chain.Role,
    shop: str | None,
    issuer: Ed25519PrivateKey,
    issuer_chain: list[chain.SignedDocument],
    *,
    commune: str = COMMUNE,
    may_certify: bool = False,
) -> Device:
    sign, enc = _ed25519(name), _x25519(name)
    certificate = chain.issue_certificate(
        issuer,
        commune=commune,
        device=_id(f"device {name}"),
        member=_id(f"member {name}"),
        role=role,
        shop=shop,
        enc_key=hpke.x25519_public_of(enc),
        sign_key=chain.public_key_b64(sign),
        may_certify=may_certify,
        issued_at=ISSUED,
        expires_at=EXPIRES,
        serial=_id(f"serial {name}"),
    )
    return Device(name, role, sign, enc, [certificate, *issuer_chain])


COORDINATOR = _device("coordinator", "coordinateur", None, ROOT_KEY, [], may_certify=True)
REVOKED_COORDINATOR = _device(
    "revoked_coordinator", "coordinateur", None, ROOT_KEY, [], may_certify=True
)


def _certified(name: str, role: chain.Role, shop: str | None = None) -> Device:
    return _device(name, role, shop, COORDINATOR.sign, COORDINATOR.chain)


OPERATOR = _certified("operator", "operateur")
SECOND_OPERATOR = _certified("second_operator", "operateur")
THIRD_OPERATOR = _certified("third_operator", "operateur")
REVOKED_OPERATOR = _certified("revoked_operator", "operateur")
AGENT = _certified("agent", "agent")
MERCHANT = _certified("merchant", "commercant", SHOP)
SECOND_MERCHANT = _certified("second_merchant", "commercant", SHOP)
OTHER_MERCHANT = _certified("other_merchant", "commercant", OTHER_SHOP)
REVOKED_MERCHANT = _certified("revoked_merchant", "commercant", SHOP)
DPO = _certified("dpo", "dpo")
# Approved by a coordinator device revoked since: refused with it (trust.md, step 4f).
ORPHAN = _device("orphan", "commercant", SHOP, REVOKED_COORDINATOR.sign, REVOKED_COORDINATOR.chain)
# Certified under another root that claims to be this commune's.
ROGUE = _device("rogue", "operateur", None, _ed25519("rogue root"), [])

DEVICES = [
    COORDINATOR,
    OPERATOR,
    SECOND_OPERATOR,
    THIRD_OPERATOR,
    REVOKED_OPERATOR,
    AGENT,
    MERCHANT,
    SECOND_MERCHANT,
    OTHER_MERCHANT,
    REVOKED_MERCHANT,
    DPO,
    ORPHAN,
    ROGUE,
]

REVOKED = [REVOKED_OPERATOR, REVOKED_MERCHANT, REVOKED_COORDINATOR]
REVOCATIONS = chain.issue_revocation_list(
    ROOT_KEY,
    commune=COMMUNE,
    number=2,
    issued_at=REVOKED_AT + 60,
    entries=[
        chain.RevocationEntry(serial=d.serial, device=d.id, reason="revoked", at=REVOKED_AT)
        for d in REVOKED
    ],
)
REVOCATIONS_WIRE = {**REVOCATIONS.to_wire(), "chain": []}
VERIFIED_REVOCATIONS = chain.verify_revocation_list(
    REVOCATIONS, [], ROOT_PUBLIC, ROOT_FINGERPRINT, COMMUNE, 0, NOW
)
TRUST = TrustContext(ROOT_PUBLIC, ROOT_FINGERPRINT, COMMUNE, VERIFIED_REVOCATIONS)

POLICE = {n: _x25519(f"police service key generation {n}") for n in (1, 2, 3)}
POLICE_PUBLIC = {n: hpke.x25519_public_of(key) for n, key in POLICE.items()}


def _document(
    number: int,
    signer: Device = OPERATOR,
    *,
    issued_at: int = KEY_ISSUED,
    commune: str = COMMUNE,
    key: str | None = None,
) -> dict[str, Any]:
    doc = service_key.issue_service_key(
        signer.sign,
        commune=commune,
        number=number,
        public_key=key or POLICE_PUBLIC[number],
        issued_at=issued_at,
    )
    return {**doc.to_wire(), "chain": [c.to_wire() for c in signer.chain]}


def _resign(body: dict[str, Any], signer: Device) -> dict[str, Any]:
    """A document with a body the issuing helpers would refuse, signed anyway."""
    doc = chain.sign_document(body, signer.sign)
    return {**doc.to_wire(), "chain": [c.to_wire() for c in signer.chain]}


def _with_body(wire: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**wire, "body": json.dumps({**json.loads(wire["body"]), **changes})}


def _result(work: Any) -> dict[str, Any]:
    try:
        return {"ok": True, **work()}
    except EnvelopeError as exc:
        return {"ok": False, "code": exc.code}


# --- service-key documents ------------------------------------------------------------


def _service_key_case(
    name: str,
    description: str,
    wire: object,
    expect: dict[str, Any],
    *,
    last_seen_number: int = 0,
    as_of_issue: bool = False,
) -> dict[str, Any]:
    def verify() -> dict[str, Any]:
        body = service_key.verify_service_key(
            wire, TRUST, NOW, last_seen_number, as_of_issue=as_of_issue
        )
        return {"number": body.number, "key": body.key}

    got = _result(verify)
    assert got == expect, (name, got, expect)
    return {
        "name": name,
        "description": description,
        "wire": wire,
        "last_seen_number": last_seen_number,
        "as_of_issue": as_of_issue,
        "expect": expect,
    }


def service_key_cases() -> list[dict[str, Any]]:
    valid = _document(2)
    ok2 = {"ok": True, "number": 2, "key": POLICE_PUBLIC[2]}
    by_revoked = _document(1, REVOKED_OPERATOR, issued_at=KEY_ISSUED)
    body = json.loads(valid["body"])
    return [
        _service_key_case("valid", "Generation 2 signed by an operator device.", valid, ok2),
        _service_key_case(
            "same_number_as_last_seen",
            "The generation already verified.",
            valid,
            ok2,
            last_seen_number=2,
        ),
        _service_key_case(
            "stale",
            "Older than the newest generation this device verified.",
            valid,
            {"ok": False, "code": "stale_service_key"},
            last_seen_number=3,
        ),
        _service_key_case(
            "older_generation_for_history",
            "Read as of its issued_at: no stale check.",
            valid,
            ok2,
            last_seen_number=3,
            as_of_issue=True,
        ),
        _service_key_case(
            "signed_by_merchant",
            "Only operator devices sign service keys.",
            _document(2, MERCHANT),
            {"ok": False, "code": "not_allowed_recipient"},
        ),
        _service_key_case(
            "signer_revoked",
            "Signed by an operator device revoked since.",
            by_revoked,
            {"ok": False, "code": "revoked"},
        ),
        _service_key_case(
            "signer_revoked_after_issue_as_of_issue",
            "The same document read for history: its signer was valid at issued_at.",
            by_revoked,
            {"ok": True, "number": 1, "key": POLICE_PUBLIC[1]},
            as_of_issue=True,
        ),
        _service_key_case(
            "signer_revoked_before_issue_as_of_issue",
            "Issued after its signer's revocation: refused even for history.",
            _document(1, REVOKED_OPERATOR, issued_at=REVOKED_AT + 10),
            {"ok": False, "code": "revoked"},
            as_of_issue=True,
        ),
        _service_key_case(
            "rogue_root",
            "Signer certified under another root.",
            _document(2, ROGUE),
            {"ok": False, "code": "broken_chain"},
        ),
        _service_key_case(
            "issuer_not_signer",
            "Body names the second operator, the operator signed.",
            _resign(
                {
                    **body,
                    "issuer": chain.fingerprint(
                        chain.b64url_decode(chain.public_key_b64(SECOND_OPERATOR.sign))
                    ),
                },
                OPERATOR,
            ),
            {"ok": False, "code": "broken_chain"},
        ),
        _service_key_case(
            "bad_signature",
            "Signature of another body.",
            {**valid, "signature": _document(3)["signature"]},
            {"ok": False, "code": "bad_signature"},
        ),
        _service_key_case(
            "wrong_commune",
            "A valid signer, a document naming another commune.",
            _document(2, commune=OTHER_COMMUNE),
            {"ok": False, "code": "wrong_commune"},
        ),
        _service_key_case(
            "number_zero",
            "Generations start at 1.",
            _resign({**body, "number": 0}, OPERATOR),
            {"ok": False, "code": "malformed"},
        ),
        _service_key_case(
            "other_service",
            "Only the police service exists.",
            _resign({**body, "service": "pompiers"}, OPERATOR),
            {"ok": False, "code": "malformed"},
        ),
        _service_key_case(
            "extra_field",
            "Fields beyond the format are refused.",
            _resign({**body, "note": "x"}, OPERATOR),
            {"ok": False, "code": "malformed"},
        ),
        _service_key_case(
            "version_true",
            "`v` must be the integer 1.",
            _resign({**body, "v": True}, OPERATOR),
            {"ok": False, "code": "malformed"},
        ),
        _service_key_case(
            "key_not_32_bytes",
            "The public key must decode to 32 bytes.",
            _resign({**body, "key": "AAAA"}, OPERATOR),
            {"ok": False, "code": "malformed"},
        ),
        _service_key_case(
            "not_canonical",
            "Body with whitespace.",
            _with_body(valid),
            {"ok": False, "code": "not_canonical"},
        ),
        _service_key_case(
            "no_chain",
            "The signer's chain is missing.",
            {k: v for k, v in valid.items() if k != "chain"},
            {"ok": False, "code": "malformed"},
        ),
    ]


# --- grants ---------------------------------------------------------------------------


def _grant(
    recipient: Device,
    *,
    granter: Device = OPERATOR,
    number: int = 2,
    private: X25519PrivateKey | None = None,
    issued_at: int = KEY_ISSUED + 60,
) -> dict[str, Any]:
    doc = service_key.seal_grant(
        granter.sign,
        commune=COMMUNE,
        number=number,
        recipient_device=recipient.id,
        recipient_key=recipient.enc_public,
        service_private_key=private or POLICE[number],
        issued_at=issued_at,
    )
    return {"grant": doc.to_wire(), "granter_chain": [c.to_wire() for c in granter.chain]}


def _grant_case(
    name: str,
    description: str,
    grant: dict[str, Any],
    opener: Device,
    expect: dict[str, Any],
    *,
    number: int = 2,
) -> dict[str, Any]:
    document = service_key.verify_service_key(_document(number), TRUST, NOW)

    def open_() -> dict[str, Any]:
        private = service_key.open_grant(
            chain.SignedDocument.from_wire(grant["grant"]),
            chain.parse_chain(grant["granter_chain"]),
            opener.id,
            opener.enc,
            document,
            TRUST,
            NOW,
        )
        return {"public_key": hpke.x25519_public_of(private)}

    got = _result(open_)
    assert got == expect, (name, got, expect)
    return {
        "name": name,
        "description": description,
        **grant,
        "service_key": _document(number),
        "opener": opener.name,
        "expect": expect,
    }


def grant_cases() -> list[dict[str, Any]]:
    ok = {"ok": True, "public_key": POLICE_PUBLIC[2]}
    valid = _grant(SECOND_OPERATOR)
    body = json.loads(valid["grant"]["body"])
    tampered = dict(body)
    wrapped = bytearray(chain.b64url_decode(body["wrapped"]))
    wrapped[0] ^= 1
    tampered["wrapped"] = chain.b64url_encode(bytes(wrapped))
    return [
        _grant_case(
            "valid", "Generation 2 granted to the second operator.", valid, SECOND_OPERATOR, ok
        ),
        _grant_case(
            "other_device",
            "Opened by a device it was not granted to.",
            valid,
            THIRD_OPERATOR,
            {"ok": False, "code": "not_a_recipient"},
        ),
        _grant_case(
            "other_generation",
            "A grant of generation 3 against generation 2.",
            _grant(SECOND_OPERATOR, number=3),
            SECOND_OPERATOR,
            {"ok": False, "code": "wrong_service_key"},
        ),
        _grant_case(
            "not_the_published_key",
            "Wraps a private key that is not generation 2's.",
            _grant(SECOND_OPERATOR, private=POLICE[3]),
            SECOND_OPERATOR,
            {"ok": False, "code": "wrong_service_key"},
        ),
        _grant_case(
            "wrapped_altered",
            "Wrapped key altered, grant re-signed.",
            {**valid, "grant": chain.sign_document(tampered, OPERATOR.sign).to_wire()},
            SECOND_OPERATOR,
            {"ok": False, "code": "undecryptable"},
        ),
        _grant_case(
            "granter_merchant",
            "Only operator devices grant the key.",
            _grant(SECOND_OPERATOR, granter=MERCHANT),
            SECOND_OPERATOR,
            {"ok": False, "code": "not_allowed_recipient"},
        ),
        _grant_case(
            "granter_revoked_since",
            "Granted before the granter's revocation.",
            _grant(SECOND_OPERATOR, granter=REVOKED_OPERATOR),
            SECOND_OPERATOR,
            ok,
        ),
        _grant_case(
            "granter_revoked_before",
            "Granted after the granter's revocation.",
            _grant(SECOND_OPERATOR, granter=REVOKED_OPERATOR, issued_at=REVOKED_AT + 1),
            SECOND_OPERATOR,
            {"ok": False, "code": "revoked"},
        ),
        _grant_case(
            "bad_signature",
            "Signature of another grant.",
            {
                **valid,
                "grant": {
                    **valid["grant"],
                    "signature": _grant(THIRD_OPERATOR)["grant"]["signature"],
                },
            },
            SECOND_OPERATOR,
            {"ok": False, "code": "bad_signature"},
        ),
        _grant_case(
            "wrapped_short",
            "`wrapped` must be 48 bytes.",
            {
                **valid,
                "grant": chain.sign_document(
                    {**body, "wrapped": chain.b64url_encode(wrapped[:47])}, OPERATOR.sign
                ).to_wire(),
            },
            SECOND_OPERATOR,
            {"ok": False, "code": "malformed"},
        ),
    ]


# --- recipient selection --------------------------------------------------------------


def _directory(
    purpose: str,
    devices: list[Any],
    *,
    shop: str | None = SHOP,
    service: dict[str, Any] | None = None,
    revocations: dict[str, Any] = REVOCATIONS_WIRE,
) -> dict[str, Any]:
    return {
        "purpose": purpose,
        "shop": shop,
        "revocations": revocations,
        "devices": devices,
        "service_key": service,
    }


@dataclass(frozen=True)
class State:
    last_revocation_number: int = 0
    known_revoked_serials: tuple[str, ...] = ()
    last_service_key_number: int = 0

    def trust_state(self) -> recipients.TrustState:
        return recipients.TrustState(
            root_public_key=ROOT_PUBLIC,
            pinned_fingerprint=ROOT_FINGERPRINT,
            commune=COMMUNE,
            last_revocation_number=self.last_revocation_number,
            known_revoked_serials=frozenset(self.known_revoked_serials),
            last_service_key_number=self.last_service_key_number,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "last_revocation_number": self.last_revocation_number,
            "known_revoked_serials": sorted(self.known_revoked_serials),
            "last_service_key_number": self.last_service_key_number,
        }


def _recipient_case(
    name: str, description: str, directory: Any, expect: dict[str, Any], state: State = State()
) -> dict[str, Any]:
    def resolve() -> dict[str, Any]:
        got = recipients.resolve_recipients(directory, state.trust_state(), NOW)
        return {
            "recipients": [{"kind": r.kind, "id": r.id, "key": r.key} for r in got.recipients],
            "refused": [list(item) for item in got.refused],
            "state": {
                "last_revocation_number": got.state.last_revocation_number,
                "known_revoked_serials": sorted(got.state.known_revoked_serials),
                "last_service_key_number": got.state.last_service_key_number,
            },
        }

    got = _result(resolve)
    assert got == expect, (name, got, expect)
    return {
        "name": name,
        "description": description,
        "directory": directory,
        "state": state.to_json(),
        "expect": expect,
    }


def _device_recipient(device: Device) -> dict[str, str]:
    return {"kind": "device", "id": device.id, "key": device.enc_public}


def _sorted(*devices: Device) -> list[dict[str, str]]:
    return sorted((_device_recipient(d) for d in devices), key=lambda r: r["id"])


def _ok(
    chosen: list[dict[str, str]], refused: list[list[str]], service_number: int = 0
) -> dict[str, Any]:
    return {
        "ok": True,
        "recipients": chosen,
        "refused": refused,
        "state": {
            "last_revocation_number": 2,
            "known_revoked_serials": sorted(d.serial for d in REVOKED),
            "last_service_key_number": service_number,
        },
    }


def recipient_cases() -> list[dict[str, Any]]:
    police = {"kind": "service", "id": "police:2", "key": POLICE_PUBLIC[2]}
    service = _document(2)
    wrong_id = {**MERCHANT.entry(), "device": SECOND_MERCHANT.id}
    other_root_list = chain.issue_revocation_list(
        _ed25519("rogue root"), commune=COMMUNE, number=3, issued_at=NOW, entries=[]
    )
    return [
        _recipient_case(
            "incident_mixed",
            "Operators, agent and the shop's merchants kept; other shop, revoked, orphaned, "
            "rogue and DPO devices refused and reported; the service key last.",
            _directory(
                "incident",
                [
                    e.entry()
                    for e in (
                        OPERATOR,
                        AGENT,
                        MERCHANT,
                        SECOND_MERCHANT,
                        OTHER_MERCHANT,
                        REVOKED_MERCHANT,
                        ORPHAN,
                        ROGUE,
                        DPO,
                        REVOKED_OPERATOR,
                    )
                ],
                service=service,
            ),
            _ok(
                [*_sorted(OPERATOR, AGENT, MERCHANT, SECOND_MERCHANT), police],
                [
                    [OTHER_MERCHANT.id, "not_allowed_recipient"],
                    [REVOKED_MERCHANT.id, "revoked"],
                    [ORPHAN.id, "revoked"],
                    [ROGUE.id, "broken_chain"],
                    [DPO.id, "not_allowed_recipient"],
                    [REVOKED_OPERATOR.id, "revoked"],
                ],
                2,
            ),
        ),
        _recipient_case(
            "entry_errors",
            "Not an object, a chain under another device's id, the same device twice.",
            _directory(
                "report", ["nope", {"chain": []}, wrong_id, OPERATOR.entry(), OPERATOR.entry()]
            ),
            _ok(
                _sorted(OPERATOR),
                [
                    ["", "malformed"],
                    ["", "malformed"],
                    [SECOND_MERCHANT.id, "malformed"],
                    [OPERATOR.id, "malformed"],
                ],
            ),
        ),
        _recipient_case(
            "sector_alert",
            "Neighbour alert: merchants of any shop, no operator, no service key.",
            _directory(
                "sector",
                [e.entry() for e in (MERCHANT, OTHER_MERCHANT, OPERATOR)],
                shop=None,
                service=service,
            ),
            _ok(
                _sorted(MERCHANT, OTHER_MERCHANT),
                [
                    [OPERATOR.id, "not_allowed_recipient"],
                    [recipients.SERVICE_ENTRY, "not_allowed_recipient"],
                ],
            ),
        ),
        _recipient_case(
            "service_key_only",
            "No operator device, a valid service key: the report goes to the police key.",
            _directory("report", [MERCHANT.entry()], service=service),
            _ok([*_sorted(MERCHANT), police], [], 2),
        ),
        _recipient_case(
            "service_key_refused_operator_kept",
            "A stale service key is refused and reported; the operator still receives.",
            _directory("incident", [OPERATOR.entry()], service=service),
            {**_ok(_sorted(OPERATOR), [[recipients.SERVICE_ENTRY, "stale_service_key"]], 3)},
            State(last_service_key_number=3),
        ),
        _recipient_case(
            "agent_is_not_police_enough",
            "Only an operator device or the service key counts as a police recipient.",
            _directory("report", [AGENT.entry(), MERCHANT.entry()], service=_document(2, MERCHANT)),
            {"ok": False, "code": "no_police_recipient"},
        ),
        _recipient_case(
            "rolled_back_list",
            "A revocation list older than the last one verified stops the send.",
            _directory("incident", [OPERATOR.entry()]),
            {"ok": False, "code": "stale_revocations"},
            State(last_revocation_number=3),
        ),
        _recipient_case(
            "forgotten_serial",
            "A list that lacks a serial this device saw revoked stops the send.",
            _directory("incident", [OPERATOR.entry()]),
            {"ok": False, "code": "stale_revocations"},
            State(known_revoked_serials=(_id("serial forgotten"),)),
        ),
        _recipient_case(
            "list_from_another_root",
            "A revocation list signed by another root stops the send.",
            _directory(
                "incident",
                [OPERATOR.entry()],
                revocations={**other_root_list.to_wire(), "chain": []},
            ),
            {"ok": False, "code": "broken_chain"},
        ),
        _recipient_case(
            "not_a_directory",
            "A directory with a field too many.",
            {**_directory("incident", [OPERATOR.entry()]), "extra": 1},
            {"ok": False, "code": "malformed"},
        ),
        _recipient_case(
            "unknown_purpose",
            "Purposes are incident, report and sector.",
            _directory("broadcast", [OPERATOR.entry()]),
            {"ok": False, "code": "malformed"},
        ),
    ]


def build() -> dict[str, Any]:
    return {
        "version": 1,
        "generated_by": "tests/vectors/generate_service_key_vectors.py",
        "description": (
            "Police service-key documents, grants and recipient selection (docs/envelope.md, "
            "'Police service key' and 'Key directory'). Each case runs against `root`, the "
            "verified `revocations` and `now`; `expect` is what both implementations end with."
        ),
        "messages": ENVELOPE_MESSAGES,
        "commune": COMMUNE,
        "root": {"public_key": ROOT_PUBLIC, "fingerprint": ROOT_FINGERPRINT},
        "revocations": REVOCATIONS_WIRE,
        "now": NOW,
        "devices": {
            d.name: {
                "device": d.id,
                "sign_private": _raw_private(d.sign),
                "private_key": _raw_private(d.enc),
                "public_key": d.enc_public,
                "chain": [c.to_wire() for c in d.chain],
            }
            for d in DEVICES
        },
        "police": {str(n): _raw_private(key) for n, key in POLICE.items()},
        "service_keys": service_key_cases(),
        "grants": grant_cases(),
        "recipients": recipient_cases(),
    }


def main() -> None:
    OUTPUT.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()

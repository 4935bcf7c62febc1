"""Write tests/vectors/group-key-v1.json: group-key generations, grants and broadcasts.

Run: `.venv/bin/python tests/vectors/generate_group_key_vectors.py`. Reuses the root,
devices and revocation list of service-key-v1.json (`generate_service_key_vectors.py`,
fixed seeds); group keys and ids come from fixed seeds too, only HPKE ephemeral keys and
content keys change from one run to the next. Every case is checked here with
`maillage.wire` before it is written, then read by
`src/maillage/wire/tests/test_group_key_vectors.py` and
`frontend/tests/group-key-vectors.test.ts`, which must end each case alike. The
TypeScript generator (`frontend/scripts/group-key-vectors.gen.ts`) signs and seals its
own cases with the same keys into `group-key-v1-ts.json`. Test keys only.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate_service_key_vectors as sk

from maillage.wire import broadcast, chain, group_key, hpke
from maillage.wire.envelope import (
    ENVELOPE_MESSAGES,
    Attachment,
    EnvelopeError,
    Sender,
    sha256_b64,
)

OUTPUT = Path(__file__).with_name("group-key-v1.json")

COMMUNE, OTHER_COMMUNE, TRUST, NOW = sk.COMMUNE, sk.OTHER_COMMUNE, sk.TRUST, sk.NOW
KEY_ISSUED, REVOKED_AT = sk.KEY_ISSUED, sk.REVOKED_AT
SECTOR = f"sector:{sk._id('sector north')}"
CSCOPE = group_key.COMMUNE_SCOPE
# Generation 2 follows the revocation of REVOKED_OPERATOR and REVOKED_MERCHANT (rotation).
ISSUED_AT = {1: KEY_ISSUED, 2: REVOKED_AT + 1000, 3: REVOKED_AT + 2000}
SENT_AT = NOW - 100
GROUPS: dict[str, X25519PrivateKey] = {
    f"{scope}:{n}": sk._x25519(f"group key {scope} generation {n}")
    for scope in (CSCOPE, SECTOR)
    for n in (1, 2, 3)
}
GROUPS["commune:2-fork"] = sk._x25519("group key commune generation 2, a fork")


def _public(ref: str) -> str:
    return hpke.x25519_public_of(GROUPS[ref])


def _signed(doc: chain.SignedDocument, signer: sk.Device) -> dict[str, Any]:
    return {**doc.to_wire(), "chain": [c.to_wire() for c in signer.chain]}


def _document(
    number: int,
    *,
    scope: str = CSCOPE,
    signer: sk.Device = sk.OPERATOR,
    commune: str = COMMUNE,
    issued_at: int | None = None,
    ref: str | None = None,
    previous: str | bool | None = True,
) -> dict[str, Any]:
    """Generation `number`, linked to the canonical generation number − 1 of `scope`."""
    if previous is True:
        previous = None if number == 1 else _digest(_document(number - 1, scope=scope))
    doc = group_key.issue_group_key(
        signer.sign,
        commune=commune,
        scope=scope,
        number=number,
        previous=previous if isinstance(previous, str) else None,
        public_key=_public(ref or f"{scope}:{number}"),
        issued_at=ISSUED_AT[number] if issued_at is None else issued_at,
    )
    return _signed(doc, signer)


def _digest(wire: dict[str, Any]) -> str:
    return group_key.body_digest(wire["body"])


def _resign(body: dict[str, Any], signer: sk.Device = sk.OPERATOR) -> dict[str, Any]:
    return _signed(chain.sign_document(body, signer.sign), signer)


def _result(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return {"ok": True, **work()}
    except EnvelopeError as exc:
        return {"ok": False, "code": exc.code}


def _last(wire: dict[str, Any] | None) -> group_key.GroupKeyDocument | None:
    if wire is None:
        return None
    return group_key.parse_group_key_document(chain.SignedDocument.from_wire(wire))


# --- generation documents -------------------------------------------------------------


def _key_case(
    name: str,
    description: str,
    wire: Any,
    expect: dict[str, Any],
    *,
    scope: str = CSCOPE,
    last: dict[str, Any] | None = None,
    as_of_issue: bool = False,
) -> dict[str, Any]:
    def verify() -> dict[str, Any]:
        body = group_key.verify_group_key(
            wire, TRUST, NOW, scope, _last(last), as_of_issue=as_of_issue
        )
        return {"number": body.number, "key": body.key, "digest": body.digest}

    got = _result(verify)
    assert got == expect, (name, got, expect)
    return {
        "name": name,
        "description": description,
        "wire": wire,
        "scope": scope,
        "last": last,
        "as_of_issue": as_of_issue,
        "expect": expect,
    }


def _ok_doc(wire: dict[str, Any], ref: str) -> dict[str, Any]:
    number = json.loads(wire["body"])["number"]
    return {"ok": True, "number": number, "key": _public(ref), "digest": _digest(wire)}


def group_key_cases() -> list[dict[str, Any]]:
    g1, g2, g3 = _document(1), _document(2), _document(3)
    s1 = _document(1, scope=SECTOR)
    body2 = json.loads(g2["body"])
    fork = _document(2, ref="commune:2-fork")
    by_revoked = _document(1, signer=sk.REVOKED_OPERATOR)

    def fail(code: str) -> dict[str, Any]:
        return {"ok": False, "code": code}

    return [
        _key_case("first", "Generation 1, nothing known yet.", g1, _ok_doc(g1, "commune:1")),
        _key_case(
            "next",
            "Generation 2 names generation 1 as previous.",
            g2,
            _ok_doc(g2, "commune:2"),
            last=g1,
        ),
        _key_case(
            "same_again", "The newest generation again.", g2, _ok_doc(g2, "commune:2"), last=g2
        ),
        _key_case(
            "stale",
            "A generation older than the newest known: senders refuse it.",
            g1,
            fail("stale_group_key"),
            last=g2,
        ),
        _key_case(
            "older_for_history",
            "The same, read as of its issued_at to open the past.",
            g1,
            _ok_doc(g1, "commune:1"),
            last=g2,
            as_of_issue=True,
        ),
        _key_case(
            "fork",
            "Another generation 2 than the one known.",
            fork,
            fail("wrong_group_key"),
            last=g2,
        ),
        _key_case(
            "broken_link",
            "Generation 2 whose previous is not generation 1's digest.",
            _document(2, previous=_digest(s1)),
            fail("wrong_group_key"),
            last=g1,
        ),
        _key_case(
            "gap",
            "Generation 3 while only generation 1 is known.",
            g3,
            fail("wrong_group_key"),
            last=g1,
        ),
        _key_case(
            "gap_for_history",
            "A gap is fine for history.",
            g3,
            _ok_doc(g3, "commune:3"),
            last=g1,
            as_of_issue=True,
        ),
        _key_case(
            "sector", "A sector's generation 1.", s1, _ok_doc(s1, f"{SECTOR}:1"), scope=SECTOR
        ),
        _key_case(
            "wrong_scope",
            "A sector's generation where the commune's is expected.",
            s1,
            fail("wrong_scope"),
        ),
        _key_case(
            "last_of_other_scope",
            "Continuing a generation of another scope.",
            g2,
            fail("wrong_scope"),
            last=s1,
        ),
        _key_case(
            "wrong_commune",
            "Signed by a valid operator, naming another commune.",
            _document(1, commune=OTHER_COMMUNE),
            fail("wrong_commune"),
        ),
        _key_case(
            "signed_by_merchant",
            "Only operator devices issue group keys.",
            _document(1, signer=sk.MERCHANT),
            fail("not_allowed_recipient"),
        ),
        _key_case(
            "signer_revoked",
            "Signed by an operator device revoked since.",
            by_revoked,
            fail("revoked"),
        ),
        _key_case(
            "signer_revoked_as_of_issue",
            "The same read for history: valid then.",
            by_revoked,
            _ok_doc(by_revoked, "commune:1"),
            as_of_issue=True,
        ),
        _key_case(
            "rogue_root",
            "Signer certified under another root.",
            _document(1, signer=sk.ROGUE),
            fail("broken_chain"),
        ),
        _key_case(
            "bad_signature",
            "Signature of another document.",
            {**g2, "signature": g3["signature"]},
            fail("bad_signature"),
        ),
        _key_case(
            "unknown_scope",
            "Scopes are `commune` and `sector:<id>`.",
            _resign({**body2, "scope": "region"}),
            fail("malformed"),
        ),
        _key_case(
            "empty_sector",
            "`sector:` needs an id.",
            _resign({**body2, "scope": "sector:"}),
            fail("malformed"),
        ),
        _key_case(
            "first_with_previous",
            "Generation 1 has no previous.",
            _resign({**json.loads(g1["body"]), "previous": body2["previous"]}),
            fail("malformed"),
        ),
        _key_case(
            "later_without_previous",
            "Every later generation names its previous.",
            _resign({**body2, "previous": None}),
            fail("malformed"),
        ),
        _key_case(
            "number_zero",
            "Generations start at 1.",
            _resign({**body2, "number": 0}),
            fail("malformed"),
        ),
        _key_case(
            "extra_field",
            "Fields beyond the format are refused.",
            _resign({**body2, "note": "x"}),
            fail("malformed"),
        ),
        _key_case(
            "not_canonical",
            "Body with whitespace.",
            {**g2, "body": json.dumps(body2)},
            fail("not_canonical"),
        ),
    ]


# --- grants ---------------------------------------------------------------------------


def _grant(
    recipient: sk.Device,
    *,
    granter: sk.Device = sk.OPERATOR,
    number: int = 2,
    scope: str = CSCOPE,
    commune: str = COMMUNE,
    ref: str | None = None,
    issued_at: int = ISSUED_AT[2] + 60,
) -> dict[str, Any]:
    doc = group_key.seal_group_grant(
        granter.sign,
        commune=commune,
        scope=scope,
        number=number,
        recipient_device=recipient.id,
        recipient_key=recipient.enc_public,
        group_private_key=GROUPS[ref or f"{scope}:{number}"],
        issued_at=issued_at,
    )
    return {"grant": doc.to_wire(), "granter_chain": [c.to_wire() for c in granter.chain]}


def _grant_case(
    name: str,
    description: str,
    grant: dict[str, Any],
    opener: sk.Device,
    expect: dict[str, Any],
    *,
    scope: str = CSCOPE,
) -> dict[str, Any]:
    document = _document(2, scope=scope)
    verified = group_key.verify_group_key(document, TRUST, NOW, scope)

    def open_() -> dict[str, Any]:
        private = group_key.open_group_grant(
            chain.SignedDocument.from_wire(grant["grant"]),
            chain.parse_chain(grant["granter_chain"]),
            opener.id,
            opener.enc,
            verified,
            TRUST,
        )
        return {"public_key": hpke.x25519_public_of(private)}

    got = _result(open_)
    assert got == expect, (name, got, expect)
    return {
        "name": name,
        "description": description,
        **grant,
        "group_key": document,
        "scope": scope,
        "opener": opener.name,
        "expect": expect,
    }


def grant_cases() -> list[dict[str, Any]]:
    ok = {"ok": True, "public_key": _public("commune:2")}
    valid = _grant(sk.MERCHANT)
    body = json.loads(valid["grant"]["body"])
    wrapped = bytearray(chain.b64url_decode(body["wrapped"]))
    wrapped[0] ^= 1
    altered = chain.sign_document(
        {**body, "wrapped": chain.b64url_encode(bytes(wrapped))}, sk.OPERATOR.sign
    )

    def fail(code: str) -> dict[str, Any]:
        return {"ok": False, "code": code}

    return [
        _grant_case(
            "merchant", "Generation 2 granted to a merchant device.", valid, sk.MERCHANT, ok
        ),
        _grant_case(
            "operator",
            "Operators hold it too: they send broadcasts.",
            _grant(sk.SECOND_OPERATOR),
            sk.SECOND_OPERATOR,
            ok,
        ),
        _grant_case(
            "sector",
            "A sector's generation 2 to a merchant.",
            _grant(sk.MERCHANT, scope=SECTOR),
            sk.MERCHANT,
            {"ok": True, "public_key": _public(f"{SECTOR}:2")},
            scope=SECTOR,
        ),
        _grant_case(
            "other_device",
            "Opened by a device it was not granted to.",
            valid,
            sk.SECOND_MERCHANT,
            fail("not_a_recipient"),
        ),
        _grant_case(
            "other_generation",
            "A grant of generation 3 against generation 2.",
            _grant(sk.MERCHANT, number=3),
            sk.MERCHANT,
            fail("wrong_group_key"),
        ),
        _grant_case(
            "not_the_published_key",
            "Wraps another private key as generation 2.",
            _grant(sk.MERCHANT, ref="commune:2-fork"),
            sk.MERCHANT,
            fail("wrong_group_key"),
        ),
        _grant_case(
            "other_scope",
            "A sector's grant against the commune's generation.",
            _grant(sk.MERCHANT, scope=SECTOR),
            sk.MERCHANT,
            fail("wrong_scope"),
        ),
        _grant_case(
            "other_commune",
            "A grant naming another commune.",
            _grant(sk.MERCHANT, commune=OTHER_COMMUNE),
            sk.MERCHANT,
            fail("wrong_commune"),
        ),
        _grant_case(
            "wrapped_altered",
            "Wrapped key altered, grant re-signed.",
            {**valid, "grant": altered.to_wire()},
            sk.MERCHANT,
            fail("undecryptable"),
        ),
        _grant_case(
            "granter_merchant",
            "Only operator devices grant group keys.",
            _grant(sk.SECOND_MERCHANT, granter=sk.MERCHANT),
            sk.SECOND_MERCHANT,
            fail("not_allowed_recipient"),
        ),
        _grant_case(
            "granter_revoked_since",
            "Granted before the granter's revocation.",
            _grant(sk.MERCHANT, granter=sk.REVOKED_OPERATOR, issued_at=REVOKED_AT - 10),
            sk.MERCHANT,
            ok,
        ),
        _grant_case(
            "granter_revoked_before",
            "Granted after the granter's revocation.",
            _grant(sk.MERCHANT, granter=sk.REVOKED_OPERATOR),
            sk.MERCHANT,
            fail("revoked"),
        ),
        _grant_case(
            "granter_rogue",
            "Granter certified under another root.",
            _grant(sk.MERCHANT, granter=sk.ROGUE),
            sk.MERCHANT,
            fail("broken_chain"),
        ),
        _grant_case(
            "bad_signature",
            "Signature of another grant.",
            {
                **valid,
                "grant": {
                    **valid["grant"],
                    "signature": _grant(sk.SECOND_MERCHANT)["grant"]["signature"],
                },
            },
            sk.MERCHANT,
            fail("bad_signature"),
        ),
    ]


# --- broadcasts -----------------------------------------------------------------------

BROADCAST_ID = sk._id("broadcast 1")
PHOTO = bytes(range(256)) * 8


def _sender(device: sk.Device) -> Sender:
    return Sender(sign_key=device.sign, device=device.id, serial=device.serial, chain=device.chain)


def _seal(
    *,
    by: sk.Device = sk.OPERATOR,
    number: int = 2,
    scope: str = CSCOPE,
    sent_at: int = SENT_AT,
    text: str = "Vol à l'étalage en cours rue Nationale : restez vigilants.",
    photo: bool = False,
) -> dict[str, Any]:
    doc = group_key.parse_group_key_document(
        chain.SignedDocument.from_wire(_document(number, scope=scope))
    )
    sealed = broadcast.seal_broadcast(
        broadcast.BroadcastBinding(COMMUNE, scope, BROADCAST_ID),
        _sender(by),
        doc,
        text=text,
        fields={"kind": "vol"},
        attachments=[Attachment(PHOTO, "image/jpeg", 64, 32)] if photo else [],
        sent_at=sent_at,
    )
    return {
        "wire": sealed.wire,
        "attachments": [chain.b64url_encode(a) for a in sealed.attachments],
    }


def _broadcast_case(
    name: str,
    description: str,
    sealed: dict[str, Any],
    expect: dict[str, Any],
    *,
    group: str = "commune:2",
    superseded_at: int | None = None,
    expected: dict[str, str] | None = None,
) -> dict[str, Any]:
    scope, number = group.rsplit(":", 1)
    binding = expected or {"commune": COMMUNE, "scope": scope, "broadcast": BROADCAST_ID}
    opener = broadcast.GroupOpener(scope, int(number), GROUPS[group], superseded_at)

    def open_() -> dict[str, Any]:
        opened = broadcast.open_broadcast(
            sealed["wire"],
            [chain.b64url_decode(a) for a in sealed["attachments"]],
            broadcast.BroadcastBinding(**binding),
            opener,
            TRUST,
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

    got = _result(open_)
    assert got == expect, (name, got, expect)
    return {
        "name": name,
        "description": description,
        **sealed,
        "expected": binding,
        "opener": {"group": group, "superseded_at": superseded_at},
        "expect": expect,
    }


def _opened(sender: sk.Device, number: int = 2, photo: bool = False) -> dict[str, Any]:
    return {
        "ok": True,
        "text": "Vol à l'étalage en cours rue Nationale : restez vigilants.",
        "fields": {"kind": "vol"},
        "sender": sender.id,
        "number": number,
        "attachments": ([{"media": "image/jpeg", "sha256": sha256_b64(PHOTO)}] if photo else []),
    }


def _rewrite(sealed: dict[str, Any], signer: sk.Device, **changes: Any) -> dict[str, Any]:
    """The header changed as `changes` says and signed again by `signer`."""
    body = {**json.loads(sealed["wire"]["body"]), **changes}
    doc = chain.sign_document(body, signer.sign)
    return {**sealed, "wire": {**sealed["wire"], "body": doc.body, "signature": doc.signature}}


def broadcast_cases() -> list[dict[str, Any]]:
    valid = _seal()
    header = json.loads(valid["wire"]["body"])
    content = bytearray(chain.b64url_decode(valid["wire"]["content"]))
    content[0] ^= 1
    wrapped = bytearray(chain.b64url_decode(header["group"]["wrapped"]))
    wrapped[0] ^= 1

    def fail(code: str) -> dict[str, Any]:
        return {"ok": False, "code": code}

    old_before = _seal(number=1, sent_at=ISSUED_AT[2] - 60)
    return [
        _broadcast_case(
            "valid",
            "An operator's message to every device of the commune.",
            valid,
            _opened(sk.OPERATOR),
        ),
        _broadcast_case(
            "with_photo",
            "With one sealed attachment.",
            _seal(photo=True),
            _opened(sk.OPERATOR, photo=True),
        ),
        _broadcast_case(
            "sector_by_merchant",
            "A merchant may broadcast to a sector.",
            _seal(by=sk.MERCHANT, scope=SECTOR),
            _opened(sk.MERCHANT),
            group=f"{SECTOR}:2",
        ),
        _broadcast_case(
            "commune_by_merchant",
            "Only operators broadcast to the commune.",
            _seal(by=sk.MERCHANT),
            fail("not_allowed_sender"),
        ),
        _broadcast_case(
            "commune_by_agent",
            "An agent does not broadcast to the commune.",
            _seal(by=sk.AGENT),
            fail("not_allowed_sender"),
        ),
        _broadcast_case(
            "older_generation_sent_before_rotation",
            "Sealed to generation 1 before generation 2 was issued: readable.",
            old_before,
            _opened(sk.OPERATOR, 1),
            group="commune:1",
            superseded_at=ISSUED_AT[2],
        ),
        _broadcast_case(
            "older_generation_sent_after_rotation",
            "Sealed to generation 1 after generation 2 was issued: refused.",
            _seal(number=1),
            fail("stale_group_key"),
            group="commune:1",
            superseded_at=ISSUED_AT[2],
        ),
        _broadcast_case(
            "other_generation",
            "This device holds generation 3, not 2.",
            valid,
            fail("not_a_recipient"),
            group="commune:3",
        ),
        _broadcast_case(
            "sender_revoked_since",
            "Sent before its sender was revoked.",
            _seal(by=sk.REVOKED_OPERATOR, number=1, sent_at=REVOKED_AT - 10),
            _opened(sk.REVOKED_OPERATOR, 1),
            group="commune:1",
            superseded_at=ISSUED_AT[2],
        ),
        _broadcast_case(
            "sender_revoked_before",
            "Sent after its sender was revoked.",
            _seal(by=sk.REVOKED_OPERATOR),
            fail("revoked"),
        ),
        _broadcast_case(
            "sender_rogue",
            "Sender certified under another root.",
            _seal(by=sk.ROGUE),
            fail("broken_chain"),
        ),
        _broadcast_case(
            "other_scope",
            "Filed under a sector, sealed for the commune.",
            valid,
            fail("wrong_context"),
            expected={"commune": COMMUNE, "scope": SECTOR, "broadcast": BROADCAST_ID},
        ),
        _broadcast_case(
            "other_broadcast",
            "Filed under another broadcast id.",
            valid,
            fail("wrong_context"),
            expected={"commune": COMMUNE, "scope": CSCOPE, "broadcast": sk._id("broadcast 2")},
        ),
        _broadcast_case(
            "content_altered",
            "One bit of the sealed content flipped.",
            {**valid, "wire": {**valid["wire"], "content": chain.b64url_encode(bytes(content))}},
            fail("tampered"),
        ),
        _broadcast_case(
            "bad_signature",
            "Signature of another broadcast.",
            {**valid, "wire": {**valid["wire"], "signature": _seal()["wire"]["signature"]}},
            fail("bad_signature"),
        ),
        _broadcast_case(
            "other_sender_named",
            "The header names a device the chain is not.",
            _rewrite(
                valid,
                sk.OPERATOR,
                sender={"device": sk.SECOND_OPERATOR.id, "serial": sk.SECOND_OPERATOR.serial},
            ),
            fail("wrong_sender"),
        ),
        _broadcast_case(
            "wrapped_altered",
            "Wrapped key altered, header re-signed.",
            _rewrite(
                valid,
                sk.OPERATOR,
                group={**header["group"], "wrapped": chain.b64url_encode(bytes(wrapped))},
            ),
            fail("undecryptable"),
        ),
        _broadcast_case(
            "version_2",
            "A later version.",
            _rewrite(valid, sk.OPERATOR, v=2),
            fail("unsupported_version"),
        ),
        _broadcast_case(
            "generation_zero",
            "Generations start at 1.",
            _rewrite(valid, sk.OPERATOR, group={**header["group"], "number": 0}),
            fail("malformed"),
        ),
        _broadcast_case(
            "recipients_list",
            "A broadcast has no recipient list.",
            _rewrite(valid, sk.OPERATOR, recipients=[]),
            fail("malformed"),
        ),
        _broadcast_case(
            "an_envelope",
            "An incident envelope is not a broadcast.",
            _rewrite(valid, sk.OPERATOR, type="maillage.envelope"),
            fail("malformed"),
        ),
    ]


def build() -> dict[str, Any]:
    service = sk.build()
    return {
        "version": 1,
        "generated_by": "tests/vectors/generate_group_key_vectors.py",
        "description": (
            "Broadcast group keys (generation documents, grants) and broadcasts "
            "(docs/envelope.md, 'Broadcasts and group keys'). Each case runs against `root`, "
            "the verified `revocations` and `now`; `expect` is what both implementations end "
            "with. `groups` holds the group private keys by `<scope>:<number>`."
        ),
        "messages": ENVELOPE_MESSAGES,
        "commune": COMMUNE,
        "sector_scope": SECTOR,
        "root": service["root"],
        "revocations": service["revocations"],
        "now": NOW,
        "issued_at": {str(n): t for n, t in ISSUED_AT.items()},
        "devices": service["devices"],
        "groups": {ref: sk._raw_private(key) for ref, key in GROUPS.items()},
        "group_keys": group_key_cases(),
        "grants": grant_cases(),
        "broadcasts": broadcast_cases(),
    }


def main() -> None:
    OUTPUT.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()

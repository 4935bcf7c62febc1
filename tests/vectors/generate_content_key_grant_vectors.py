"""Write tests/vectors/content-key-grant-v1.json: envelopes and the content-key grants
that open them for an agent's device (docs/envelope.md, "Dispatch: content-key grants").

Run: `.venv/bin/python tests/vectors/generate_content_key_grant_vectors.py`. The commune
(root, certified devices, revocation list) is the one of `generate_service_key_vectors.py`,
imported rather than rebuilt, so both files describe the same devices; the envelopes'
content keys and every HPKE ephemeral key change from one run to the next. Every case
is checked here with `maillage.wire` before it is written, then read by
`src/maillage/wire/tests/test_content_grant_vectors.py` and
`frontend/tests/content-grant-vectors.test.ts`, which must end each case alike. The
TypeScript generator (`frontend/scripts/content-key-grant-vectors.gen.ts`) seals its own
envelopes and grants with the `devices` below into `content-key-grant-v1-ts.json`.
Test keys only: never use them anywhere else.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

import generate_service_key_vectors as pki

from maillage.wire import chain, content_grant, opening, sealing
from maillage.wire.envelope import (
    ENVELOPE_MESSAGES,
    Attachment,
    Binding,
    EnvelopeError,
    Opener,
    Recipient,
    Sender,
)

OUTPUT = Path(__file__).with_name("content-key-grant-v1.json")

Device = pki.Device
INCIDENT = pki._id("incident 1")
OTHER_INCIDENT = pki._id("incident 2")
SENT_AT = pki.KEY_ISSUED + 1000
GRANTED_AT = pki.KEY_ISSUED + 2000
PHOTO = hashlib.sha256(b"maillage content-key-grant-v1 photo").digest() * 8

DEVICES = [
    pki.OPERATOR,
    pki.SECOND_OPERATOR,
    pki.THIRD_OPERATOR,
    pki.REVOKED_OPERATOR,
    pki.AGENT,
    pki.MERCHANT,
    pki.ROGUE,
]


def _binding(message: str, incident: str = INCIDENT) -> Binding:
    return Binding(pki.COMMUNE, incident, pki._id(f"message {message}"))


def _binding_json(binding: Binding) -> dict[str, str]:
    return {"commune": binding.commune, "incident": binding.incident, "message": binding.message}


def _sha256(data: bytes) -> str:
    return chain.b64url_encode(hashlib.sha256(data).digest())


# --- envelopes ------------------------------------------------------------------------


def _text(envelope: str) -> str:
    return f"Vol à l'étalage ({envelope})"


def _envelope(envelope: str) -> dict[str, Any]:
    """A merchant's report to the operator device, with one photo, and its K as the
    operator's device reads it before granting (`Opened.content_key`)."""
    merchant, operator = pki.MERCHANT, pki.OPERATOR
    binding = _binding(envelope)
    sealed = sealing.seal(
        binding,
        Sender(merchant.sign, merchant.id, merchant.serial, merchant.chain),
        text=_text(envelope),
        fields={"direction": "nord"},
        attachments=[Attachment(data=PHOTO, media="image/jpeg", width=64, height=48)],
        recipients=[
            Recipient("device", merchant.id, merchant.enc_public),
            Recipient("device", operator.id, operator.enc_public),
        ],
        sent_at=SENT_AT,
    )
    opened = opening.open_envelope(
        sealed.wire,
        sealed.attachments,
        binding,
        Opener("device", operator.id, operator.enc),
        pki.TRUST,
    )
    return {
        "binding": _binding_json(binding),
        "wire": sealed.wire,
        "attachments": [chain.b64url_encode(a) for a in sealed.attachments],
        "content_key": chain.b64url_encode(opened.content_key),
    }


ENVELOPES = {name: _envelope(name) for name in ("first", "second")}


def _key(envelope: str) -> bytes:
    return chain.b64url_decode(ENVELOPES[envelope]["content_key"])


def _opened(envelope: str = "first") -> dict[str, Any]:
    return {
        "ok": True,
        "text": _text(envelope),
        "attachments": [_sha256(PHOTO)],
        "content_key": ENVELOPES[envelope]["content_key"],
    }


# --- grants ---------------------------------------------------------------------------


def _grant(
    recipient: Device,
    key: bytes,
    *,
    granter: Device = pki.OPERATOR,
    binding: Binding | None = None,
    issued_at: int = GRANTED_AT,
) -> dict[str, Any]:
    binding = binding or _binding("first")
    doc = content_grant.seal_content_key_grant(
        granter.sign,
        commune=binding.commune,
        incident=binding.incident,
        message=binding.message,
        recipient_device=recipient.id,
        recipient_key=recipient.enc_public,
        content_key=key,
        issued_at=issued_at,
    )
    return {"grant": doc.to_wire(), "granter_chain": [c.to_wire() for c in granter.chain]}


def _resigned(granted: dict[str, Any], by: Device = pki.OPERATOR, **changes: Any) -> dict[str, Any]:
    """The grant with a body the sealing helper would refuse, signed anyway."""
    body = {**json.loads(granted["grant"]["body"]), **changes}
    return {**granted, "grant": chain.sign_document(body, by.sign).to_wire()}


def _result(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return {"ok": True, **work()}
    except EnvelopeError as exc:
        return {"ok": False, "code": exc.code}


def _device_of(name: str) -> Device:
    return next(d for d in DEVICES if d.name == name)


def open_case(case: dict[str, Any]) -> dict[str, Any]:
    """What `open_envelope_with_grant` ends with for one case, before it is written."""
    envelope = ENVELOPES[case["envelope"]]
    opener = _device_of(case["opener"])
    binding = envelope["binding"]

    def work() -> dict[str, Any]:
        opened = content_grant.open_envelope_with_grant(
            envelope["wire"],
            [chain.b64url_decode(a) for a in case["attachments"]],
            Binding(binding["commune"], binding["incident"], binding["message"]),
            chain.SignedDocument.from_wire(case["grant"]),
            chain.parse_chain(case["granter_chain"]),
            opener.id,
            opener.enc,
            pki.TRUST,
        )
        return {
            "text": opened.text,
            "attachments": [_sha256(a.data) for a in opened.attachments],
            "content_key": chain.b64url_encode(opened.content_key),
        }

    return _result(work)


def _opening_case(
    name: str,
    description: str,
    granted: dict[str, Any],
    expect: dict[str, Any],
    *,
    envelope: str = "first",
    opener: Device = pki.AGENT,
    attachments: list[str] | None = None,
) -> dict[str, Any]:
    case = {
        "name": name,
        "description": description,
        "envelope": envelope,
        "attachments": attachments or ENVELOPES[envelope]["attachments"],
        **granted,
        "opener": opener.name,
        "expect": expect,
    }
    got = open_case(case)
    assert got == expect, (name, got, expect)
    return case


def _fail(code: str) -> dict[str, Any]:
    return {"ok": False, "code": code}


def opening_cases() -> list[dict[str, Any]]:
    agent, first = pki.AGENT, _key("first")
    valid = _grant(agent, first)
    other_signature = _grant(agent, first, binding=_binding("second"))["grant"]["signature"]
    wrapped = bytearray(chain.b64url_decode(json.loads(valid["grant"]["body"])["wrapped"]))
    wrapped[0] ^= 1
    photo = bytearray(chain.b64url_decode(ENVELOPES["first"]["attachments"][0]))
    photo[0] ^= 1
    second_print = chain.fingerprint(
        chain.b64url_decode(chain.public_key_b64(pki.SECOND_OPERATOR.sign))
    )
    return [
        _opening_case(
            "valid", "The operator grants the first message's K to the agent.", valid, _opened()
        ),
        _opening_case(
            "granter_revoked_since",
            "Granted before the granter's revocation: still opens.",
            _grant(agent, first, granter=pki.REVOKED_OPERATOR),
            _opened(),
        ),
        _opening_case(
            "granter_revoked_before",
            "Granted after the granter's revocation.",
            _grant(agent, first, granter=pki.REVOKED_OPERATOR, issued_at=pki.REVOKED_AT + 1),
            _fail("revoked"),
        ),
        _opening_case(
            "other_message",
            "A valid grant of the second message, presented with the first.",
            _grant(agent, _key("second"), binding=_binding("second")),
            _fail("wrong_context"),
        ),
        _opening_case(
            "other_incident",
            "A grant naming the same message id in another incident.",
            _grant(agent, first, binding=_binding("first", OTHER_INCIDENT)),
            _fail("wrong_context"),
        ),
        _opening_case(
            "other_message_for_another_device",
            "The binding is checked before the recipient, as in envelopes.",
            _grant(pki.SECOND_OPERATOR, _key("second"), binding=_binding("second")),
            _fail("wrong_context"),
        ),
        _opening_case(
            "wrong_key",
            "Names the first message but carries the second message's K.",
            _grant(agent, _key("second")),
            _fail("undecryptable"),
        ),
        _opening_case(
            "other_device",
            "Opened by a device it was not granted to.",
            valid,
            _fail("not_a_recipient"),
            opener=pki.THIRD_OPERATOR,
        ),
        _opening_case(
            "granter_agent",
            "Signed by an agent's device: only operator devices grant.",
            _grant(pki.SECOND_OPERATOR, first, granter=agent),
            _fail("not_allowed_recipient"),
            opener=pki.SECOND_OPERATOR,
        ),
        _opening_case(
            "granter_merchant",
            "Signed by a merchant's device.",
            _grant(agent, first, granter=pki.MERCHANT),
            _fail("not_allowed_recipient"),
        ),
        _opening_case(
            "granter_rogue_root",
            "Granter certified under another root.",
            _grant(agent, first, granter=pki.ROGUE),
            _fail("broken_chain"),
        ),
        _opening_case(
            "tampered_signature",
            "Signature of another grant.",
            {**valid, "grant": {**valid["grant"], "signature": other_signature}},
            _fail("bad_grant"),
        ),
        _opening_case(
            "issuer_not_signer",
            "Body names the second operator, the operator signed.",
            _resigned(valid, issuer=second_print),
            _fail("bad_grant"),
        ),
        _opening_case(
            "other_granter_chain",
            "Signed by the operator, presented with the second operator's chain.",
            {**valid, "granter_chain": [c.to_wire() for c in pki.SECOND_OPERATOR.chain]},
            _fail("bad_grant"),
        ),
        _opening_case(
            "wrong_commune",
            "A valid granter, a grant naming another commune.",
            _resigned(valid, commune=pki.OTHER_COMMUNE),
            _fail("wrong_commune"),
        ),
        _opening_case(
            "wrapped_altered",
            "Wrapped key altered, grant re-signed.",
            _resigned(valid, wrapped=chain.b64url_encode(bytes(wrapped))),
            _fail("undecryptable"),
        ),
        _opening_case(
            "wrapped_short",
            "`wrapped` must be 48 bytes.",
            _resigned(valid, wrapped=chain.b64url_encode(bytes(wrapped[:47]))),
            _fail("bad_grant"),
        ),
        _opening_case(
            "extra_field",
            "Fields beyond the format.",
            _resigned(valid, note="x"),
            _fail("bad_grant"),
        ),
        _opening_case(
            "service_key_grant_type",
            "Another grant type.",
            _resigned(valid, type="maillage.service-key-grant"),
            _fail("bad_grant"),
        ),
        _opening_case("version_2", "`v` must be 1.", _resigned(valid, v=2), _fail("bad_grant")),
        _opening_case(
            "not_canonical",
            "Body with whitespace.",
            {
                **valid,
                "grant": {**valid["grant"], "body": json.dumps(json.loads(valid["grant"]["body"]))},
            },
            _fail("bad_grant"),
        ),
        _opening_case(
            "attachment_tampered",
            "The envelope's own checks come first, grant or not.",
            valid,
            _fail("tampered"),
            attachments=[chain.b64url_encode(bytes(photo))],
        ),
    ]


def grant_case(case: dict[str, Any]) -> dict[str, Any]:
    """What `open_content_key_grant` ends with for one case: the grant alone."""
    opener = _device_of(case["opener"])
    return _result(
        lambda: {
            "content_key": chain.b64url_encode(
                content_grant.open_content_key_grant(
                    chain.SignedDocument.from_wire(case["grant"]),
                    chain.parse_chain(case["granter_chain"]),
                    opener.id,
                    opener.enc,
                    pki.TRUST,
                )
            )
        }
    )


def grant_cases(openings: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The grant alone, on grants of the opening cases: K comes out whatever message it
    is later tried on."""
    chosen = {
        "valid": {"ok": True, "content_key": ENVELOPES["first"]["content_key"]},
        "wrong_key": {"ok": True, "content_key": ENVELOPES["second"]["content_key"]},
        "other_device": _fail("not_a_recipient"),
        "granter_agent": _fail("not_allowed_recipient"),
        "tampered_signature": _fail("bad_grant"),
        "wrapped_altered": _fail("undecryptable"),
        "wrong_commune": _fail("wrong_commune"),
    }
    cases = []
    for name, expect in chosen.items():
        source = openings[name]
        case = {
            "name": name,
            "description": source["description"],
            "grant": source["grant"],
            "granter_chain": source["granter_chain"],
            "opener": source["opener"],
            "expect": expect,
        }
        got = grant_case(case)
        assert got == expect, (name, got, expect)
        cases.append(case)
    return cases


def build() -> dict[str, Any]:
    openings = opening_cases()
    return {
        "version": 1,
        "generated_by": "tests/vectors/generate_content_key_grant_vectors.py",
        "description": (
            "Content-key grants (docs/envelope.md, 'Dispatch: content-key grants'): each "
            "case opens `envelope` with the grant on the `opener` device, against `root`, "
            "the verified `revocations` and the envelope's binding; `expect` is what both "
            "implementations end with (text, SHA-256 of each clear attachment, K)."
        ),
        "messages": ENVELOPE_MESSAGES,
        "commune": pki.COMMUNE,
        "root": {"public_key": pki.ROOT_PUBLIC, "fingerprint": pki.ROOT_FINGERPRINT},
        "revocations": pki.REVOCATIONS_WIRE,
        "now": pki.NOW,
        "devices": {
            d.name: {
                "device": d.id,
                "serial": d.serial,
                "sign_private": pki._raw_private(d.sign),
                "private_key": pki._raw_private(d.enc),
                "public_key": d.enc_public,
                "chain": [c.to_wire() for c in d.chain],
            }
            for d in DEVICES
        },
        "envelopes": ENVELOPES,
        "openings": openings,
        "grants": grant_cases({case["name"]: case for case in openings}),
    }


def main() -> None:
    OUTPUT.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()

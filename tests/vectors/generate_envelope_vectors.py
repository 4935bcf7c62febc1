"""Write tests/vectors/envelope-v1.json: envelopes sealed by Python for every opener.

Run: `.venv/bin/python tests/vectors/generate_envelope_vectors.py`. Keys, certificates,
the revocation list and all ids come from fixed seeds, so only HPKE ephemeral keys,
content keys and therefore ciphertexts change from one run to the next. The TypeScript
generator reuses this file's `fixtures`, `root`, `revocations` and `commune` so that
`envelope-v1-ts.json` shares the keys. Test keys only: never use them anywhere else.

Negative cases are built from the same pieces as `sealing.seal` (`seal_part`,
`wrap_key`, `sign_header`) so each one breaks exactly one property, and is re-signed by
the sender whenever the case is about something the signature does not catch.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from maillage.wire import chain, envelope, hpke, opening, sealing  # noqa: E402
from maillage.wire.envelope import (  # noqa: E402
    Attachment,
    Binding,
    Opener,
    Recipient,
    Sender,
    TrustContext,
)

OUTPUT = Path(__file__).with_name("envelope-v1.json")

COMMUNE = "5a0c3d2e-7b1f-4c69-8e2d-3f4a5b6c7d01"
SHOP = "9e8d7c6b-5a49-4c3b-8a2d-1e0f9a8b7c02"
OTHER_SHOP = "1b2c3d4e-5f60-4a7b-9c8d-0e1f2a3b4c03"
ISSUED = 1764198000  # 2025-11-26T23:00:00Z
EXPIRES = 1795734000  # one year later
SENT = 1770000000  # 2026-02-02
REVOKED_AT = SENT + 500
NOW = SENT + 3600
NAMESPACE = uuid.UUID("0f3e2d1c-4b5a-4978-8695-a4b3c2d1e0f9")


def _seed(label: str) -> bytes:
    return hashlib.sha256(f"maillage envelope-v1 test key: {label}".encode()).digest()


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
    shop: str | None
    sign: Ed25519PrivateKey
    enc: X25519PrivateKey
    certificate: chain.SignedDocument
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

    def sender(self) -> Sender:
        return Sender(sign_key=self.sign, device=self.id, serial=self.serial, chain=self.chain)

    def recipient(self) -> Recipient:
        return Recipient(kind="device", id=self.id, key=self.enc_public)


def _device(
    name: str,
    role: chain.Role,
    shop: str | None,
    issuer: Ed25519PrivateKey,
    issuer_chain: list[chain.SignedDocument],
    *,
    may_certify: bool = False,
) -> Device:
    sign, enc = _ed25519(name), _x25519(name)
    certificate = chain.issue_certificate(
        issuer,
        commune=COMMUNE,
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
    return Device(name, role, shop, sign, enc, certificate, [certificate, *issuer_chain])


COORDINATOR = _device("coordinator", "coordinateur", None, ROOT_KEY, [], may_certify=True)
MERCHANT = _device("merchant", "commercant", SHOP, COORDINATOR.sign, COORDINATOR.chain)
OTHER_MERCHANT = _device(
    "other_merchant", "commercant", OTHER_SHOP, COORDINATOR.sign, COORDINATOR.chain
)
REVOKED_MERCHANT = _device(
    "revoked_merchant", "commercant", SHOP, COORDINATOR.sign, COORDINATOR.chain
)
OPERATOR = _device("operator", "operateur", None, COORDINATOR.sign, COORDINATOR.chain)
OUTSIDER = _device("outsider", "agent", None, COORDINATOR.sign, COORDINATOR.chain)
# Claims to be the merchant's device, but certified by a key that is not the root's.
ROGUE = _device("merchant", "commercant", SHOP, _ed25519("rogue root"), [])

POLICE_NUMBER = 1
POLICE_KEY = _x25519("police service key generation 1")
POLICE = Recipient(
    kind="service",
    id=f"police:{POLICE_NUMBER}",
    key=hpke.x25519_public_of(POLICE_KEY),
)
ATTACKER_KEY = _x25519("attacker")

REVOCATIONS = chain.issue_revocation_list(
    ROOT_KEY,
    commune=COMMUNE,
    number=1,
    issued_at=REVOKED_AT + 60,
    entries=[
        chain.RevocationEntry(
            serial=REVOKED_MERCHANT.serial,
            device=REVOKED_MERCHANT.id,
            reason="revoked",
            at=REVOKED_AT,
        )
    ],
)
TRUST = TrustContext(
    root_public_key=ROOT_PUBLIC,
    pinned_fingerprint=ROOT_FINGERPRINT,
    commune=COMMUNE,
    revocations=chain.verify_revocation_list(
        REVOCATIONS, [], ROOT_PUBLIC, ROOT_FINGERPRINT, COMMUNE, 0, NOW
    ),
)

RECIPIENTS = [MERCHANT.recipient(), OPERATOR.recipient(), POLICE]
OPENERS: dict[str, tuple[Literal["device", "service"], str, X25519PrivateKey]] = {
    "operator": ("device", OPERATOR.id, OPERATOR.enc),
    "merchant": ("device", MERCHANT.id, MERCHANT.enc),
    "police": ("service", POLICE.id, POLICE_KEY),
    "outsider": ("device", OUTSIDER.id, OUTSIDER.enc),
}
SENDERS = {d.name: d for d in (MERCHANT, OTHER_MERCHANT, REVOKED_MERCHANT, OPERATOR)}

PHOTO_1 = b"\xff\xd8\xff\xe0" + hashlib.sha256(b"photo 1").digest() * 40
PHOTO_2 = b"\xff\xd8\xff\xe0" + hashlib.sha256(b"photo 2").digest() * 23
TEXT = "Vol à l'étalage, homme 1m80, veste rouge 🧥, parti vers la gare « nord »."


def _binding(case: str) -> Binding:
    return Binding(
        commune=COMMUNE, incident=_id(f"incident {case}"), message=_id(f"message {case}")
    )


def _content(
    text: str | None, fields: dict[str, Any], attachments: list[Attachment]
) -> dict[str, Any]:
    return {
        "type": "maillage.content",
        "v": 1,
        "text": text,
        "attachments": [
            {"media": a.media, "width": a.width, "height": a.height} for a in attachments
        ],
        "fields": fields,
    }


def craft(
    binding: Binding,
    sender: Device,
    content: dict[str, Any] | bytes,
    attachments: list[bytes],
    recipients: list[Recipient],
    sent_at: int,
    *,
    part_binding: Binding | None = None,
    edit_header: Any = None,
    header_sender: Device | None = None,
) -> envelope.Sealed:
    """`sealing.seal` step by step, with hooks to break one thing at a time."""
    key = os.urandom(32)
    plaintext = content if isinstance(content, bytes) else chain.canonical_json(content)
    parts_for = part_binding or binding
    sealed_content = sealing.seal_part(key, parts_for, 0, plaintext)
    sealed = [sealing.seal_part(key, parts_for, i, data) for i, data in enumerate(attachments, 1)]
    named = header_sender or sender
    entries = []
    for r in sorted(recipients, key=lambda r: (r.kind, r.id)):
        enc, wrapped = sealing.wrap_key(key, binding, r)
        entries.append({"kind": r.kind, "id": r.id, "key": r.key, "enc": enc, "wrapped": wrapped})
    header: dict[str, Any] = {
        "type": "maillage.envelope",
        "v": 1,
        "commune": binding.commune,
        "incident": binding.incident,
        "message": binding.message,
        "sender": {"device": named.id, "serial": named.serial},
        "sent_at": sent_at,
        "recipients": entries,
        "content": {"size": len(sealed_content), "sha256": envelope.sha256_b64(sealed_content)},
        "attachments": [{"size": len(p), "sha256": envelope.sha256_b64(p)} for p in sealed],
    }
    if edit_header is not None:
        edit_header(header)
    body, signature = sealing.sign_header(header, sender.sign)
    wire = {
        "body": body,
        "signature": signature,
        "sender_chain": [d.to_wire() for d in sender.chain],
        "content": chain.b64url_encode(sealed_content),
    }
    return envelope.Sealed(wire=wire, attachments=sealed)


def _resign(
    wire: dict[str, Any], sender: Device, edit: Any, *, canonical: bool = True
) -> dict[str, Any]:
    header = json.loads(wire["body"])
    edit(header)
    if canonical:
        body = chain.canonical_json(header).decode("utf-8")
    else:
        body = json.dumps(header, ensure_ascii=False, sort_keys=True, indent=1)
    signature = chain.b64url_encode(sender.sign.sign(body.encode("utf-8")))
    return {**wire, "body": body, "signature": signature}


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def _result(
    text: str | None, fields: dict[str, Any], attachments: list[Attachment]
) -> dict[str, Any]:
    return {
        "text": text,
        "fields": fields,
        "attachments": [
            {
                "data": chain.b64url_encode(a.data),
                "media": a.media,
                "width": a.width,
                "height": a.height,
            }
            for a in attachments
        ],
    }


def _case(
    name: str,
    description: str,
    sealed: envelope.Sealed,
    binding: Binding,
    opener: str,
    result: dict[str, Any],
    *,
    wire: dict[str, Any] | None = None,
    attachments: list[bytes] | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "wire": wire if wire is not None else sealed.wire,
        "attachments": [
            chain.b64url_encode(a)
            for a in (attachments if attachments is not None else sealed.attachments)
        ],
        "expected": {
            "commune": binding.commune,
            "incident": binding.incident,
            "message": binding.message,
        },
        "opener": opener,
        "result": result,
    }


def build_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    photos = [
        Attachment(data=PHOTO_1, media="image/jpeg", width=1600, height=1200),
        Attachment(data=PHOTO_2, media="image/jpeg", width=900, height=1600),
    ]

    def sealed_by(
        sender: Device,
        case: str,
        *,
        text: str | None = TEXT,
        fields: dict[str, Any] | None = None,
        attachments: list[Attachment] | None = None,
        sent_at: int = SENT,
    ) -> envelope.Sealed:
        return sealing.seal(
            _binding(case),
            sender.sender(),
            text=text,
            fields=fields or {},
            attachments=attachments or [],
            recipients=RECIPIENTS,
            sent_at=sent_at,
        )

    b = _binding("text_only")
    cases.append(
        _case(
            "text_only",
            "Texte seul, ouvert par l'appareil de l'opérateur.",
            sealed_by(MERCHANT, "text_only"),
            b,
            "operator",
            _result(TEXT, {}, []),
        )
    )

    fields = {"direction": "nord", "suspects": [{"taille": 180, "veste": "rouge"}], "urgent": True}
    b = _binding("text_and_attachments")
    cases.append(
        _case(
            "text_and_attachments",
            "Texte, champs et deux photos, ouvert par le commerçant.",
            sealed_by(MERCHANT, "text_and_attachments", fields=fields, attachments=photos),
            b,
            "merchant",
            _result(TEXT, fields, photos),
        )
    )

    b = _binding("police_service_key")
    cases.append(
        _case(
            "police_service_key",
            "Ouvert avec la clé de service de la police (police:1).",
            sealed_by(MERCHANT, "police_service_key", attachments=photos[:1]),
            b,
            "police",
            _result(TEXT, {}, photos[:1]),
        )
    )

    b = _binding("no_text")
    cases.append(
        _case(
            "no_text",
            "Texte null, champs seuls, envoyé par l'opérateur.",
            sealed_by(OPERATOR, "no_text", text=None, fields={"etat": "clos"}),
            b,
            "merchant",
            _result(None, {"etat": "clos"}, []),
        )
    )

    b = _binding("revoked_after_sent")
    cases.append(
        _case(
            "revoked_after_sent",
            "Expéditeur révoqué après l'envoi : le message reste lisible.",
            sealed_by(REVOKED_MERCHANT, "revoked_after_sent", sent_at=REVOKED_AT - 100),
            b,
            "operator",
            _result(TEXT, {}, []),
        )
    )

    b = _binding("revoked_before_sent")
    cases.append(
        _case(
            "revoked_before_sent",
            "Expéditeur révoqué avant l'envoi.",
            sealed_by(REVOKED_MERCHANT, "revoked_before_sent", sent_at=REVOKED_AT + 100),
            b,
            "operator",
            {"error": "revoked"},
        )
    )

    b = _binding("content_flipped")
    s = sealed_by(MERCHANT, "content_flipped", attachments=photos)
    content = _flip(chain.b64url_decode(s.wire["content"]), 20)
    cases.append(
        _case(
            "content_flipped",
            "Un octet du contenu scellé modifié.",
            s,
            b,
            "operator",
            {"error": "tampered"},
            wire={**s.wire, "content": chain.b64url_encode(content)},
        )
    )

    b = _binding("attachment_flipped")
    s = sealed_by(MERCHANT, "attachment_flipped", attachments=photos)
    cases.append(
        _case(
            "attachment_flipped",
            "Un octet de la deuxième pièce jointe modifié.",
            s,
            b,
            "operator",
            {"error": "tampered"},
            attachments=[s.attachments[0], _flip(s.attachments[1], 100)],
        )
    )

    b = _binding("attachment_missing")
    s = sealed_by(MERCHANT, "attachment_missing", attachments=photos)
    cases.append(
        _case(
            "attachment_missing",
            "Une pièce jointe manquante.",
            s,
            b,
            "operator",
            {"error": "tampered"},
            attachments=s.attachments[:1],
        )
    )

    def later(header: dict[str, Any]) -> None:
        header["sent_at"] += 1

    b = _binding("header_altered")
    s = sealed_by(MERCHANT, "header_altered")
    header = json.loads(s.wire["body"])
    later(header)
    cases.append(
        _case(
            "header_altered",
            "En-tête modifié (sent_at) sans nouvelle signature.",
            s,
            b,
            "operator",
            {"error": "bad_signature"},
            wire={**s.wire, "body": chain.canonical_json(header).decode("utf-8")},
        )
    )

    b = _binding("recipient_key_substituted")
    s = sealed_by(MERCHANT, "recipient_key_substituted")
    header = json.loads(s.wire["body"])
    for entry in header["recipients"]:
        if entry["id"] == POLICE.id:
            entry["key"] = hpke.x25519_public_of(ATTACKER_KEY)
    cases.append(
        _case(
            "recipient_key_substituted",
            "Clé d'un destinataire remplacée dans l'en-tête sans nouvelle signature.",
            s,
            b,
            "operator",
            {"error": "bad_signature"},
            wire={**s.wire, "body": chain.canonical_json(header).decode("utf-8")},
        )
    )

    b = _binding("recipient_removed")
    s = sealed_by(MERCHANT, "recipient_removed")
    header = json.loads(s.wire["body"])
    header["recipients"] = [e for e in header["recipients"] if e["id"] != MERCHANT.id]
    cases.append(
        _case(
            "recipient_removed",
            "Un destinataire retiré sans nouvelle signature.",
            s,
            b,
            "operator",
            {"error": "bad_signature"},
            wire={**s.wire, "body": chain.canonical_json(header).decode("utf-8")},
        )
    )

    s = sealed_by(MERCHANT, "wrong_context")
    moved = Binding(COMMUNE, _id("incident another"), _id("message wrong_context"))
    cases.append(
        _case(
            "wrong_context",
            "Enveloppe classée sous un autre signalement.",
            s,
            moved,
            "operator",
            {"error": "wrong_context"},
        )
    )

    b = _binding("wrong_sender")
    s = craft(
        b, OTHER_MERCHANT, _content(TEXT, {}, []), [], RECIPIENTS, SENT, header_sender=MERCHANT
    )
    cases.append(
        _case(
            "wrong_sender",
            "Signé par un autre appareil certifié que celui nommé dans l'en-tête.",
            s,
            b,
            "operator",
            {"error": "wrong_sender"},
        )
    )

    b = _binding("rogue_chain")
    s = craft(b, ROGUE, _content(TEXT, {}, []), [], RECIPIENTS, SENT)
    cases.append(
        _case(
            "rogue_chain",
            "Chaîne de l'expéditeur signée par une fausse racine.",
            s,
            b,
            "operator",
            {"error": "broken_chain"},
        )
    )

    b = _binding("not_a_recipient")
    cases.append(
        _case(
            "not_a_recipient",
            "L'appareil qui ouvre n'est pas destinataire.",
            sealed_by(MERCHANT, "not_a_recipient"),
            b,
            "outsider",
            {"error": "not_a_recipient"},
        )
    )

    def swap(header: dict[str, Any]) -> None:
        first, second = (e for e in header["recipients"] if e["kind"] == "device")
        for field in ("enc", "wrapped"):
            first[field], second[field] = second[field], first[field]

    b = _binding("wrapped_keys_swapped")
    s = sealed_by(MERCHANT, "wrapped_keys_swapped")
    cases.append(
        _case(
            "wrapped_keys_swapped",
            "Clés enveloppées échangées entre deux destinataires, re-signé par l'expéditeur.",
            s,
            b,
            "operator",
            {"error": "undecryptable"},
            wire=_resign(s.wire, MERCHANT, swap),
        )
    )

    b = _binding("part_aad_mismatch")
    s = craft(
        b,
        MERCHANT,
        _content(TEXT, {}, []),
        [],
        RECIPIENTS,
        SENT,
        part_binding=Binding(COMMUNE, _id("incident another"), b.message),
    )
    cases.append(
        _case(
            "part_aad_mismatch",
            "Contenu scellé pour un autre signalement, en-tête (signé) pour celui-ci.",
            s,
            b,
            "operator",
            {"error": "undecryptable"},
        )
    )

    def version_2(header: dict[str, Any]) -> None:
        header["v"] = 2

    b = _binding("version_2")
    s = sealed_by(MERCHANT, "version_2")
    cases.append(
        _case(
            "version_2",
            "Version 2, re-signée.",
            s,
            b,
            "operator",
            {"error": "unsupported_version"},
            wire=_resign(s.wire, MERCHANT, version_2),
        )
    )

    b = _binding("not_canonical")
    s = sealed_by(MERCHANT, "not_canonical")
    cases.append(
        _case(
            "not_canonical",
            "En-tête indenté (JSON non canonique), re-signé.",
            s,
            b,
            "operator",
            {"error": "not_canonical"},
            wire=_resign(s.wire, MERCHANT, lambda h: None, canonical=False),
        )
    )

    def too_large(header: dict[str, Any]) -> None:
        header["attachments"][0]["size"] = envelope.MAX_ATTACHMENT_BYTES + 1

    b = _binding("too_large")
    s = sealed_by(MERCHANT, "too_large", attachments=photos[:1])
    cases.append(
        _case(
            "too_large",
            "En-tête annonçant une pièce jointe de plus de 3 Mio, re-signé.",
            s,
            b,
            "operator",
            {"error": "too_large"},
            wire=_resign(s.wire, MERCHANT, too_large),
        )
    )

    b = _binding("content_extra_field")
    extra = {**_content(TEXT, {}, []), "gps": "48.85,2.35"}
    s = craft(b, MERCHANT, extra, [], RECIPIENTS, SENT)
    cases.append(
        _case(
            "content_extra_field",
            "Objet de contenu avec un champ inconnu (après déchiffrement).",
            s,
            b,
            "operator",
            {"error": "malformed"},
        )
    )

    b = _binding("wire_extra_field")
    s = sealed_by(MERCHANT, "wire_extra_field")
    cases.append(
        _case(
            "wire_extra_field",
            "Champ inattendu à côté de l'en-tête.",
            s,
            b,
            "operator",
            {"error": "malformed"},
            wire={**copy.deepcopy(s.wire), "note": "x"},
        )
    )
    return cases


def build() -> dict[str, Any]:
    return {
        "version": 1,
        "generated_by": "python",
        "description": (
            "Envelopes sealed by maillage.wire.sealing (docs/envelope.md). Open each case "
            "with the list in `revocations` (verified at `now`, last seen 0) and the opener "
            "named; expect `result` or the error code."
        ),
        "messages": dict(envelope.ENVELOPE_MESSAGES),
        "commune": COMMUNE,
        "root": {"public_key": ROOT_PUBLIC, "fingerprint": ROOT_FINGERPRINT},
        "revocations": {**REVOCATIONS.to_wire(), "chain": []},
        "now": NOW,
        "fixtures": {
            "senders": {
                name: {
                    "sign_private": _raw_private(d.sign),
                    "device": d.id,
                    "serial": d.serial,
                    "role": d.role,
                    "chain": [doc.to_wire() for doc in d.chain],
                }
                for name, d in SENDERS.items()
            },
            "openers": {
                name: {
                    "kind": kind,
                    "id": ident,
                    "private_key": _raw_private(key),
                    "public_key": hpke.x25519_public_of(key),
                }
                for name, (kind, ident, key) in OPENERS.items()
            },
            "recipients": [{"kind": r.kind, "id": r.id, "key": r.key} for r in RECIPIENTS],
            "sent_at": SENT,
            "revoked_at": REVOKED_AT,
        },
        "cases": build_cases(),
    }


def check(document: dict[str, Any]) -> None:
    """Open every case before writing, so a generator bug never reaches the file."""
    for case in document["cases"]:
        kind, ident, key = OPENERS[case["opener"]]
        expected = Binding(**case["expected"])
        attachments = [chain.b64url_decode(a) for a in case["attachments"]]
        try:
            opened = opening.open_envelope(
                case["wire"], attachments, expected, Opener(kind, ident, key), TRUST
            )
        except envelope.EnvelopeError as exc:
            assert case["result"] == {"error": exc.code}, (case["name"], exc.code)
            continue
        assert _result(opened.text, opened.fields, opened.attachments) == case["result"], case[
            "name"
        ]


def main() -> None:
    document = build()
    check(document)
    OUTPUT.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {len(document['cases'])} cases")


if __name__ == "__main__":
    main()

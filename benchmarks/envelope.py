"""Seal and open cost of one envelope, as a sender's device and an operator's pay it.

Run: `make bench` (all benchmarks) or `.venv/bin/python -m benchmarks.envelope`.
Cases: a text-only report to 12 devices (a commune's operators + the shop's staff), the
same with one 1600 px photo, and a neighbour alert to a whole sector (150 devices).
Reports median, p95 and p99 in milliseconds over repeated runs, after warm-up; no
assertion here, the numbers go in the issue notes and docs/benchmarks.md.
"""

from __future__ import annotations

import io
import statistics
import time
import uuid
from collections.abc import Callable
from functools import partial

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from PIL import Image

from maillage.client.photos import reencode_photo
from maillage.wire import chain, envelope, hpke, opening, sealing

NOW = 1_780_000_000


def _fixture(
    recipient_count: int,
) -> tuple[envelope.Sender, list[envelope.Recipient], envelope.Opener, envelope.TrustContext]:
    root = Ed25519PrivateKey.generate()
    commune = str(uuid.uuid4())
    sign = Ed25519PrivateKey.generate()
    enc = X25519PrivateKey.generate()
    device = str(uuid.uuid4())
    certificate = chain.issue_certificate(
        root,
        commune=commune,
        device=device,
        member=str(uuid.uuid4()),
        role="commercant",
        shop=str(uuid.uuid4()),
        enc_key=hpke.x25519_public_of(enc),
        sign_key=chain.public_key_b64(sign),
        may_certify=False,
        issued_at=NOW - 3600,
        expires_at=NOW + 86400 * 365,
    )
    body = chain.parse_certificate(certificate)
    sender = envelope.Sender(sign_key=sign, device=device, serial=body.serial, chain=[certificate])
    keys = [X25519PrivateKey.generate() for _ in range(recipient_count)]
    recipients = [
        envelope.Recipient(kind="device", id=str(uuid.uuid4()), key=hpke.x25519_public_of(key))
        for key in keys
    ]
    opener = envelope.Opener(kind="device", id=recipients[0].id, private_key=keys[0])
    revocations = chain.issue_revocation_list(
        root, commune=commune, number=1, issued_at=NOW - 60, entries=[]
    )
    verified = chain.verify_revocation_list(
        revocations,
        [],
        chain.public_key_b64(root),
        chain.fingerprint(chain.b64url_decode(chain.public_key_b64(root))),
        commune,
        0,
        NOW,
    )
    trust = envelope.TrustContext(
        root_public_key=chain.public_key_b64(root),
        pinned_fingerprint=chain.fingerprint(chain.b64url_decode(chain.public_key_b64(root))),
        commune=commune,
        revocations=verified,
    )
    return sender, sorted(recipients, key=lambda r: (r.kind, r.id)), opener, trust


def _photo() -> envelope.Attachment:
    image = Image.effect_noise((2400, 1800), 40).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return reencode_photo(out.getvalue())


def _measure(run: Callable[[], object], repeat: int) -> dict[str, float]:
    for _ in range(3):
        run()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "median": statistics.median(samples),
        "p95": samples[int(0.95 * (len(samples) - 1))],
        "p99": samples[int(0.99 * (len(samples) - 1))],
        "n": len(samples),
    }


def main() -> None:
    photo = _photo()
    cases = [
        ("rapport texte, 12 destinataires", 12, []),
        ("rapport + photo 1600 px, 12 destinataires", 12, [photo]),
        ("alerte voisins, 150 destinataires", 150, []),
    ]
    print(f"photo ré-encodée : {len(photo.data)} octets, {photo.width}×{photo.height}")
    print(f"{'cas':45} {'op':6} {'médiane':>9} {'p95':>9} {'p99':>9}  (ms)")
    for name, count, attachments in cases:
        sender, recipients, opener, trust = _fixture(count)

        def seal(
            sender: envelope.Sender = sender,
            recipients: list[envelope.Recipient] = recipients,
            attachments: list[envelope.Attachment] = attachments,
            trust: envelope.TrustContext = trust,
        ) -> envelope.Sealed:
            binding = envelope.Binding(trust.commune, str(uuid.uuid4()), str(uuid.uuid4()))
            return sealing.seal(
                binding,
                sender,
                text="Vol à l'étalage, deux individus, fuite vers la gare.",
                fields={},
                attachments=attachments,
                recipients=recipients,
                sent_at=NOW,
            )

        sealed = seal()
        header, _ = envelope.parse_wire(sealed.wire)
        expected = envelope.Binding(header.commune, header.incident, header.message)
        repeat = 30 if count > 100 or attachments else 100
        results = {
            "seal": _measure(seal, repeat),
            "open": _measure(
                partial(
                    opening.open_envelope,
                    sealed.wire,
                    sealed.attachments,
                    expected,
                    opener,
                    trust,
                ),
                repeat,
            ),
        }
        for op, stats in results.items():
            print(
                f"{name:45} {op:6} {stats['median']:9.2f} {stats['p95']:9.2f} "
                f"{stats['p99']:9.2f}  n={stats['n']}"
            )


if __name__ == "__main__":
    main()

/**
 * Opening an envelope, format v1 (docs/envelope.md, "Opening"). Twin of
 * src/maillage/wire/opening.py: the checks run in the documented order and both report
 * the same code for the same input.
 */

import { b64urlDecode } from "../trust/b64";
import {
  revocationsAsOf,
  signatureValid,
  verifyChain,
  type CertificateBody,
} from "../trust/chain";
import {
  EnvelopeError,
  HPKE_INFO,
  KEY_BYTES,
  checkParts,
  contentKey,
  envelopeErrors,
  keyAad,
  malformed,
  parseContent,
  parseWireFull,
  partAad,
  partNonce,
  type Binding,
  type Opened,
  type Opener,
  type ParsedWire,
  type TrustContext,
} from "./envelope";
import { HpkeFailure, hpkeOpen } from "./hpke";

async function openPart(
  key: CryptoKey,
  binding: Binding,
  index: number,
  sealed: Uint8Array,
): Promise<Uint8Array> {
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: partNonce(index), additionalData: partAad(binding, index) },
      key,
      new Uint8Array(sealed),
    );
    return new Uint8Array(plain);
  } catch {
    throw new EnvelopeError("undecryptable");
  }
}

async function verifyHeaderSignature(parsed: ParsedWire<unknown>, signKey: string): Promise<void> {
  const signature = new Uint8Array(parsed.signature);
  if (!(await signatureValid(b64urlDecode(signKey), parsed.doc.body, signature))) {
    throw new EnvelopeError("bad_signature");
  }
}

/**
 * Steps 4–5: the sender chain as of `sentAt`, the leaf is the announced sender (and, for
 * broadcasts, of a role allowed to send), then the header signature.
 */
export async function verifySender(
  parsed: ParsedWire<unknown>,
  sender: { senderDevice: string; senderSerial: string; sentAt: number },
  trust: TrustContext,
  roles?: readonly string[],
): Promise<CertificateBody> {
  const leaf = await verifyChain(
    parsed.senderChain,
    trust.rootPublicKey,
    trust.pinnedFingerprint,
    trust.commune,
    revocationsAsOf(trust.revocations, sender.sentAt),
    sender.sentAt,
  );
  if (leaf.device !== sender.senderDevice || leaf.serial !== sender.senderSerial) {
    throw new EnvelopeError("wrong_sender");
  }
  if (roles !== undefined && !roles.includes(leaf.role)) {
    throw new EnvelopeError("not_allowed_sender");
  }
  await verifyHeaderSignature(parsed, leaf.sign_key);
  return leaf;
}

/**
 * Steps 1–6, whatever key opens the message next: shape, binding, sender chain and
 * signature, every part's size and hash.
 */
export async function verifyThroughParts(
  wire: unknown,
  attachments: readonly Uint8Array[],
  expected: Binding,
  trust: TrustContext,
): Promise<{ parsed: ParsedWire; sender: CertificateBody }> {
  const parsed = parseWireFull(wire);
  const { header } = parsed;
  if (
    header.commune !== expected.commune ||
    header.incident !== expected.incident ||
    header.message !== expected.message
  ) {
    throw new EnvelopeError("wrong_context");
  }
  const sender = await verifySender(parsed, header, trust);
  await checkParts(header, parsed.content, attachments);
  return { parsed, sender };
}

/**
 * Steps 8–9 with the raw content key, however it was obtained (own entry, service key,
 * content-key grant): a key that is not this message's fails as `undecryptable`.
 */
export async function openParts(
  rawKey: Uint8Array,
  parsed: ParsedWire,
  attachments: readonly Uint8Array[],
  sender: CertificateBody,
): Promise<Opened> {
  const { header } = parsed;
  if (rawKey.length !== KEY_BYTES) throw new EnvelopeError("undecryptable");
  const key = await contentKey(rawKey, "decrypt");
  const plain = await openPart(key, header, 0, parsed.content);
  const files: Uint8Array[] = [];
  for (let i = 0; i < attachments.length; i++) {
    files.push(await openPart(key, header, i + 1, attachments[i]));
  }

  const content = parseContent(plain);
  if (content.attachments.length !== files.length) {
    throw malformed("Pièces jointes annoncées et reçues différentes.");
  }
  return {
    header,
    text: content.text,
    fields: content.fields,
    attachments: content.attachments.map((meta, i) => ({ ...meta, data: files[i] })),
    sender,
    contentKey: rawKey,
  };
}

/** Open an envelope: the checks of spec "Opening", in its order. */
export async function openEnvelope(
  wire: unknown,
  attachments: readonly Uint8Array[],
  expected: Binding,
  opener: Opener,
  trust: TrustContext,
): Promise<Opened> {
  return envelopeErrors(async () => {
    const { parsed, sender } = await verifyThroughParts(wire, attachments, expected, trust);
    const entry = parsed.header.recipients.find(
      (r) => r.kind === opener.kind && r.id === opener.id,
    );
    if (entry === undefined || entry.key !== opener.publicKey) {
      throw new EnvelopeError("not_a_recipient");
    }
    let rawKey: Uint8Array;
    try {
      rawKey = await hpkeOpen(
        opener.privateKey,
        b64urlDecode(opener.publicKey),
        b64urlDecode(entry.enc),
        b64urlDecode(entry.wrapped),
        HPKE_INFO,
        keyAad(parsed.header, entry.kind, entry.id),
      );
    } catch (error) {
      if (error instanceof HpkeFailure) throw new EnvelopeError("undecryptable");
      throw error;
    }
    return openParts(rawKey, parsed, attachments, sender);
  });
}

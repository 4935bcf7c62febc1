/**
 * Sealing an envelope, format v1 (docs/envelope.md, "Sealing"). Twin of
 * src/maillage/wire/sealing.py. Inputs and output go through the checks an opener
 * applies (envelope.ts), so a device never sends what its recipients would refuse.
 */

import { b64urlEncode, decodeFixed } from "../trust/b64";
import { canonicalBytes } from "../trust/canonical";
import { signDocument } from "../trust/chain";
import { isCount } from "../trust/ids";
import {
  EnvelopeError,
  HPKE_INFO,
  KEY_BYTES,
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENTS,
  MAX_CONTENT_BYTES,
  checkBinding,
  checkRecipients,
  contentFromJson,
  contentKey,
  contentObject,
  envelopeErrors,
  headerToJson,
  keyAad,
  malformed,
  parseWireFull,
  partAad,
  partNonce,
  sha256B64,
  type Binding,
  type ContentInput,
  type Header,
  type HeaderRecipient,
  type Recipient,
  type Sealed,
  type Sender,
  type WireEnvelope,
} from "./envelope";
import { hpkeSeal } from "./hpke";

async function sealPartWith(
  key: CryptoKey,
  binding: Binding,
  index: number,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv: partNonce(index), additionalData: partAad(binding, index) },
    key,
    new Uint8Array(plaintext),
  );
  return new Uint8Array(sealed);
}

/** AES-256-GCM of part `index` (0 = content), nonce = index, bound to the binding. */
export async function sealPart(
  rawKey: Uint8Array,
  binding: Binding,
  index: number,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  return sealPartWith(await contentKey(rawKey, "encrypt"), binding, index, plaintext);
}

/** HPKE-seal the content key to one recipient: `enc` and `wrapped` as base64url. */
export async function wrapKey(
  rawKey: Uint8Array,
  binding: Binding,
  recipient: Recipient,
): Promise<{ enc: string; wrapped: string }> {
  let publicRaw: Uint8Array;
  try {
    publicRaw = decodeFixed(recipient.key, KEY_BYTES);
  } catch {
    throw malformed("Clé de destinataire inutilisable.");
  }
  try {
    const { enc, ct } = await hpkeSeal(
      publicRaw,
      rawKey,
      HPKE_INFO,
      keyAad(binding, recipient.kind, recipient.id),
    );
    return { enc: b64urlEncode(enc), wrapped: b64urlEncode(ct) };
  } catch {
    throw malformed("Clé de destinataire inutilisable.");
  }
}

/**
 * Seal a message for verified recipients (spec "Sealing"). The finished header goes
 * through the openers' shape checks before it is signed, so nothing unopenable is sent.
 */
export async function seal(
  binding: Binding,
  sender: Sender,
  input: ContentInput,
  recipients: readonly Recipient[],
  sentAt: number,
): Promise<Sealed> {
  return envelopeErrors(async () => {
    checkBinding(binding);
    if (!isCount(sentAt)) throw malformed("Champ « sent_at » invalide.");
    if (input.attachments.length > MAX_ATTACHMENTS) throw malformed("Au plus 4 pièces jointes.");
    const contentJson = contentObject(input);
    contentFromJson(contentJson);
    const sorted = checkRecipients(recipients);

    const rawKey = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
    try {
      const key = await contentKey(rawKey, "encrypt");
      const content = await sealPartWith(key, binding, 0, canonicalBytes(contentJson));
      const attachments: Uint8Array[] = [];
      for (let i = 0; i < input.attachments.length; i++) {
        attachments.push(await sealPartWith(key, binding, i + 1, input.attachments[i].data));
      }
      if (
        content.length > MAX_CONTENT_BYTES ||
        attachments.some((a) => a.length > MAX_ATTACHMENT_BYTES)
      ) {
        throw new EnvelopeError("too_large");
      }
      const entries: HeaderRecipient[] = [];
      for (const r of sorted) {
        const wrapped = await wrapKey(rawKey, binding, r);
        entries.push({ kind: r.kind, id: r.id, key: r.key, ...wrapped });
      }
      const header: Header = {
        commune: binding.commune,
        incident: binding.incident,
        message: binding.message,
        senderDevice: sender.device,
        senderSerial: sender.serial,
        sentAt,
        recipients: entries,
        content: { size: content.length, sha256: await sha256B64(content) },
        attachments: await Promise.all(
          attachments.map(async (a) => ({ size: a.length, sha256: await sha256B64(a) })),
        ),
      };
      const doc = await signDocument(headerToJson(header), sender.signPrivate);
      const wire: WireEnvelope = {
        body: doc.body,
        signature: doc.signature,
        sender_chain: sender.chain.map((c) => ({ body: c.body, signature: c.signature })),
        content: b64urlEncode(content),
      };
      parseWireFull(wire);
      return { wire, attachments };
    } finally {
      rawKey.fill(0);
    }
  });
}


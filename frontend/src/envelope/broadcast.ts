/**
 * Broadcasts, format v1 (docs/envelope.md, "Broadcasts and group keys"). A message to
 * every member device of a scope (the commune, later a sector) is sealed ONCE to the
 * scope's current group-key generation: one HPKE wrap, so the bytes each device receives
 * do not grow with the audience. Reuses the envelope's wire object, content object, part
 * checks and sender checks; only the header and the associated data differ, so a
 * broadcast part can never be filed as an incident message's. Twin of
 * src/maillage/wire/broadcast.py.
 */

import { b64urlDecode, b64urlEncode, decodeFixed } from "../trust/b64";
import { canonicalBytes } from "../trust/canonical";
import { signDocument, type CertificateBody } from "../trust/chain";
import {
  isCount,
  isIdentifier,
  isInt,
  isRecord,
  requireBytes,
  requireCount,
  requireIdentifier,
  requireKeys,
} from "../trust/ids";
import {
  EnvelopeError,
  KEY_BYTES,
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENTS,
  MAX_CONTENT_BYTES,
  VERSION,
  WRAPPED_BYTES,
  checkParts,
  contentFromJson,
  contentKey,
  contentObject,
  envelopeErrors,
  malformed,
  parseContent,
  parseSignedWire,
  partDigest,
  partNonce,
  sha256B64,
  type Attachment,
  type ContentInput,
  type ParsedWire,
  type PartDigest,
  type Sealed,
  type Sender,
  type TrustContext,
  type WireEnvelope,
} from "./envelope";
import { COMMUNE_SCOPE, isScope, type GroupKeyDocument } from "./groupKey";
import { HpkeFailure, hpkeOpen, hpkeSeal } from "./hpke";
import { verifySender } from "./opening";

export const BROADCAST_TYPE = "maillage.broadcast";
const PART_AAD_TYPE = "maillage.broadcast.part";
const KEY_AAD_TYPE = "maillage.broadcast.key";
const BROADCAST_INFO = new TextEncoder().encode("maillage.broadcast.v1");

const HEADER_KEYS = [
  "type",
  "v",
  "commune",
  "scope",
  "broadcast",
  "sender",
  "sent_at",
  "group",
  "content",
  "attachments",
];
const GROUP_KEYS = ["number", "key", "enc", "wrapped"];

/**
 * Who may broadcast: operators to the commune; operators and merchants to a sector (the
 * next issue's neighbour alerts).
 */
export function senderRoles(scope: string): readonly string[] {
  return scope === COMMUNE_SCOPE ? ["operateur"] : ["operateur", "commercant"];
}

/** Where a broadcast belongs; its wrapped key and every part are bound to it. */
export interface BroadcastBinding {
  commune: string;
  scope: string;
  broadcast: string;
}

/** A header that passed the shape checks; nothing in it is authenticated yet. */
export interface BroadcastHeader extends BroadcastBinding {
  senderDevice: string;
  senderSerial: string;
  sentAt: number;
  number: number;
  key: string;
  enc: string;
  wrapped: string;
  content: PartDigest;
  attachments: PartDigest[];
}

/**
 * A generation this device holds, and when the next one was issued (null if this is the
 * newest it knows): a broadcast sent at or after that time is refused.
 */
export interface GroupOpener {
  scope: string;
  number: number;
  privateKey: CryptoKey;
  publicKey: string;
  supersededAt: number | null;
}

export interface OpenedBroadcast {
  header: BroadcastHeader;
  text: string | null;
  fields: Record<string, unknown>;
  attachments: Attachment[];
  sender: CertificateBody;
}

function partAad(binding: BroadcastBinding, index: number): Uint8Array<ArrayBuffer> {
  return canonicalBytes({
    type: PART_AAD_TYPE,
    v: VERSION,
    commune: binding.commune,
    scope: binding.scope,
    broadcast: binding.broadcast,
    part: index,
  });
}

function keyAad(binding: BroadcastBinding, number: number): Uint8Array {
  return canonicalBytes({
    type: KEY_AAD_TYPE,
    v: VERSION,
    commune: binding.commune,
    scope: binding.scope,
    broadcast: binding.broadcast,
    number,
  });
}

/** As an envelope header: `type`, then `v` (`unsupported_version`), then the fields. */
function headerFromJson(obj: Record<string, unknown>): BroadcastHeader {
  if (obj.type !== BROADCAST_TYPE) throw malformed("Ce document n'est pas une diffusion scellée.");
  if (!isInt(obj.v)) throw malformed();
  if (obj.v !== VERSION) throw new EnvelopeError("unsupported_version");
  requireKeys(obj, HEADER_KEYS);
  const { sender, group } = obj;
  if (!isRecord(sender)) throw malformed();
  requireKeys(sender, ["device", "serial"]);
  if (!isRecord(group)) throw malformed();
  requireKeys(group, GROUP_KEYS);
  if (!isScope(obj.scope)) throw malformed("Périmètre de diffusion inconnu.");
  const number = requireCount(group, "number");
  if (number < 1) throw malformed("Les générations commencent à 1.");
  if (!isRecord(obj.content)) throw malformed();
  if (!Array.isArray(obj.attachments) || obj.attachments.length > MAX_ATTACHMENTS) {
    throw malformed("Au plus 4 pièces jointes.");
  }
  const attachments = obj.attachments.map(partDigest);
  const header: BroadcastHeader = {
    commune: requireIdentifier(obj, "commune"),
    scope: obj.scope,
    broadcast: requireIdentifier(obj, "broadcast"),
    senderDevice: requireIdentifier(sender, "device"),
    senderSerial: requireIdentifier(sender, "serial"),
    sentAt: requireCount(obj, "sent_at"),
    number,
    key: requireBytes(group, "key", KEY_BYTES),
    enc: requireBytes(group, "enc", KEY_BYTES),
    wrapped: requireBytes(group, "wrapped", WRAPPED_BYTES),
    content: partDigest(obj.content),
    attachments,
  };
  if (header.content.size > MAX_CONTENT_BYTES) throw new EnvelopeError("too_large");
  if (header.attachments.some((a) => a.size > MAX_ATTACHMENT_BYTES)) {
    throw new EnvelopeError("too_large");
  }
  return header;
}

/** Shape checks without any key: the server's gate, and steps 1–2 of opening. */
export function parseBroadcast(wire: unknown): ParsedWire<BroadcastHeader> {
  return parseSignedWire(wire, headerFromJson);
}

async function encryptPart(
  key: CryptoKey,
  binding: BroadcastBinding,
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

async function decryptPart(
  key: CryptoKey,
  binding: BroadcastBinding,
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

/**
 * Seal a broadcast to one generation of the scope's group key, verified beforehand with
 * `verifyGroupKey` against the newest this device knows (a sender never seals to an older
 * one). The result's size does not depend on how many devices hold the key.
 */
export async function sealBroadcast(
  binding: BroadcastBinding,
  sender: Sender,
  groupKey: GroupKeyDocument,
  input: ContentInput,
  sentAt: number,
): Promise<Sealed> {
  return envelopeErrors(async () => {
    for (const name of ["commune", "broadcast"] as const) {
      if (!isIdentifier(binding[name])) throw malformed(`Champ « ${name} » invalide.`);
    }
    if (!isScope(binding.scope)) throw malformed("Champ « scope » invalide.");
    if (groupKey.scope !== binding.scope || groupKey.commune !== binding.commune) {
      throw new EnvelopeError("wrong_scope");
    }
    if (!isCount(sentAt)) throw malformed("Champ « sent_at » invalide.");
    if (input.attachments.length > MAX_ATTACHMENTS) throw malformed("Au plus 4 pièces jointes.");
    const contentJson = contentObject(input);
    contentFromJson(contentJson);

    const rawKey = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
    try {
      const key = await contentKey(rawKey, "encrypt");
      const content = await encryptPart(key, binding, 0, canonicalBytes(contentJson));
      const attachments: Uint8Array[] = [];
      for (let i = 0; i < input.attachments.length; i++) {
        attachments.push(await encryptPart(key, binding, i + 1, input.attachments[i].data));
      }
      if (
        content.length > MAX_CONTENT_BYTES ||
        attachments.some((a) => a.length > MAX_ATTACHMENT_BYTES)
      ) {
        throw new EnvelopeError("too_large");
      }
      let wrap: { enc: Uint8Array; ct: Uint8Array };
      try {
        wrap = await hpkeSeal(
          decodeFixed(groupKey.key, KEY_BYTES),
          rawKey,
          BROADCAST_INFO,
          keyAad(binding, groupKey.number),
        );
      } catch {
        throw malformed("Clé de diffusion inutilisable.");
      }
      const header = {
        type: BROADCAST_TYPE,
        v: VERSION,
        commune: binding.commune,
        scope: binding.scope,
        broadcast: binding.broadcast,
        sender: { device: sender.device, serial: sender.serial },
        sent_at: sentAt,
        group: {
          number: groupKey.number,
          key: groupKey.key,
          enc: b64urlEncode(wrap.enc),
          wrapped: b64urlEncode(wrap.ct),
        },
        content: { size: content.length, sha256: await sha256B64(content) },
        attachments: await Promise.all(
          attachments.map(async (a) => ({ size: a.length, sha256: await sha256B64(a) })),
        ),
      };
      const doc = await signDocument(header, sender.signPrivate);
      const wire: WireEnvelope = {
        body: doc.body,
        signature: doc.signature,
        sender_chain: sender.chain.map((c) => ({ body: c.body, signature: c.signature })),
        content: b64urlEncode(content),
      };
      parseBroadcast(wire);
      return { wire, attachments };
    } finally {
      rawKey.fill(0);
    }
  });
}

/**
 * Open a broadcast; the checks run in the order of docs/envelope.md ("Opening a
 * broadcast") and both implementations report the same code.
 */
export async function openBroadcast(
  wire: unknown,
  attachments: readonly Uint8Array[],
  expected: BroadcastBinding,
  opener: GroupOpener,
  trust: TrustContext,
): Promise<OpenedBroadcast> {
  return envelopeErrors(async () => {
    const parsed = parseBroadcast(wire);
    const { header } = parsed;
    if (
      header.commune !== expected.commune ||
      header.scope !== expected.scope ||
      header.broadcast !== expected.broadcast
    ) {
      throw new EnvelopeError("wrong_context");
    }
    const sender = await verifySender(parsed, header, trust, senderRoles(header.scope));
    await checkParts(header, parsed.content, attachments);
    if (
      header.scope !== opener.scope ||
      header.number !== opener.number ||
      header.key !== opener.publicKey
    ) {
      throw new EnvelopeError("not_a_recipient");
    }
    if (opener.supersededAt !== null && header.sentAt >= opener.supersededAt) {
      throw new EnvelopeError("stale_group_key");
    }
    let rawKey: Uint8Array;
    try {
      rawKey = await hpkeOpen(
        opener.privateKey,
        b64urlDecode(opener.publicKey),
        b64urlDecode(header.enc),
        b64urlDecode(header.wrapped),
        BROADCAST_INFO,
        keyAad(expected, header.number),
      );
    } catch (error) {
      if (error instanceof HpkeFailure) throw new EnvelopeError("undecryptable");
      throw error;
    }
    if (rawKey.length !== KEY_BYTES) throw new EnvelopeError("undecryptable");
    const key = await contentKey(rawKey, "decrypt");
    rawKey.fill(0);
    // Not opening.ts's openParts: its AAD binds a message, not a broadcast, and it keeps the raw key.
    const plain = await decryptPart(key, expected, 0, parsed.content);
    const files: Uint8Array[] = [];
    for (let i = 0; i < attachments.length; i++) {
      files.push(await decryptPart(key, expected, i + 1, attachments[i]));
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
    };
  });
}

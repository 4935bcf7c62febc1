/**
 * Sealed envelopes, format v1 (docs/envelope.md): the shape, its checks and the bindings,
 * what every party checks without a key. sealing.ts and opening.ts build on it.
 *
 * Twin of src/maillage/wire/envelope.py: same checks in the same order, same codes;
 * tests/vectors/envelope-v1.json (sealed by Python) and envelope-v1-ts.json (sealed here)
 * hold the two together. Any change here is a wire-format change.
 */

import { b64urlDecode, b64urlEncode } from "../trust/b64";
import { canonicalBytes, parseCanonical } from "../trust/canonical";
import {
  MAX_CHAIN_LENGTH,
  TRUST_MESSAGES,
  TrustError,
  type CertificateBody,
  type RevocationList,
  type SignedDocument,
  type TrustErrorCode,
} from "../trust/chain";
import {
  isIdentifier,
  isInt,
  isRecord,
  requireBytes,
  requireCount,
  requireIdentifier,
  requireKeys,
} from "../trust/ids";

export const ENVELOPE_TYPE = "maillage.envelope";
export const CONTENT_TYPE = "maillage.content";
export const PART_AAD_TYPE = "maillage.envelope.part";
export const KEY_AAD_TYPE = "maillage.envelope.key";
export const VERSION = 1;
export const MAX_RECIPIENTS = 500;
export const MAX_ATTACHMENTS = 4;
export const MAX_CONTENT_BYTES = 65536;
export const MAX_ATTACHMENT_BYTES = 3 * 1024 * 1024;
export const MAX_TEXT_CHARS = 4000;
export const HPKE_INFO = new TextEncoder().encode("maillage.envelope.v1");
export const KEY_BYTES = 32;
export const WRAPPED_BYTES = KEY_BYTES + 16;

export type EnvelopeOnlyCode =
  | "unsupported_version"
  | "wrong_context"
  | "wrong_sender"
  | "tampered"
  | "not_a_recipient"
  | "undecryptable"
  | "too_large"
  | "stale_service_key"
  | "wrong_service_key"
  | "not_allowed_recipient"
  | "no_police_recipient"
  | "stale_group_key"
  | "wrong_group_key"
  | "wrong_scope"
  | "not_allowed_sender"
  | "bad_grant";
export type EnvelopeErrorCode = TrustErrorCode | EnvelopeOnlyCode;

/** Every code an envelope operation can end with, and its French sentence. */
export const ENVELOPE_MESSAGES: Readonly<Record<EnvelopeErrorCode, string>> = {
  ...TRUST_MESSAGES,
  unsupported_version: "Version d'enveloppe inconnue : mettez l'application à jour.",
  wrong_context: "Cette enveloppe appartient à un autre signalement ou message.",
  wrong_sender: "L'expéditeur annoncé ne correspond pas au certificat joint.",
  tampered: "Le contenu chiffré a été modifié ou est incomplet.",
  not_a_recipient: "Ce message n'a pas été chiffré pour cet appareil.",
  undecryptable: "Impossible de déchiffrer ce message avec la clé de cet appareil.",
  too_large: "Contenu chiffré trop volumineux.",
  stale_service_key: "La clé de service reçue est plus ancienne que la dernière vérifiée.",
  wrong_service_key: "La clé de service transmise ne correspond pas à la clé publiée.",
  not_allowed_recipient: "Cet appareil n'a pas le rôle requis pour recevoir ce contenu.",
  no_police_recipient:
    "Aucun destinataire de la police n'a pu être vérifié : appelez le 17.",
  stale_group_key: "La clé de diffusion reçue est plus ancienne que la dernière vérifiée.",
  wrong_group_key: "La clé de diffusion ne suit pas les générations déjà vérifiées.",
  wrong_scope: "Cette clé ou ce message concerne une autre diffusion.",
  not_allowed_sender: "Cet appareil n'a pas le rôle requis pour envoyer ce message.",
  bad_grant: "Cette autorisation de lecture est mal formée ou sa signature est invalide.",
};

/** An envelope could not be sealed or opened: `code` is stable, `message` is French. */
export class EnvelopeError extends Error {
  readonly code: EnvelopeErrorCode;

  constructor(code: EnvelopeErrorCode, message?: string) {
    super(message ?? ENVELOPE_MESSAGES[code]);
    this.name = "EnvelopeError";
    this.code = code;
  }
}

/** Trust failures surface as envelope errors with the same code and message. */
export function asEnvelopeError(error: unknown): EnvelopeError {
  if (error instanceof EnvelopeError) return error;
  if (error instanceof TrustError) return new EnvelopeError(error.code, error.message);
  throw error;
}

/** Run `work`, turning trust failures into envelope errors. */
export async function envelopeErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asEnvelopeError(error);
  }
}

// --- types ----------------------------------------------------------------------------

/** Where the sender filed the message, and where the opener found it. */
export interface Binding {
  commune: string;
  incident: string;
  message: string;
}

export type RecipientKind = "device" | "service";

/** A verified recipient: a certified device's X25519 key or the police service key. */
export interface Recipient {
  kind: RecipientKind;
  id: string;
  key: string;
}

export interface Sender {
  signPrivate: CryptoKey;
  device: string;
  serial: string;
  chain: SignedDocument[];
}

/** The opening key: a device key (may be non-extractable) or a service key. */
export interface Opener {
  kind: RecipientKind;
  id: string;
  privateKey: CryptoKey;
  publicKey: string;
}

/** What the opener trusts: the pinned root and a revocation list it verified itself. */
export interface TrustContext {
  rootPublicKey: string;
  pinnedFingerprint: string;
  commune: string;
  revocations: RevocationList;
}

/** A photo after re-encoding (or once opened): bytes plus what the content says of them. */
export interface Attachment {
  data: Uint8Array;
  media: string;
  width: number;
  height: number;
}

export interface WireEnvelope {
  body: string;
  signature: string;
  sender_chain: SignedDocument[];
  content: string;
}

export interface HeaderRecipient extends Recipient {
  enc: string;
  wrapped: string;
}

export interface PartDigest {
  size: number;
  sha256: string;
}

/** The signed header, checked for shape only. */
export interface Header {
  commune: string;
  incident: string;
  message: string;
  senderDevice: string;
  senderSerial: string;
  sentAt: number;
  recipients: HeaderRecipient[];
  content: PartDigest;
  attachments: PartDigest[];
}

export interface ContentInput {
  text: string | null;
  fields: Record<string, unknown>;
  attachments: Attachment[];
}

export interface Sealed {
  wire: WireEnvelope;
  attachments: Uint8Array[];
}

export interface Opened {
  header: Header;
  text: string | null;
  fields: Record<string, unknown>;
  attachments: Attachment[];
  sender: CertificateBody;
  /**
   * The message's raw AES key K, for an operator device to grant to an agent's devices
   * (docs/envelope.md, "Dispatch: content-key grants"); never log or store it.
   */
  contentKey: Uint8Array;
}

/** What `parseWire` found: the header, the sealed content, and what step 4–5 need. */
export interface ParsedWire<H = Header> {
  header: H;
  content: Uint8Array;
  doc: SignedDocument;
  signature: Uint8Array;
  senderChain: SignedDocument[];
}

// --- shape checks -----------------------------------------------------------------------

const HEADER_KEYS = [
  "type",
  "v",
  "commune",
  "incident",
  "message",
  "sender",
  "sent_at",
  "recipients",
  "content",
  "attachments",
];
const WIRE_KEYS = ["body", "signature", "sender_chain", "content"];
const RECIPIENT_KEYS = ["kind", "id", "key", "enc", "wrapped"];
const PART_KEYS = ["size", "sha256"];
const CONTENT_KEYS = ["type", "v", "text", "attachments", "fields"];
const CONTENT_ATTACHMENT_KEYS = ["media", "width", "height"];
/**
 * Re-encoding always yields JPEG; PNG and WebP leave room for later clients. A closed
 * list because a reader turns `media` into a Blob type: `text/html` must never get there.
 */
export const MEDIA_TYPES: readonly string[] = ["image/jpeg", "image/png", "image/webp"];

export function malformed(detail?: string): EnvelopeError {
  return new EnvelopeError("malformed", detail);
}

export function partDigest(raw: unknown): PartDigest {
  if (!isRecord(raw)) throw malformed("Champs inattendus ou manquants.");
  requireKeys(raw, PART_KEYS);
  return { size: requireCount(raw, "size"), sha256: requireBytes(raw, "sha256", 32) };
}

/** The header's order of recipients: by kind, then id (code unit order, as Python's). */
export function compareRecipients(a: Recipient, b: Recipient): number {
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}

/**
 * Steps 1–2 on the parsed body, in the twin's order: `type` and `v` are read before the
 * other fields, so a later version (whose fields may differ) is `unsupported_version`.
 */
function headerFromJson(obj: Record<string, unknown>): Header {
  if (obj.type !== ENVELOPE_TYPE) throw malformed("Ce document n'est pas une enveloppe scellée.");
  if (!isInt(obj.v)) throw malformed();
  if (obj.v !== VERSION) throw new EnvelopeError("unsupported_version");
  requireKeys(obj, HEADER_KEYS);
  const sender = obj.sender;
  if (!isRecord(sender)) throw malformed();
  requireKeys(sender, ["device", "serial"]);
  if (
    !Array.isArray(obj.recipients) ||
    obj.recipients.length < 1 ||
    obj.recipients.length > MAX_RECIPIENTS
  ) {
    throw malformed("Entre 1 et 500 destinataires sont attendus.");
  }
  const recipients = obj.recipients.map((raw: unknown): HeaderRecipient => {
    if (!isRecord(raw)) throw malformed();
    requireKeys(raw, RECIPIENT_KEYS);
    if (raw.kind !== "device" && raw.kind !== "service") throw malformed();
    return {
      kind: raw.kind,
      id: requireIdentifier(raw, "id"),
      key: requireBytes(raw, "key", 32),
      enc: requireBytes(raw, "enc", 32),
      wrapped: requireBytes(raw, "wrapped", WRAPPED_BYTES),
    };
  });
  for (let i = 1; i < recipients.length; i++) {
    if (compareRecipients(recipients[i - 1], recipients[i]) >= 0) {
      throw malformed("Destinataires non triés ou en double.");
    }
  }
  if (!isRecord(obj.content)) throw malformed();
  requireKeys(obj.content, PART_KEYS);
  if (!Array.isArray(obj.attachments) || obj.attachments.length > MAX_ATTACHMENTS) {
    throw malformed("Au plus 4 pièces jointes.");
  }
  const attachments = obj.attachments.map(partDigest);
  const header: Header = {
    commune: requireIdentifier(obj, "commune"),
    incident: requireIdentifier(obj, "incident"),
    message: requireIdentifier(obj, "message"),
    senderDevice: requireIdentifier(sender, "device"),
    senderSerial: requireIdentifier(sender, "serial"),
    sentAt: requireCount(obj, "sent_at"),
    recipients,
    content: {
      size: requireCount(obj.content, "size"),
      sha256: requireBytes(obj.content, "sha256", 32),
    },
    attachments,
  };
  if (header.content.size > MAX_CONTENT_BYTES) throw new EnvelopeError("too_large");
  if (header.attachments.some((a) => a.size > MAX_ATTACHMENT_BYTES)) {
    throw new EnvelopeError("too_large");
  }
  return header;
}

/** The wire object of a header: what gets canonicalised and signed. */
export function headerToJson(header: Header): Record<string, unknown> {
  return {
    type: ENVELOPE_TYPE,
    v: VERSION,
    commune: header.commune,
    incident: header.incident,
    message: header.message,
    sender: { device: header.senderDevice, serial: header.senderSerial },
    sent_at: header.sentAt,
    recipients: header.recipients.map((r) => ({
      kind: r.kind,
      id: r.id,
      key: r.key,
      enc: r.enc,
      wrapped: r.wrapped,
    })),
    content: { size: header.content.size, sha256: header.content.sha256 },
    attachments: header.attachments.map((a) => ({ size: a.size, sha256: a.sha256 })),
  };
}

/** base64url text longer than this cannot decode to at most MAX_CONTENT_BYTES. */
const MAX_CONTENT_TEXT = Math.floor((MAX_CONTENT_BYTES * 4 + 2) / 3);

/**
 * Steps 1–2 in the twin's fixed order: wire keys, header (canonical, type, version,
 * fields, declared sizes), signature, sender chain, then the content text.
 */
export function parseWireFull(wire: unknown): ParsedWire {
  return parseSignedWire(wire, headerFromJson);
}

/**
 * The wire object around a signed header (envelopes and broadcasts alike): wire keys,
 * the header by `headerOf`, signature, sender chain, then the content text.
 */
export function parseSignedWire<H>(
  wire: unknown,
  headerOf: (obj: Record<string, unknown>) => H,
): ParsedWire<H> {
  try {
    if (!isRecord(wire)) throw malformed();
    requireKeys(wire, WIRE_KEYS);
    if (typeof wire.body !== "string") throw malformed();
    const header = headerOf(parseCanonical(wire.body));
    const signature = b64urlDecode(requireBytes(wire, "signature", 64));
    const rawChain = wire.sender_chain;
    if (!Array.isArray(rawChain) || rawChain.length < 1 || rawChain.length > MAX_CHAIN_LENGTH) {
      throw malformed("Chaîne de certificats vide ou trop longue.");
    }
    const senderChain = rawChain.map((item: unknown): SignedDocument => {
      if (!isRecord(item)) throw malformed();
      requireKeys(item, ["body", "signature"]);
      if (typeof item.body !== "string" || typeof item.signature !== "string") throw malformed();
      return { body: item.body, signature: item.signature };
    });
    if (typeof wire.content !== "string") throw malformed();
    if (wire.content.length > MAX_CONTENT_TEXT) throw new EnvelopeError("too_large");
    const content = b64urlDecode(wire.content);
    if (content.length > MAX_CONTENT_BYTES) throw new EnvelopeError("too_large");
    return {
      header,
      content,
      doc: { body: wire.body, signature: wire.signature as string },
      signature,
      senderChain,
    };
  } catch (error) {
    throw asEnvelopeError(error);
  }
}

/**
 * Shape checks without any key (steps 1–2 and size limits): the header (not yet
 * authenticated: only an opener checks the signature, against its pinned root) and the
 * sealed content bytes.
 */
export function parseWire(wire: unknown): [Header, Uint8Array] {
  const parsed = parseWireFull(wire);
  return [parsed.header, parsed.content];
}

// --- parts ------------------------------------------------------------------------------

export async function sha256B64(data: Uint8Array): Promise<string> {
  return b64urlEncode(new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(data))));
}

/**
 * Opening step 6: count first (`tampered`), then each part in order, content first:
 * over the limit (`too_large`), then size or SHA-256 unlike the header (`tampered`).
 */
export async function checkParts(
  header: Pick<Header, "content" | "attachments">,
  content: Uint8Array,
  attachments: readonly Uint8Array[],
): Promise<void> {
  if (attachments.length !== header.attachments.length) throw new EnvelopeError("tampered");
  const parts: [PartDigest, Uint8Array, number][] = [
    [header.content, content, MAX_CONTENT_BYTES],
    ...header.attachments.map((digest, i): [PartDigest, Uint8Array, number] => [
      digest,
      attachments[i],
      MAX_ATTACHMENT_BYTES,
    ]),
  ];
  for (const [digest, data, limit] of parts) {
    if (!(data instanceof Uint8Array)) throw new EnvelopeError("tampered");
    if (data.length > limit) throw new EnvelopeError("too_large");
    if (data.length !== digest.size || (await sha256B64(data)) !== digest.sha256) {
      throw new EnvelopeError("tampered");
    }
  }
}

/** Each part's nonce is its index: a content key seals at most 1 + 4 parts, once. */
export function partNonce(index: number): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setUint32(8, index);
  return nonce;
}

/** Associated data of part `index`: binds it to commune, incident and message. */
export function partAad(binding: Binding, index: number): Uint8Array<ArrayBuffer> {
  return canonicalBytes({
    type: PART_AAD_TYPE,
    v: VERSION,
    commune: binding.commune,
    incident: binding.incident,
    message: binding.message,
    part: index,
  });
}

/** The associated data of one wrapped key: binding plus who it is wrapped for. */
export function keyAad(binding: Binding, kind: RecipientKind, id: string): Uint8Array {
  return canonicalBytes({
    type: KEY_AAD_TYPE,
    v: VERSION,
    commune: binding.commune,
    incident: binding.incident,
    message: binding.message,
    kind,
    id,
  });
}

/** The AES-256-GCM content key as a WebCrypto key, for one use. */
export async function contentKey(raw: Uint8Array, usage: KeyUsage): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", new Uint8Array(raw), { name: "AES-GCM" }, false, [usage]);
}

// --- content object ---------------------------------------------------------------------

/** Code points, as Python's len() counts them. */
function textLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

export interface ContentObject {
  text: string | null;
  fields: Record<string, unknown>;
  attachments: { media: string; width: number; height: number }[];
}

export function contentFromJson(obj: Record<string, unknown>): ContentObject {
  requireKeys(obj, CONTENT_KEYS);
  if (obj.type !== CONTENT_TYPE || obj.v !== VERSION) throw malformed();
  const text = obj.text;
  if (text !== null && (typeof text !== "string" || textLength(text) > MAX_TEXT_CHARS)) {
    throw malformed("Texte invalide ou trop long.");
  }
  if (!isRecord(obj.fields)) throw malformed("Champ « fields » invalide.");
  if (!Array.isArray(obj.attachments)) throw malformed();
  const attachments = obj.attachments.map((raw: unknown) => {
    if (!isRecord(raw)) throw malformed();
    requireKeys(raw, CONTENT_ATTACHMENT_KEYS);
    if (typeof raw.media !== "string" || !MEDIA_TYPES.includes(raw.media)) {
      throw malformed("Type de pièce jointe inconnu.");
    }
    return {
      media: raw.media,
      width: requireCount(raw, "width"),
      height: requireCount(raw, "height"),
    };
  });
  return { text, fields: obj.fields, attachments };
}

/** The content part's plaintext object (before canonical JSON). */
export function contentObject(input: ContentInput): Record<string, unknown> {
  return {
    type: CONTENT_TYPE,
    v: VERSION,
    text: input.text,
    attachments: input.attachments.map((a) => ({
      media: a.media,
      width: a.width,
      height: a.height,
    })),
    fields: input.fields,
  };
}

/** Step 9: the decrypted content object has exactly the v1 shape. */
export function parseContent(plain: Uint8Array): ContentObject {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(plain);
  } catch {
    throw malformed("Contenu illisible.");
  }
  try {
    return contentFromJson(parseCanonical(text));
  } catch (error) {
    if (error instanceof EnvelopeError) throw error;
    throw malformed("Contenu illisible.");
  }
}

// --- inputs ------------------------------------------------------------------------------

export function checkBinding(binding: Binding): void {
  for (const name of ["commune", "incident", "message"] as const) {
    if (!isIdentifier(binding[name])) throw malformed(`Champ « ${name} » invalide.`);
  }
}

/** Sorted by (kind, id) as the header requires; 1 to 500 of them, none twice. */
export function checkRecipients(recipients: readonly Recipient[]): Recipient[] {
  if (recipients.length < 1 || recipients.length > MAX_RECIPIENTS) {
    throw malformed("Liste de destinataires vide ou trop longue.");
  }
  const sorted = [...recipients].sort(compareRecipients);
  for (let i = 1; i < sorted.length; i++) {
    if (compareRecipients(sorted[i - 1], sorted[i]) === 0) {
      throw malformed("Destinataire en double.");
    }
  }
  return sorted;
}

/**
 * Device certificates and revocation lists with WebCrypto (docs/trust.md).
 *
 * Twin of src/maillage/wire/chain.py: same checks in the same order, so both report
 * the same code for the same input; tests/vectors/trust-v1.json holds them together.
 * Any change here is a wire-format change: update the Python twin, the vectors and the
 * doc with it.
 */

import { b64urlDecode, b64urlEncode, decodeFixed } from "./b64";
import { canonicalJson, parseCanonical } from "./canonical";
import { TrustError } from "./errors";
import {
  isCount,
  isRecord,
  requireBytes,
  requireCount,
  requireHeader,
  requireIdentifier,
  requireKeys,
} from "./ids";

export { b64urlDecode, b64urlEncode } from "./b64";
export { canonicalBytes, canonicalJson } from "./canonical";
export { TRUST_MESSAGES, TrustError, type TrustErrorCode } from "./errors";

export const CERTIFICATE_TYPE = "maillage.device-certificate";
export const REVOCATION_TYPE = "maillage.revocation-list";
/** Clocks of phones drift; a certificate issued a few minutes "in the future" is accepted. */
export const CLOCK_SKEW = 300;
export const MAX_CHAIN_LENGTH = 8;

export const ROLES = [
  "commercant",
  "coordinateur",
  "operateur",
  "agent",
  "referent",
  "observateur",
  "dpo",
  "partenaire",
] as const;
export type Role = (typeof ROLES)[number];
const CERTIFIER_ROLE: Role = "coordinateur";
export const REVOCATION_REASONS = ["suspended", "revoked"] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

/** A body exactly as signed (canonical JSON text) and its Ed25519 signature. */
export interface SignedDocument {
  body: string;
  signature: string;
}

/** A revocation list as it travels: the signer's chain, empty when the root signed. */
export interface RevocationDocument extends SignedDocument {
  chain: SignedDocument[];
}

/** What a device certificate says; field names are the wire's. */
export interface CertificateBody {
  serial: string;
  commune: string;
  device: string;
  member: string;
  role: Role;
  shop: string | null;
  enc_key: string;
  sign_key: string;
  may_certify: boolean;
  issuer: string;
  issued_at: number;
  expires_at: number;
}

export interface RevocationEntry {
  serial: string;
  device: string;
  reason: RevocationReason;
  at: number;
}

/** A revocation list's content; only `verifyRevocationList` should hand one out. */
export interface RevocationList {
  commune: string;
  number: number;
  issued_at: number;
  entries: RevocationEntry[];
  issuer: string;
}

// --- keys -----------------------------------------------------------------------------

/** base64url(SHA-256(raw Ed25519 public key)): what invitation links pin. */
export async function fingerprint(rawPublicKey: Uint8Array): Promise<string> {
  if (rawPublicKey.length !== 32) {
    throw new TrustError("malformed", "Une clé publique Ed25519 fait 32 octets.");
  }
  const copy = new Uint8Array(rawPublicKey); // digest() wants an ArrayBuffer-backed view
  return b64urlEncode(new Uint8Array(await crypto.subtle.digest("SHA-256", copy)));
}

/** Raw 32-byte public key, base64url: the form keys travel in. */
export async function publicKeyB64(publicKey: CryptoKey): Promise<string> {
  return b64urlEncode(new Uint8Array(await crypto.subtle.exportKey("raw", publicKey)));
}

// --- signed documents -----------------------------------------------------------------

/** Canonicalise `body` and sign its UTF-8 bytes with an Ed25519 private key. */
export async function signDocument(body: unknown, privateKey: CryptoKey): Promise<SignedDocument> {
  const text = canonicalJson(body);
  const signature = await crypto.subtle.sign(
    { name: "Ed25519" },
    privateKey,
    new TextEncoder().encode(text),
  );
  return { body: text, signature: b64urlEncode(new Uint8Array(signature)) };
}

/** Read `{"body", "signature"}` as it came off the network. */
export function parseSignedDocument(wire: unknown): SignedDocument {
  if (!isRecord(wire) || typeof wire.body !== "string" || typeof wire.signature !== "string") {
    throw new TrustError("malformed");
  }
  return { body: wire.body, signature: wire.signature };
}

/** Read a chain (leaf first) off the wire. */
export function parseChain(wire: unknown): SignedDocument[] {
  if (!Array.isArray(wire)) throw new TrustError("malformed");
  return wire.map(parseSignedDocument);
}

/** Read `{"body", "signature", "chain"}` into the document and the signer's chain. */
export function parseRevocationDocument(wire: unknown): {
  doc: SignedDocument;
  chain: SignedDocument[];
} {
  if (!isRecord(wire)) throw new TrustError("malformed");
  return { doc: parseSignedDocument(wire), chain: parseChain(wire.chain) };
}

/** Whether `signature` is a valid Ed25519 signature of `body`'s UTF-8 bytes; never throws. */
export async function signatureValid(
  publicRaw: Uint8Array<ArrayBuffer>,
  body: string,
  signature: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey("raw", publicRaw, { name: "Ed25519" }, false, [
      "verify",
    ]);
    return await crypto.subtle.verify(
      { name: "Ed25519" },
      key,
      signature,
      new TextEncoder().encode(body),
    );
  } catch {
    return false;
  }
}

async function verifySignature(
  publicRaw: Uint8Array<ArrayBuffer>,
  doc: SignedDocument,
  signature: Uint8Array<ArrayBuffer>,
): Promise<void> {
  if (!(await signatureValid(publicRaw, doc.body, signature))) {
    throw new TrustError("bad_signature");
  }
}

// --- certificates ---------------------------------------------------------------------

const CERTIFICATE_KEYS = [
  "type",
  "v",
  "serial",
  "commune",
  "device",
  "member",
  "role",
  "shop",
  "enc_key",
  "sign_key",
  "may_certify",
  "issuer",
  "issued_at",
  "expires_at",
] as const;

/** Check every field's type and shape; unknown or missing fields are refused. */
export function certificateFromJson(obj: Record<string, unknown>): CertificateBody {
  requireKeys(obj, CERTIFICATE_KEYS);
  requireHeader(obj, CERTIFICATE_TYPE);
  const role = obj.role;
  if (typeof role !== "string" || !(ROLES as readonly string[]).includes(role)) {
    throw new TrustError("malformed", "Rôle inconnu.");
  }
  const shop = obj.shop === null ? null : requireIdentifier(obj, "shop");
  if (typeof obj.may_certify !== "boolean") {
    throw new TrustError("malformed", "Champ « may_certify » invalide.");
  }
  const body: CertificateBody = {
    serial: requireIdentifier(obj, "serial"),
    commune: requireIdentifier(obj, "commune"),
    device: requireIdentifier(obj, "device"),
    member: requireIdentifier(obj, "member"),
    role: role as Role,
    shop,
    enc_key: requireBytes(obj, "enc_key"),
    sign_key: requireBytes(obj, "sign_key"),
    may_certify: obj.may_certify,
    issuer: requireBytes(obj, "issuer"),
    issued_at: requireCount(obj, "issued_at"),
    expires_at: requireCount(obj, "expires_at"),
  };
  if (body.expires_at <= body.issued_at) {
    throw new TrustError("malformed", "Période de validité vide.");
  }
  return body;
}

/** The wire object of a certificate body, with its type and version. */
export function certificateToJson(body: CertificateBody): Record<string, unknown> {
  return { type: CERTIFICATE_TYPE, v: 1, ...body };
}

/** Shape checks only, no signature check: for display, never for trust decisions. */
export function parseCertificate(doc: SignedDocument): CertificateBody {
  return certificateFromJson(parseCanonical(doc.body));
}

function canCertify(body: CertificateBody): boolean {
  return body.may_certify && body.role === CERTIFIER_ROLE;
}

export type CertificateFields = Omit<CertificateBody, "issuer" | "serial"> & { serial?: string };

/**
 * Certify a device's two public keys with a certifying device's key pair (the public
 * half gives the issuer fingerprint; the private half may be non-extractable). The
 * body goes through the verifiers' checks first, so nothing unverifiable gets signed.
 */
export async function issueCertificate(
  issuer: CryptoKeyPair,
  fields: CertificateFields,
): Promise<SignedDocument> {
  if (fields.may_certify && fields.role !== CERTIFIER_ROLE) {
    throw new TrustError("malformed", "Seul un appareil de coordinateur peut certifier.");
  }
  const body: CertificateBody = {
    serial: fields.serial ?? crypto.randomUUID(),
    commune: fields.commune,
    device: fields.device,
    member: fields.member,
    role: fields.role,
    shop: fields.shop,
    enc_key: fields.enc_key,
    sign_key: fields.sign_key,
    may_certify: fields.may_certify,
    issuer: await fingerprint(b64urlDecode(await publicKeyB64(issuer.publicKey))),
    issued_at: fields.issued_at,
    expires_at: fields.expires_at,
  };
  const json = certificateToJson(body);
  certificateFromJson(json);
  return signDocument(json, issuer.privateKey);
}

// --- revocation lists -----------------------------------------------------------------

const REVOCATION_KEYS = ["type", "v", "commune", "number", "issued_at", "entries", "issuer"];
const ENTRY_KEYS = ["serial", "device", "reason", "at"];

export function revocationListFromJson(obj: Record<string, unknown>): RevocationList {
  requireKeys(obj, REVOCATION_KEYS);
  requireHeader(obj, REVOCATION_TYPE);
  if (!Array.isArray(obj.entries)) {
    throw new TrustError("malformed", "Champ « entries » invalide.");
  }
  const entries = obj.entries.map((raw: unknown): RevocationEntry => {
    if (!isRecord(raw)) throw new TrustError("malformed", "Entrée de révocation invalide.");
    requireKeys(raw, ENTRY_KEYS);
    const reason = raw.reason;
    if (
      typeof reason !== "string" ||
      !(REVOCATION_REASONS as readonly string[]).includes(reason)
    ) {
      throw new TrustError("malformed", "Motif de révocation inconnu.");
    }
    return {
      serial: requireIdentifier(raw, "serial"),
      device: requireIdentifier(raw, "device"),
      reason: reason as RevocationReason,
      at: requireCount(raw, "at"),
    };
  });
  return {
    commune: requireIdentifier(obj, "commune"),
    number: requireCount(obj, "number"),
    issued_at: requireCount(obj, "issued_at"),
    entries,
    issuer: requireBytes(obj, "issuer"),
  };
}

export function revocationListToJson(list: RevocationList): Record<string, unknown> {
  return {
    type: REVOCATION_TYPE,
    v: 1,
    commune: list.commune,
    number: list.number,
    issued_at: list.issued_at,
    entries: list.entries.map((e) => ({
      serial: e.serial,
      device: e.device,
      reason: e.reason,
      at: e.at,
    })),
    issuer: list.issuer,
  };
}

/** Sign list `number`; the caller must include every entry of the previous list. */
export async function issueRevocationList(
  issuer: CryptoKeyPair,
  fields: Omit<RevocationList, "issuer">,
): Promise<SignedDocument> {
  const list: RevocationList = {
    ...fields,
    issuer: await fingerprint(b64urlDecode(await publicKeyB64(issuer.publicKey))),
  };
  const json = revocationListToJson(list);
  revocationListFromJson(json);
  return signDocument(json, issuer.privateKey);
}

// --- verification ---------------------------------------------------------------------

async function pinnedRoot(
  rootPublicKey: string,
  pinnedFingerprint: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const rootRaw = decodeFixed(rootPublicKey, 32);
  if ((await fingerprint(rootRaw)) !== pinnedFingerprint) throw new TrustError("root_mismatch");
  return rootRaw;
}

/**
 * Check a chain (leaf first) up to the pinned root; resolve to the leaf's body.
 *
 * The order of checks is part of the contract (docs/trust.md, "Chain verification").
 * `revocations` must come from `verifyRevocationList`; null skips the revocation
 * check and is only for bootstrapping (verifying the signer of a revocation list).
 */
export async function verifyChain(
  chain: readonly SignedDocument[],
  rootPublicKey: string,
  pinnedFingerprint: string,
  commune: string,
  revocations: RevocationList | null,
  now: number,
): Promise<CertificateBody> {
  const rootRaw = await pinnedRoot(rootPublicKey, pinnedFingerprint);
  if (revocations !== null && revocations.commune !== commune) {
    throw new TrustError("wrong_commune");
  }
  if (!isCount(now)) throw new TrustError("malformed");
  if (!Array.isArray(chain) || chain.length === 0 || chain.length > MAX_CHAIN_LENGTH) {
    throw new TrustError("malformed", "Chaîne de certificats vide ou trop longue.");
  }

  const parsed = chain.map((wire) => {
    const doc = parseSignedDocument(wire);
    const signature = decodeFixed(doc.signature, 64);
    return { doc, signature, body: parseCertificate(doc) };
  });

  const revoked = new Set(revocations?.entries.map((entry) => entry.serial) ?? []);
  let issuerRaw = rootRaw;
  let issuerBody: CertificateBody | null = null;
  for (const { doc, signature, body } of [...parsed].reverse()) {
    if (body.issuer !== (await fingerprint(issuerRaw))) throw new TrustError("broken_chain");
    await verifySignature(issuerRaw, doc, signature);
    if (issuerBody !== null && !canCertify(issuerBody)) throw new TrustError("not_a_certifier");
    if (body.commune !== commune) throw new TrustError("wrong_commune");
    if (!(body.issued_at - CLOCK_SKEW <= now && now < body.expires_at)) {
      throw new TrustError("expired");
    }
    if (revoked.has(body.serial)) throw new TrustError("revoked");
    issuerRaw = b64urlDecode(body.sign_key);
    issuerBody = body;
  }
  return parsed[0].body;
}

/**
 * Check a revocation list signed by the root (empty chain) or a certifying device.
 *
 * `lastSeenNumber` is the highest number this client verified before; a lower one is
 * refused so a server cannot roll back. `knownSerials` are serials this client already
 * saw revoked: a list missing one is refused too, so a revoked coordinator cannot sign
 * a higher-numbered list that forgets its own revocation.
 */
export async function verifyRevocationList(
  doc: SignedDocument,
  chain: readonly SignedDocument[],
  rootPublicKey: string,
  pinnedFingerprint: string,
  commune: string,
  lastSeenNumber: number,
  now: number,
  knownSerials: Iterable<string> = [],
): Promise<RevocationList> {
  const rootRaw = await pinnedRoot(rootPublicKey, pinnedFingerprint);
  const wire = parseSignedDocument(doc);
  if (!isCount(lastSeenNumber)) throw new TrustError("malformed");
  const signature = decodeFixed(wire.signature, 64);
  const body = revocationListFromJson(parseCanonical(wire.body));

  let signerRaw = rootRaw;
  if (chain.length > 0) {
    const signer = await verifyChain(chain, rootPublicKey, pinnedFingerprint, commune, null, now);
    if (!canCertify(signer)) throw new TrustError("not_a_certifier");
    signerRaw = b64urlDecode(signer.sign_key);
  }
  if (body.issuer !== (await fingerprint(signerRaw))) throw new TrustError("broken_chain");
  await verifySignature(signerRaw, wire, signature);

  if (body.commune !== commune) throw new TrustError("wrong_commune");
  if (body.number < lastSeenNumber) throw new TrustError("stale_revocations");
  const serials = new Set(body.entries.map((entry) => entry.serial));
  for (const serial of knownSerials) {
    if (!serials.has(serial)) throw new TrustError("stale_revocations");
  }
  if (chain.length > 0) {
    await verifyChain(chain, rootPublicKey, pinnedFingerprint, commune, body, now);
  }
  return body;
}

/**
 * The list as it stood at `at`: later revocations do not unsay what was signed before
 * (an envelope as of its `sent_at`, a service key or a grant as of its `issued_at`).
 */
export function revocationsAsOf(list: RevocationList, at: number): RevocationList {
  return { ...list, entries: list.entries.filter((entry) => entry.at <= at) };
}

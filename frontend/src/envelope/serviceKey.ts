/**
 * The commune's police service key: documents, verification, grants (docs/envelope.md,
 * "Police service key"). Police content is always also wrapped to the current
 * generation, so an operator device approved later reads the history once another
 * operator device grants it the private half. Every check runs on the device; the server
 * only stores what operator devices signed. Twin of src/maillage/wire/service_key.py.
 *
 * Unlike device keys, service private keys are EXTRACTABLE: a holder re-wraps them for
 * other operator devices.
 */

import { canonicalBytes, parseCanonical } from "../trust/canonical";
import { parseChain, parseSignedDocument, type SignedDocument } from "../trust/chain";
import {
  isRecord,
  requireBytes,
  requireCount,
  requireHeader,
  requireIdentifier,
  requireKeys,
} from "../trust/ids";
import {
  EnvelopeError,
  asEnvelopeError,
  envelopeErrors,
  type Recipient,
  type TrustContext,
} from "./envelope";
import {
  asOf,
  issuerFingerprint,
  openPrivateKey,
  sealPrivateKey,
  signAs,
  verifySigner,
  type GrantOpener,
  type Signer,
} from "./generations";
import { x25519PublicOf } from "./hpke";

export type { GrantOpener } from "./generations";

export const SERVICE = "police";
export const SERVICE_KEY_TYPE = "maillage.service-key";
export const GRANT_TYPE = "maillage.service-key-grant";
const GRANT_INFO = new TextEncoder().encode("maillage.service-key.v1");

const DOCUMENT_KEYS = ["type", "v", "commune", "service", "number", "key", "issued_at", "issuer"];
const GRANT_KEYS = [
  "type",
  "v",
  "commune",
  "service",
  "number",
  "recipient",
  "recipient_key",
  "enc",
  "wrapped",
  "issued_at",
  "issuer",
];

export interface ServiceKeyDocument {
  commune: string;
  service: string;
  number: number;
  key: string;
  issued_at: number;
  issuer: string;
}

export interface GrantBody {
  commune: string;
  service: string;
  number: number;
  recipient: string;
  recipient_key: string;
  enc: string;
  wrapped: string;
  issued_at: number;
  issuer: string;
}

// --- shape ----------------------------------------------------------------------------

/** Parse a signed body as trust.md does, then its exact fields, type, service, number ≥ 1. */
function fields(
  doc: SignedDocument,
  type: string,
  keys: readonly string[],
): Record<string, unknown> {
  try {
    const obj = parseCanonical(parseSignedDocument(doc).body);
    requireKeys(obj, keys);
    requireHeader(obj, type);
    if (obj.service !== SERVICE) throw new EnvelopeError("malformed", "Service inconnu.");
    if (requireCount(obj, "number") < 1) {
      throw new EnvelopeError("malformed", "Les générations commencent à 1.");
    }
    return obj;
  } catch (error) {
    throw asEnvelopeError(error);
  }
}

/** Shape only, no signature check: for display and for the server's own checks. */
export function parseServiceKeyDocument(doc: SignedDocument): ServiceKeyDocument {
  const obj = fields(doc, SERVICE_KEY_TYPE, DOCUMENT_KEYS);
  try {
    return {
      commune: requireIdentifier(obj, "commune"),
      service: SERVICE,
      number: requireCount(obj, "number"),
      key: requireBytes(obj, "key"),
      issued_at: requireCount(obj, "issued_at"),
      issuer: requireBytes(obj, "issuer"),
    };
  } catch (error) {
    throw asEnvelopeError(error);
  }
}

/** Shape only, no signature check (the server stores grants it cannot open). */
export function parseGrant(doc: SignedDocument): GrantBody {
  const obj = fields(doc, GRANT_TYPE, GRANT_KEYS);
  try {
    const wrapped = requireBytes(obj, "wrapped", 48);
    return {
      commune: requireIdentifier(obj, "commune"),
      service: SERVICE,
      number: requireCount(obj, "number"),
      recipient: requireIdentifier(obj, "recipient"),
      recipient_key: requireBytes(obj, "recipient_key"),
      enc: requireBytes(obj, "enc"),
      wrapped,
      issued_at: requireCount(obj, "issued_at"),
      issuer: requireBytes(obj, "issuer"),
    };
  } catch (error) {
    throw asEnvelopeError(error);
  }
}

// --- issuing --------------------------------------------------------------------------

/** A fresh generation's key pair; the private half is extractable (it gets re-wrapped). */
export async function generateServiceKey(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey({ name: "X25519" }, true, [
    "deriveBits",
  ])) as CryptoKeyPair;
}

/** Sign generation `number` with the operator device's key; checked like a verifier. */
export async function issueServiceKey(
  signPrivate: CryptoKey,
  fields: { commune: string; number: number; publicKey: string; issuedAt: number } & Signer,
): Promise<SignedDocument> {
  return envelopeErrors(async () => {
    const body = {
      type: SERVICE_KEY_TYPE,
      v: 1,
      commune: fields.commune,
      service: SERVICE,
      number: fields.number,
      key: fields.publicKey,
      issued_at: fields.issuedAt,
      issuer: await issuerFingerprint(fields),
    };
    const doc = await signAs(body, signPrivate, fields);
    parseServiceKeyDocument(doc);
    return doc;
  });
}

function grantAad(commune: string, number: number, recipient: string): Uint8Array {
  return canonicalBytes({
    type: GRANT_TYPE,
    v: 1,
    commune,
    service: SERVICE,
    number,
    recipient,
  });
}

/**
 * Wrap the service private key for one operator device (whose chain the caller
 * verified) and sign the grant.
 */
export async function sealGrant(
  signPrivate: CryptoKey,
  fields: {
    commune: string;
    number: number;
    recipientDevice: string;
    recipientKey: string;
    servicePrivateKey: CryptoKey;
    issuedAt: number;
  } & Signer,
): Promise<SignedDocument> {
  return envelopeErrors(async () => {
    const sealed = await sealPrivateKey(
      fields.recipientKey,
      fields.servicePrivateKey,
      GRANT_INFO,
      grantAad(fields.commune, fields.number, fields.recipientDevice),
      "Clé de service non exportable sur cet appareil.",
    );
    const body = {
      type: GRANT_TYPE,
      v: 1,
      commune: fields.commune,
      service: SERVICE,
      number: fields.number,
      recipient: fields.recipientDevice,
      recipient_key: fields.recipientKey,
      enc: sealed.enc,
      wrapped: sealed.wrapped,
      issued_at: fields.issuedAt,
      issuer: await issuerFingerprint(fields),
    };
    const doc = await signAs(body, signPrivate, fields);
    parseGrant(doc);
    return doc;
  });
}

// --- verifying ------------------------------------------------------------------------

/** How to judge a published generation; see `verifyServiceKey`. */
export interface VerifyServiceKeyOptions {
  /**
   * Check the signer as of the document's `issued_at` (revocations dated after it
   * ignored), as envelopes are checked as of `sent_at`, and skip the stale-generation
   * check: for OLDER generations, which still open content sealed before a rotation
   * even though their signer may have been revoked since.
   */
  asOfIssue?: boolean;
}

/**
 * Accept a published generation (`{body, signature, chain}`): signed by a certified,
 * unrevoked operator device of this commune, and not older than the newest generation
 * this device verified (`lastSeen`). With `asOfIssue`, see `VerifyServiceKeyOptions`.
 */
export async function verifyServiceKey(
  wire: unknown,
  trust: TrustContext,
  now: number,
  lastSeen = 0,
  options: VerifyServiceKeyOptions = {},
): Promise<ServiceKeyDocument> {
  return envelopeErrors(async () => {
    if (!isRecord(wire)) throw new EnvelopeError("malformed");
    const doc = parseSignedDocument(wire);
    const signerChain = parseChain(wire.chain);
    const body = parseServiceKeyDocument(doc);
    const asOfIssue = options.asOfIssue === true;
    const judgedBy = asOfIssue ? asOf(trust, body.issued_at) : trust;
    await verifySigner(doc, signerChain, body.issuer, judgedBy, asOfIssue ? body.issued_at : now);
    if (body.commune !== trust.commune) throw new EnvelopeError("wrong_commune");
    if (!asOfIssue && body.number < lastSeen) throw new EnvelopeError("stale_service_key");
    return body;
  });
}

/**
 * Unwrap the service private key granted to this device, and prove it is the private
 * half of the verified published key (`wrong_service_key` otherwise). The result is
 * extractable: this device will wrap it for the next operator devices.
 */
export async function openGrant(
  doc: SignedDocument,
  granterChain: SignedDocument[],
  myDevice: string,
  me: GrantOpener,
  serviceKey: ServiceKeyDocument,
  trust: TrustContext,
  _now: number,
): Promise<CryptoKey> {
  return envelopeErrors(async () => {
    const grant = parseGrant(doc);
    // The granter as of the grant (the server keeps issued_at near its clock): a holder
    // revoked since must not strand the devices it served; the key check below is what
    // makes the grant trustworthy.
    await verifySigner(doc, granterChain, grant.issuer, asOf(trust, grant.issued_at), grant.issued_at);
    if (grant.commune !== trust.commune) throw new EnvelopeError("wrong_commune");
    if (grant.number !== serviceKey.number || grant.commune !== serviceKey.commune) {
      throw new EnvelopeError("wrong_service_key");
    }
    if (grant.recipient !== myDevice || grant.recipient_key !== me.publicKey) {
      throw new EnvelopeError("not_a_recipient");
    }
    const privateKey = await openPrivateKey(
      me,
      grant.enc,
      grant.wrapped,
      GRANT_INFO,
      grantAad(grant.commune, grant.number, grant.recipient),
    );
    if ((await x25519PublicOf(privateKey)) !== serviceKey.key) {
      throw new EnvelopeError("wrong_service_key");
    }
    return privateKey;
  });
}

/** The recipient entry for a verified generation: `police:<number>`. */
export function serviceRecipient(doc: ServiceKeyDocument): Recipient {
  return { kind: "service", id: `${doc.service}:${doc.number}`, key: doc.key };
}

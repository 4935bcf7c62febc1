/**
 * Content-key grants: one message's key K handed to one device (docs/envelope.md,
 * "Dispatch: content-key grants"). An agent holds no service key (it would open every
 * report), so the dispatching operator's device, which opened the message, HPKE-seals
 * that message's AES key to each of the agent's certified devices and signs the grant.
 * A grant can only hand over a key: the parts are AES-GCM under K with the binding as
 * associated data, so a K that is not the message's fails as `undecryptable`.
 * Twin of src/maillage/wire/content_grant.py.
 */

import { b64urlDecode, decodeFixed } from "../trust/b64";
import { canonicalBytes, parseCanonical } from "../trust/canonical";
import {
  TrustError,
  fingerprint,
  parseSignedDocument,
  signatureValid,
  type SignedDocument,
} from "../trust/chain";
import {
  isCount,
  isIdentifier,
  requireBytes,
  requireCount,
  requireHeader,
  requireIdentifier,
  requireKeys,
} from "../trust/ids";
import {
  EnvelopeError,
  KEY_BYTES,
  WRAPPED_BYTES,
  checkBinding,
  envelopeErrors,
  malformed,
  type Binding,
  type Opened,
  type TrustContext,
} from "./envelope";
import {
  asOf,
  issuerFingerprint,
  openSecret,
  sealSecret,
  signAs,
  verifyLeaf,
  type GrantOpener,
  type Signer,
} from "./generations";
import { openParts, verifyThroughParts } from "./opening";

export type { GrantOpener } from "./generations";

export const CONTENT_GRANT_TYPE = "maillage.content-key-grant";
export const CONTENT_GRANT_INFO = new TextEncoder().encode("maillage.content-key-grant.v1");

const GRANT_KEYS = [
  "type",
  "v",
  "commune",
  "incident",
  "message",
  "recipient",
  "recipient_key",
  "enc",
  "wrapped",
  "issued_at",
  "issuer",
];

/** A grant's body after the shape checks; nothing in it is authenticated yet. */
export interface ContentKeyGrant {
  commune: string;
  incident: string;
  message: string;
  recipient: string;
  recipient_key: string;
  enc: string;
  wrapped: string;
  issued_at: number;
  issuer: string;
}

/** HPKE associated data: K opens only for this message and this device. */
function grantAad(binding: Binding, recipient: string): Uint8Array {
  return canonicalBytes({
    type: CONTENT_GRANT_TYPE,
    v: 1,
    commune: binding.commune,
    incident: binding.incident,
    message: binding.message,
    recipient,
  });
}

function sameBinding(grant: ContentKeyGrant, binding: Binding): boolean {
  return (
    grant.commune === binding.commune &&
    grant.incident === binding.incident &&
    grant.message === binding.message
  );
}

// --- shape ----------------------------------------------------------------------------

/**
 * Shape only, no signature check (the server stores grants it cannot open). Every
 * failure is `bad_grant` with the detail of the field at fault, in the twin's order:
 * canonical body, exact field set, `type` and `v` = 1, identifiers, `enc` 32 bytes,
 * `wrapped` 48 (K plus the tag), `issuer` 32, then the signature's 64 bytes.
 */
export function parseContentKeyGrant(doc: SignedDocument): ContentKeyGrant {
  try {
    const signed = parseSignedDocument(doc);
    const obj = parseCanonical(signed.body);
    requireKeys(obj, GRANT_KEYS);
    requireHeader(obj, CONTENT_GRANT_TYPE);
    const grant: ContentKeyGrant = {
      commune: requireIdentifier(obj, "commune"),
      incident: requireIdentifier(obj, "incident"),
      message: requireIdentifier(obj, "message"),
      recipient: requireIdentifier(obj, "recipient"),
      recipient_key: requireBytes(obj, "recipient_key"),
      enc: requireBytes(obj, "enc"),
      wrapped: requireBytes(obj, "wrapped", WRAPPED_BYTES),
      issued_at: requireCount(obj, "issued_at"),
      issuer: requireBytes(obj, "issuer"),
    };
    decodeFixed(signed.signature, 64);
    return grant;
  } catch (error) {
    if (error instanceof TrustError || error instanceof EnvelopeError) {
      throw new EnvelopeError("bad_grant", error.message);
    }
    throw error;
  }
}

/** `issuer` names the signer's key and the signature holds, else `bad_grant`. */
async function checkSignedBy(
  doc: SignedDocument,
  grant: ContentKeyGrant,
  signKey: string,
): Promise<void> {
  const signer = b64urlDecode(signKey);
  if (
    grant.issuer !== (await fingerprint(signer)) ||
    !(await signatureValid(signer, doc.body, decodeFixed(doc.signature, 64)))
  ) {
    throw new EnvelopeError("bad_grant");
  }
}

/**
 * Shape, then signed by `signKey` (base64url Ed25519 public key, as a certificate's
 * `sign_key` holds it) and naming it as `issuer` (`bad_grant` otherwise): for a holder
 * of the granting device's certificate; no chain or role check here.
 */
export async function verifyGrantSignature(
  doc: SignedDocument,
  signKey: string,
): Promise<ContentKeyGrant> {
  return envelopeErrors(async () => {
    const grant = parseContentKeyGrant(doc);
    try {
      decodeFixed(signKey, 32);
    } catch {
      throw malformed("Clé de signature inutilisable.");
    }
    await checkSignedBy(doc, grant, signKey);
    return grant;
  });
}

// --- granting -------------------------------------------------------------------------

/**
 * Wrap message K (raw, 32 bytes) for one device whose chain the caller verified, and
 * sign the grant. Inputs are checked first (`malformed`), so a bad call is the caller's
 * error rather than a `bad_grant` every opener would report.
 */
export async function sealContentKeyGrant(
  signPrivate: CryptoKey,
  fields: {
    commune: string;
    incident: string;
    message: string;
    recipientDevice: string;
    recipientKey: string;
    contentKey: Uint8Array;
    issuedAt: number;
  } & Signer,
): Promise<SignedDocument> {
  return envelopeErrors(async () => {
    const binding: Binding = {
      commune: fields.commune,
      incident: fields.incident,
      message: fields.message,
    };
    checkBinding(binding);
    if (!isIdentifier(fields.recipientDevice)) throw malformed("Champ « recipient » invalide.");
    if (!isCount(fields.issuedAt)) throw malformed("Champ « issued_at » invalide.");
    if (!(fields.contentKey instanceof Uint8Array) || fields.contentKey.length !== KEY_BYTES) {
      throw malformed("Une clé de contenu fait 32 octets.");
    }
    const sealed = await sealSecret(
      fields.recipientKey,
      fields.contentKey,
      CONTENT_GRANT_INFO,
      grantAad(binding, fields.recipientDevice),
    );
    const body: Record<string, unknown> = {
      type: CONTENT_GRANT_TYPE,
      v: 1,
      commune: fields.commune,
      incident: fields.incident,
      message: fields.message,
      recipient: fields.recipientDevice,
      recipient_key: fields.recipientKey,
      enc: sealed.enc,
      wrapped: sealed.wrapped,
      issued_at: fields.issuedAt,
      issuer: await issuerFingerprint(fields),
    };
    const doc = await signAs(body, signPrivate, fields);
    parseContentKeyGrant(doc);
    return doc;
  });
}

// --- opening --------------------------------------------------------------------------

/**
 * Shape, granter's chain as of `issued_at` (trust codes), an `operateur` leaf
 * (`not_allowed_recipient`), issuer and signature (`bad_grant`), commune. As of
 * `issued_at`, as service-key grants are: an operator revoked after dispatching must not
 * strand the agent it dispatched; the server keeps `issued_at` near its clock.
 */
async function verifiedGrant(
  doc: SignedDocument,
  granterChain: SignedDocument[],
  trust: TrustContext,
): Promise<ContentKeyGrant> {
  const grant = parseContentKeyGrant(doc);
  const leaf = await verifyLeaf(granterChain, asOf(trust, grant.issued_at), grant.issued_at);
  await checkSignedBy(doc, grant, leaf.sign_key);
  if (grant.commune !== trust.commune) throw new EnvelopeError("wrong_commune");
  return grant;
}

/** K, if the grant names this device and its key (`not_a_recipient`, `undecryptable`). */
async function unwrap(
  grant: ContentKeyGrant,
  myDevice: string,
  me: GrantOpener,
): Promise<Uint8Array> {
  if (grant.recipient !== myDevice || grant.recipient_key !== me.publicKey) {
    throw new EnvelopeError("not_a_recipient");
  }
  const aad = grantAad(grant, grant.recipient);
  const key = await openSecret(me, grant.enc, grant.wrapped, CONTENT_GRANT_INFO, aad);
  if (key.length !== KEY_BYTES) throw new EnvelopeError("undecryptable");
  return key;
}

/**
 * The raw content key K granted to this device, once the grant is verified. Only the
 * grant is checked: whether K opens a given message is `openEnvelopeWithGrant`'s work.
 */
export async function openContentKeyGrant(
  doc: SignedDocument,
  granterChain: SignedDocument[],
  myDevice: string,
  me: GrantOpener,
  trust: TrustContext,
): Promise<Uint8Array> {
  return envelopeErrors(async () => {
    const grant = await verifiedGrant(doc, granterChain, trust);
    return unwrap(grant, myDevice, me);
  });
}

/**
 * Open a message through a grant: steps 1–6 of "Opening" unchanged, the grant verified,
 * its commune, incident and message those of the message (`wrong_context`, checked
 * before the recipient as for envelopes), then K opens the parts.
 */
export async function openEnvelopeWithGrant(
  wire: unknown,
  attachments: readonly Uint8Array[],
  expected: Binding,
  grantDoc: SignedDocument,
  granterChain: SignedDocument[],
  myDevice: string,
  me: GrantOpener,
  trust: TrustContext,
): Promise<Opened> {
  return envelopeErrors(async () => {
    const { parsed, sender } = await verifyThroughParts(wire, attachments, expected, trust);
    const grant = await verifiedGrant(grantDoc, granterChain, trust);
    if (!sameBinding(grant, expected)) throw new EnvelopeError("wrong_context");
    const key = await unwrap(grant, myDevice, me);
    return openParts(key, parsed, attachments, sender);
  });
}

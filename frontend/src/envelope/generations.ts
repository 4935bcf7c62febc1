/**
 * Numbered key generations handed out by signed grants: the rules the police service key
 * and the broadcast group keys share (docs/envelope.md, "Police service key" and
 * "Broadcasts and group keys"). Twin of src/maillage/wire/generations.py.
 */

import { b64urlDecode, b64urlEncode } from "../trust/b64";
import {
  fingerprint,
  revocationsAsOf,
  signDocument,
  signatureValid,
  verifyChain,
  type CertificateBody,
  type SignedDocument,
} from "../trust/chain";
import { EnvelopeError, asEnvelopeError, type TrustContext } from "./envelope";
import { exportX25519Private, hpkeOpen, hpkeSeal, importX25519Private } from "./hpke";

/** Only operator devices sign generations and grants (police key and group keys alike). */
export const ISSUER_ROLES: readonly string[] = ["operateur"];

/** The trust context as it stood at `at`: revocations dated later are ignored. */
export function asOf(trust: TrustContext, at: number): TrustContext {
  return { ...trust, revocations: revocationsAsOf(trust.revocations, at) };
}

/** `issuer` is the signing device's Ed25519 public key (b64url); bodies carry its fingerprint. */
export interface Signer {
  issuer: string;
}

/**
 * Sign with a (possibly non-extractable) device key and make sure the signature verifies
 * under the announced public key: a caller that passed another key, or a fingerprint,
 * gets an error now rather than a document every verifier refuses.
 */
export async function signAs(
  body: Record<string, unknown>,
  signPrivate: CryptoKey,
  signer: Signer,
): Promise<SignedDocument> {
  const doc = await signDocument(body, signPrivate);
  let valid = false;
  try {
    valid = await signatureValid(
      b64urlDecode(signer.issuer),
      doc.body,
      b64urlDecode(doc.signature),
    );
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new EnvelopeError(
      "malformed",
      "La clé de signature ne correspond pas à l'émetteur annoncé.",
    );
  }
  return doc;
}

export async function issuerFingerprint(signer: Signer): Promise<string> {
  try {
    return await fingerprint(b64urlDecode(signer.issuer));
  } catch (error) {
    throw asEnvelopeError(error);
  }
}

/**
 * The signer's chain with the given revocations, then a leaf of an allowed role
 * (`not_allowed_recipient`): what every signed generation, grant or key grant needs.
 */
export async function verifyLeaf(
  signerChain: SignedDocument[],
  trust: TrustContext,
  now: number,
  roles: readonly string[] = ISSUER_ROLES,
): Promise<CertificateBody> {
  const leaf = await verifyChain(
    signerChain,
    trust.rootPublicKey,
    trust.pinnedFingerprint,
    trust.commune,
    trust.revocations,
    now,
  );
  if (!roles.includes(leaf.role)) throw new EnvelopeError("not_allowed_recipient");
  return leaf;
}

/**
 * Chain with the given revocations, a leaf of an allowed role, `issuer` its fingerprint,
 * then the signature: the order both implementations follow.
 */
export async function verifySigner(
  doc: SignedDocument,
  signerChain: SignedDocument[],
  issuer: string,
  trust: TrustContext,
  now: number,
  roles: readonly string[] = ISSUER_ROLES,
): Promise<CertificateBody> {
  const signature = b64urlDecode(doc.signature);
  if (signature.length !== 64) throw new EnvelopeError("malformed");
  const leaf = await verifyLeaf(signerChain, trust, now, roles);
  const signKey = b64urlDecode(leaf.sign_key);
  if (issuer !== (await fingerprint(signKey))) throw new EnvelopeError("broken_chain");
  if (!(await signatureValid(signKey, doc.body, signature))) {
    throw new EnvelopeError("bad_signature");
  }
  return leaf;
}

/** HPKE-seal raw key bytes to one device key (`malformed` if that key is unusable). */
export async function sealSecret(
  recipientKey: string,
  secret: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
): Promise<{ enc: string; wrapped: string }> {
  try {
    const recipientRaw = b64urlDecode(recipientKey);
    if (recipientRaw.length !== 32) throw new Error("not 32 bytes");
    const sealed = await hpkeSeal(recipientRaw, secret, info, aad);
    return { enc: b64urlEncode(sealed.enc), wrapped: b64urlEncode(sealed.ct) };
  } catch {
    throw new EnvelopeError("malformed", "Clé de destinataire inutilisable.");
  }
}

/** HPKE-seal a generation's (extractable) private half to one device key. */
export async function sealPrivateKey(
  recipientKey: string,
  privateKey: CryptoKey,
  info: Uint8Array,
  aad: Uint8Array,
  notExportable: string,
): Promise<{ enc: string; wrapped: string }> {
  let raw: Uint8Array;
  try {
    raw = await exportX25519Private(privateKey);
  } catch {
    throw new EnvelopeError("malformed", notExportable);
  }
  try {
    return await sealSecret(recipientKey, raw, info, aad);
  } finally {
    raw.fill(0);
  }
}

/** This device, as a grant recipient: its X25519 key pair (private non-extractable). */
export interface GrantOpener {
  privateKey: CryptoKey;
  publicKey: string;
}

/** Open what `sealSecret` sealed to this device (`undecryptable` on any failure). */
export async function openSecret(
  me: GrantOpener,
  enc: string,
  wrapped: string,
  info: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  try {
    return await hpkeOpen(
      me.privateKey,
      b64urlDecode(me.publicKey),
      b64urlDecode(enc),
      b64urlDecode(wrapped),
      info,
      aad,
    );
  } catch {
    throw new EnvelopeError("undecryptable");
  }
}

/** Open a grant's wrapped private half (`undecryptable` on any failure); extractable. */
export async function openPrivateKey(
  me: GrantOpener,
  enc: string,
  wrapped: string,
  info: Uint8Array,
  aad: Uint8Array,
): Promise<CryptoKey> {
  const raw = await openSecret(me, enc, wrapped, info, aad);
  try {
    return await importX25519Private(raw, true);
  } catch {
    throw new EnvelopeError("undecryptable");
  } finally {
    raw.fill(0);
  }
}

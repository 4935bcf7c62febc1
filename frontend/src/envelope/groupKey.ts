/**
 * Broadcast group keys: generation documents and grants (docs/envelope.md, "Broadcasts
 * and group keys"). A commune-wide key (scope `commune`) and one per sector
 * (`sector:<id>`), in numbered generations linked by `previous` (the SHA-256 of the
 * previous generation's body), each signed by an operator device; its private half
 * reaches every member device by a signed grant, as the police service key does (the
 * shared rules are generations.ts). Twin of src/maillage/wire/group_key.py.
 */

import { b64urlEncode } from "../trust/b64";
import { canonicalBytes, parseCanonical } from "../trust/canonical";
import { parseChain, parseSignedDocument, type SignedDocument } from "../trust/chain";
import {
  isIdentifier,
  isRecord,
  requireBytes,
  requireCount,
  requireHeader,
  requireIdentifier,
  requireKeys,
} from "../trust/ids";
import { EnvelopeError, asEnvelopeError, envelopeErrors, type TrustContext } from "./envelope";
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

export const GROUP_KEY_TYPE = "maillage.group-key";
export const GROUP_GRANT_TYPE = "maillage.group-key-grant";
const GROUP_GRANT_INFO = new TextEncoder().encode("maillage.group-key.v1");
export const COMMUNE_SCOPE = "commune";
export const SECTOR_PREFIX = "sector:";

const DOCUMENT_KEYS = [
  "type",
  "v",
  "commune",
  "scope",
  "number",
  "previous",
  "key",
  "issued_at",
  "issuer",
];
const GRANT_KEYS = [
  "type",
  "v",
  "commune",
  "scope",
  "number",
  "recipient",
  "recipient_key",
  "enc",
  "wrapped",
  "issued_at",
  "issuer",
];

/** `commune`, or `sector:<sector public_id>`; an identifier either way. */
export function isScope(value: unknown): value is string {
  if (!isIdentifier(value)) return false;
  if (value === COMMUNE_SCOPE) return true;
  if (!value.startsWith(SECTOR_PREFIX)) return false;
  const rest = value.slice(SECTOR_PREFIX.length);
  return !rest.includes(":") && isIdentifier(rest);
}

/** What the next generation's `previous` names: SHA-256 of this body's UTF-8 text. */
export async function bodyDigest(body: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body));
  return b64urlEncode(new Uint8Array(digest));
}

export interface GroupKeyDocument {
  commune: string;
  scope: string;
  number: number;
  previous: string | null;
  key: string;
  issued_at: number;
  issuer: string;
  /** Not a field of the body: its digest, which the next generation names as `previous`. */
  digest: string;
}

export interface GroupGrantBody {
  commune: string;
  scope: string;
  number: number;
  recipient: string;
  recipient_key: string;
  enc: string;
  wrapped: string;
  issued_at: number;
  issuer: string;
}

// --- shape ----------------------------------------------------------------------------

/** Parse a signed body as trust.md does: exact fields, type, scope, number ≥ 1. */
function fields(
  doc: SignedDocument,
  type: string,
  keys: readonly string[],
): Record<string, unknown> {
  try {
    const obj = parseCanonical(parseSignedDocument(doc).body);
    requireKeys(obj, keys);
    requireHeader(obj, type);
    if (!isScope(obj.scope)) throw new EnvelopeError("malformed", "Périmètre de diffusion inconnu.");
    if (requireCount(obj, "number") < 1) {
      throw new EnvelopeError("malformed", "Les générations commencent à 1.");
    }
    return obj;
  } catch (error) {
    throw asEnvelopeError(error);
  }
}

/**
 * Shape only, no signature check. `previous` is null for generation 1 and the previous
 * body's digest for every later one.
 */
export async function parseGroupKeyDocument(doc: SignedDocument): Promise<GroupKeyDocument> {
  const obj = fields(doc, GROUP_KEY_TYPE, DOCUMENT_KEYS);
  try {
    const number = requireCount(obj, "number");
    const previous = obj.previous === null ? null : requireBytes(obj, "previous");
    if ((number === 1) !== (previous === null)) {
      throw new EnvelopeError("malformed", "Champ « previous » invalide.");
    }
    return {
      commune: requireIdentifier(obj, "commune"),
      scope: obj.scope as string,
      number,
      previous,
      key: requireBytes(obj, "key"),
      issued_at: requireCount(obj, "issued_at"),
      issuer: requireBytes(obj, "issuer"),
      digest: await bodyDigest(doc.body),
    };
  } catch (error) {
    throw asEnvelopeError(error);
  }
}

/** Shape only, no signature check (the server stores grants it cannot open). */
export function parseGroupGrant(doc: SignedDocument): GroupGrantBody {
  const obj = fields(doc, GROUP_GRANT_TYPE, GRANT_KEYS);
  try {
    const wrapped = requireBytes(obj, "wrapped", 48);
    return {
      commune: requireIdentifier(obj, "commune"),
      scope: obj.scope as string,
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
export async function generateGroupKey(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey({ name: "X25519" }, true, [
    "deriveBits",
  ])) as CryptoKeyPair;
}

/**
 * Sign generation `number` of `scope` (`previous` = `bodyDigest` of generation
 * number − 1, null for 1) with the operator device's key; checked like a verifier.
 */
export async function issueGroupKey(
  signPrivate: CryptoKey,
  fields: {
    commune: string;
    scope: string;
    number: number;
    previous: string | null;
    publicKey: string;
    issuedAt: number;
  } & Signer,
): Promise<SignedDocument> {
  return envelopeErrors(async () => {
    const body = {
      type: GROUP_KEY_TYPE,
      v: 1,
      commune: fields.commune,
      scope: fields.scope,
      number: fields.number,
      previous: fields.previous,
      key: fields.publicKey,
      issued_at: fields.issuedAt,
      issuer: await issuerFingerprint(fields),
    };
    const doc = await signAs(body, signPrivate, fields);
    await parseGroupKeyDocument(doc);
    return doc;
  });
}

function grantAad(commune: string, scope: string, number: number, recipient: string): Uint8Array {
  return canonicalBytes({ type: GROUP_GRANT_TYPE, v: 1, commune, scope, number, recipient });
}

/**
 * Wrap a generation's private half for one member device (whose chain the caller
 * verified) and sign the grant.
 */
export async function sealGroupGrant(
  signPrivate: CryptoKey,
  fields: {
    commune: string;
    scope: string;
    number: number;
    recipientDevice: string;
    recipientKey: string;
    groupPrivateKey: CryptoKey;
    issuedAt: number;
  } & Signer,
): Promise<SignedDocument> {
  return envelopeErrors(async () => {
    const sealed = await sealPrivateKey(
      fields.recipientKey,
      fields.groupPrivateKey,
      GROUP_GRANT_INFO,
      grantAad(fields.commune, fields.scope, fields.number, fields.recipientDevice),
      "Clé de diffusion non exportable sur cet appareil.",
    );
    const body = {
      type: GROUP_GRANT_TYPE,
      v: 1,
      commune: fields.commune,
      scope: fields.scope,
      number: fields.number,
      recipient: fields.recipientDevice,
      recipient_key: fields.recipientKey,
      enc: sealed.enc,
      wrapped: sealed.wrapped,
      issued_at: fields.issuedAt,
      issuer: await issuerFingerprint(fields),
    };
    const doc = await signAs(body, signPrivate, fields);
    parseGroupGrant(doc);
    return doc;
  });
}

// --- verifying ------------------------------------------------------------------------

/** How to judge a generation; see `verifyGroupKey`. */
export interface VerifyGroupKeyOptions {
  /**
   * For an OLDER generation received to open past broadcasts: the signer is judged as of
   * `issued_at` and an older number (or a gap) is expected; the link to `last` is still
   * checked when the number is last + 1.
   */
  asOfIssue?: boolean;
}

/**
 * Accept a generation of `scope` (`{body, signature, chain}`): signed by a certified,
 * unrevoked operator device of this commune, and continuing the newest generation of that
 * scope this device verified (`last`): the same document again, or number + 1 naming it
 * as `previous`. Older is `stale_group_key` (a sender must seal to the newest); a fork or
 * a gap is `wrong_group_key` (fetch the missing generations first, in order).
 */
export async function verifyGroupKey(
  wire: unknown,
  trust: TrustContext,
  now: number,
  scope: string,
  last: GroupKeyDocument | null = null,
  options: VerifyGroupKeyOptions = {},
): Promise<GroupKeyDocument> {
  return envelopeErrors(async () => {
    if (!isRecord(wire)) throw new EnvelopeError("malformed");
    const doc = parseSignedDocument(wire);
    const signerChain = parseChain(wire.chain);
    const body = await parseGroupKeyDocument(doc);
    const asOfIssue = options.asOfIssue === true;
    const judgedBy = asOfIssue ? asOf(trust, body.issued_at) : trust;
    await verifySigner(doc, signerChain, body.issuer, judgedBy, asOfIssue ? body.issued_at : now);
    if (body.commune !== trust.commune) throw new EnvelopeError("wrong_commune");
    if (body.scope !== scope) throw new EnvelopeError("wrong_scope");
    if (last === null) return body;
    if (last.scope !== scope || last.commune !== body.commune) {
      throw new EnvelopeError("wrong_scope");
    }
    if (body.number === last.number + 1) {
      if (body.previous !== last.digest) throw new EnvelopeError("wrong_group_key");
    } else if (body.number === last.number) {
      if (body.digest !== last.digest) throw new EnvelopeError("wrong_group_key");
    } else if (body.number < last.number) {
      if (!asOfIssue) throw new EnvelopeError("stale_group_key");
    } else if (!asOfIssue) {
      throw new EnvelopeError("wrong_group_key");
    }
    return body;
  });
}

/**
 * Unwrap a generation's private half granted to this device and prove it is the private
 * half of the verified document (`wrong_group_key` otherwise). The granter is judged as
 * of the grant's `issued_at`, as for the police service key. The result is extractable:
 * an operator device wraps it for the next member devices.
 */
export async function openGroupGrant(
  doc: SignedDocument,
  granterChain: SignedDocument[],
  myDevice: string,
  me: GrantOpener,
  groupKey: GroupKeyDocument,
  trust: TrustContext,
): Promise<CryptoKey> {
  return envelopeErrors(async () => {
    const grant = parseGroupGrant(doc);
    await verifySigner(doc, granterChain, grant.issuer, asOf(trust, grant.issued_at), grant.issued_at);
    if (grant.commune !== trust.commune) throw new EnvelopeError("wrong_commune");
    if (grant.scope !== groupKey.scope) throw new EnvelopeError("wrong_scope");
    if (grant.number !== groupKey.number || grant.commune !== groupKey.commune) {
      throw new EnvelopeError("wrong_group_key");
    }
    if (grant.recipient !== myDevice || grant.recipient_key !== me.publicKey) {
      throw new EnvelopeError("not_a_recipient");
    }
    const privateKey = await openPrivateKey(
      me,
      grant.enc,
      grant.wrapped,
      GROUP_GRANT_INFO,
      grantAad(grant.commune, grant.scope, grant.number, grant.recipient),
    );
    if ((await x25519PublicOf(privateKey)) !== groupKey.key) {
      throw new EnvelopeError("wrong_group_key");
    }
    return privateKey;
  });
}

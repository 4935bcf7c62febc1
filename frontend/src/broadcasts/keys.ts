/**
 * The decisions of the broadcast group-key lifecycle, apart from the server: verifying the
 * chain of generations 1..n of a scope as groupKey.ts requires, deciding whether an
 * operator device publishes a generation, and choosing which pending devices get a grant.
 * Everything here runs the real wire code (envelope/groupKey.ts, trust/chain.ts); the
 * flows (groupKeyFlow.ts) feed it what the server served and act on the answer.
 */

import { EnvelopeError, type TrustContext } from "../envelope/envelope";
import type { GroupOpener } from "../envelope/broadcast";
import { verifyGroupKey, type GroupKeyDocument } from "../envelope/groupKey";
import { parseChain, TrustError, verifyChain, type CertificateBody } from "../trust/chain";

/** A generation as the server serves it: `{body, signature, chain}`. */
export interface ServedGeneration {
  body: string;
  signature: string;
  chain: unknown;
}

export interface VerifiedGenerations {
  /** Generations 1..n in order, each verified and linked to the one before. */
  docs: GroupKeyDocument[];
  latest: GroupKeyDocument | null;
  /**
   * Set when the latest generation verifies only as of its issue (its signer was revoked
   * or its certificate expired since): the code today's check gave. Such a generation must
   * be replaced, never sealed to again.
   */
  latestUntrusted: string | null;
}

/** A pending device refused for a reason no wire check names. */
class Refusal extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

const codeOf = (error: unknown): string =>
  error instanceof EnvelopeError || error instanceof TrustError || error instanceof Refusal
    ? error.code
    : "malformed";

/**
 * Verifies every generation the server lists for `scope`, oldest first. Older ones are
 * judged as of their issue (their signer may have been revoked since, often the very
 * reason for the next generation); the latest with today's revocation list. Each one
 * must be number i + 1 and name the previous one's digest (`wrong_group_key` for a gap or
 * a fork). Then against `known`, the newest generation this browser verified before: the
 * list must reach it (`stale_group_key` otherwise) and hold the very same document at its
 * number (`wrong_group_key`).
 */
export async function verifyGenerations(
  served: readonly ServedGeneration[],
  trust: TrustContext,
  now: number,
  scope: string,
  known: GroupKeyDocument | null,
): Promise<VerifiedGenerations> {
  const docs: GroupKeyDocument[] = [];
  let last: GroupKeyDocument | null = null;
  let latestUntrusted: string | null = null;
  for (let i = 0; i < served.length; i++) {
    const wire = served[i];
    const isLatest = i === served.length - 1;
    let doc: GroupKeyDocument;
    if (!isLatest) {
      doc = await verifyGroupKey(wire, trust, now, scope, last, { asOfIssue: true });
    } else {
      try {
        doc = await verifyGroupKey(wire, trust, now, scope, last);
      } catch (error) {
        // Valid when it was issued, not today: keep it in the chain, replace it.
        doc = await verifyGroupKey(wire, trust, now, scope, last, { asOfIssue: true }).catch(
          () => Promise.reject(error),
        );
        latestUntrusted = codeOf(error);
      }
    }
    if (doc.number !== i + 1) throw new EnvelopeError("wrong_group_key");
    docs.push(doc);
    last = doc;
  }
  if (known !== null) {
    if (known.scope !== scope || known.commune !== trust.commune) {
      throw new EnvelopeError("wrong_scope");
    }
    if (docs.length < known.number) throw new EnvelopeError("stale_group_key");
    if (docs[known.number - 1].digest !== known.digest) {
      throw new EnvelopeError("wrong_group_key");
    }
  }
  return { docs, latest: last, latestUntrusted };
}

/** What an operator device does about a scope's key when its console opens. */
export type GroupKeyAction =
  | { kind: "create"; number: 1; previous: null }
  | { kind: "rotate"; number: number; previous: string; reason: string }
  | { kind: "keep"; number: number };

/**
 * No generation yet: create generation 1. The server flags `rotation_needed` (a holder
 * was suspended, revoked or left) or the latest no longer verifies today: publish
 * n + 1, linked to n. Otherwise keep n.
 */
export function decideGroupKeyAction(
  verified: VerifiedGenerations,
  rotationNeeded: boolean,
): GroupKeyAction {
  const latest = verified.latest;
  if (latest === null) return { kind: "create", number: 1, previous: null };
  if (rotationNeeded || verified.latestUntrusted !== null) {
    return {
      kind: "rotate",
      number: latest.number + 1,
      previous: latest.digest,
      reason: verified.latestUntrusted ?? "rotation_needed",
    };
  }
  return { kind: "keep", number: latest.number };
}

const HOLDER_ROLES: readonly string[] = ["commercant", "operateur"];

/**
 * Who holds a scope's key: merchants read, operators send and grant. For a sector the
 * merchant must also belong to one of its shops, which only the server knows (a
 * certificate names the shop, not its sector): the device checks the role.
 */
export function holderRoles(_scope: string): readonly string[] {
  return HOLDER_ROLES;
}

/** A device as `GET …/pending` lists it (only `device` and `chain` are relied upon). */
export interface PendingDevice {
  device: string;
  chain: unknown;
  enc_public_key?: string;
}

export interface Grantee {
  device: string;
  /** From the verified certificate, never from the listing. */
  encKey: string;
  certificate: CertificateBody;
}

export interface RefusedDevice {
  device: string;
  code: string;
}

/**
 * The pending devices this operator device may wrap the key for: each chain verifies here
 * (pinned root, this commune, today's revocations), its leaf is that very device and
 * carries a holder role of the scope; the wrap goes to the certified `enc_key`. A listed
 * key that differs from the certificate's is refused (`wrong_device`), each device once;
 * `skip` names devices not to grant (this one, already served).
 */
export async function selectGrantees(
  pending: readonly PendingDevice[],
  trust: TrustContext,
  now: number,
  scope: string,
  skip: ReadonlySet<string> = new Set(),
): Promise<{ grantees: Grantee[]; refused: RefusedDevice[] }> {
  const grantees: Grantee[] = [];
  const refused: RefusedDevice[] = [];
  const seen = new Set<string>(skip);
  const roles = holderRoles(scope);
  for (const entry of pending) {
    const device = String(entry.device);
    if (seen.has(device)) continue;
    seen.add(device);
    try {
      const leaf = await verifyChain(
        parseChain(entry.chain),
        trust.rootPublicKey,
        trust.pinnedFingerprint,
        trust.commune,
        trust.revocations,
        now,
      );
      if (leaf.device !== device) throw new Refusal("wrong_device");
      if (!roles.includes(leaf.role)) throw new Refusal("not_allowed_recipient");
      if (entry.enc_public_key && entry.enc_public_key !== leaf.enc_key) {
        throw new Refusal("wrong_device");
      }
      grantees.push({ device, encKey: leaf.enc_key, certificate: leaf });
    } catch (error) {
      refused.push({ device, code: codeOf(error) });
    }
  }
  return { grantees, refused };
}

/**
 * The opener for generation `number` held as `key`: superseded at the issue of the next
 * generation this device verified (a broadcast sent later to the older one is refused).
 */
export function openerFor(
  docs: readonly GroupKeyDocument[],
  key: { scope: string; number: number; privateKey: CryptoKey; publicKey: string },
): GroupOpener {
  const next = docs.find((doc) => doc.number === key.number + 1);
  return {
    scope: key.scope,
    number: key.number,
    privateKey: key.privateKey,
    publicKey: key.publicKey,
    supersededAt: next ? next.issued_at : null,
  };
}

/**
 * The schema of tests/vectors/group-key-v1*.json, shared by the vector test and the
 * TypeScript generator (scripts/group-key-vectors.gen.ts).
 */

import type { GroupOpener } from "../src/envelope/broadcast";
import { EnvelopeError, type TrustContext } from "../src/envelope/envelope";
import { importX25519Private, x25519PublicOf } from "../src/envelope/hpke";
import { b64urlDecode } from "../src/trust/b64";
import { verifyRevocationList, type RevocationDocument, type SignedDocument } from "../src/trust/chain";
import type { DeviceFixture, Expect, VectorCase } from "./service-key-vector-types";

export type { Expect } from "./service-key-vector-types";

export interface GroupKeyCase extends VectorCase {
  wire: unknown;
  scope: string;
  last: SignedDocument | null;
  as_of_issue: boolean;
}

export interface GroupGrantCase extends VectorCase {
  grant: SignedDocument;
  granter_chain: SignedDocument[];
  group_key: unknown;
  scope: string;
  opener: string;
}

export interface BroadcastCase extends VectorCase {
  wire: unknown;
  attachments: string[];
  expected: { commune: string; scope: string; broadcast: string };
  opener: { group: string; superseded_at: number | null };
}

export interface GroupKeyVectors {
  version: number;
  generated_by: string;
  description: string;
  messages: Record<string, string>;
  commune: string;
  sector_scope: string;
  root: { public_key: string; fingerprint: string };
  revocations: RevocationDocument;
  now: number;
  issued_at: Record<string, number>;
  devices: Record<string, DeviceFixture>;
  groups: Record<string, string>;
  group_keys: GroupKeyCase[];
  grants: GroupGrantCase[];
  broadcasts: BroadcastCase[];
}

/** The trust context of a vector file (any of them: only its root and revocations count). */
export async function trust(
  vectors: Pick<GroupKeyVectors, "revocations" | "root" | "commune" | "now">,
): Promise<TrustContext> {
  const revocations = await verifyRevocationList(
    vectors.revocations,
    vectors.revocations.chain,
    vectors.root.public_key,
    vectors.root.fingerprint,
    vectors.commune,
    0,
    vectors.now,
  );
  return {
    rootPublicKey: vectors.root.public_key,
    pinnedFingerprint: vectors.root.fingerprint,
    commune: vectors.commune,
    revocations,
  };
}

export async function outcome(work: () => Promise<Record<string, unknown>>): Promise<Expect> {
  try {
    return { ok: true, ...(await work()) };
  } catch (error) {
    if (error instanceof EnvelopeError) return { ok: false, code: error.code };
    throw error;
  }
}

/** A held generation as a device keeps it: `<scope>:<number>` and its private key. */
export async function groupOpener(
  vectors: GroupKeyVectors,
  ref: string,
  supersededAt: number | null,
): Promise<GroupOpener> {
  const cut = ref.lastIndexOf(":");
  const privateKey = await importX25519Private(b64urlDecode(vectors.groups[ref]), true);
  return {
    scope: ref.slice(0, cut),
    number: Number(ref.slice(cut + 1)),
    privateKey,
    publicKey: await x25519PublicOf(privateKey),
    supersededAt,
  };
}


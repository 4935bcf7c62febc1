/**
 * A scope's broadcast group key as seen from one device (docs/envelope.md, "Broadcasts and
 * group keys"; the police service key's flow, police/serviceKeyFlow.ts, is the model).
 *
 * Every device that opens broadcasts first verifies the scope's generations 1..n
 * (keys.ts `verifyGenerations`, against what this browser verified before), then holds
 * the latest one's private half: kept from an earlier visit, or its grant fetched and
 * opened (the key must match the verified document). Older generations are fetched only
 * when a broadcast sealed to one of them is to be opened.
 *
 * An operator device, each time its console opens or something changes live:
 * 1. no generation yet: generates generation 1, publishes it with a grant to itself;
 * 2. `rotation_needed` (a holder was suspended, revoked or left) or a latest generation
 *    whose signer no longer verifies: publishes n + 1, linked to n;
 * 3. for every generation it holds, newest first, wraps the key for each pending device
 *    whose chain verifies here (a merchant or operator of the commune), so a merchant
 *    certified later reads the messages already sent.
 * A race with another operator ends in 409 on publication: the flow starts over once.
 *
 * Private halves never leave the browser unwrapped; they are kept by device/trustState.ts,
 * extractable on operator devices (they grant), not on the others.
 */

import { ApiError } from "../api";
import {
  forgetGroupKeysOfOtherDevices,
  heldGroupKeys,
  lastVerifiedGeneration,
  rememberGenerations,
  storeGroupKey,
  type HeldGroupKey,
} from "../device/trustState";
import type { GroupOpener } from "../envelope/broadcast";
import { EnvelopeError, type TrustContext } from "../envelope/envelope";
import {
  COMMUNE_SCOPE,
  generateGroupKey,
  issueGroupKey,
  openGroupGrant,
  parseGroupKeyDocument,
  sealGroupGrant,
  type GroupKeyDocument,
} from "../envelope/groupKey";
import { exportX25519Private, importX25519Private, x25519PublicOf } from "../envelope/hpke";
import { t } from "../i18n";
import {
  asFlowError,
  FlowError,
  loadDeviceContext,
  nowSeconds,
  verifiedRevocations,
  type DeviceContext,
} from "../incidents/context";
import { parseChain, parseSignedDocument, TrustError, type SignedDocument } from "../trust/chain";
import {
  getGroupKey,
  getGroupKeyGenerations,
  getGroupKeyGrant,
  getGroupKeyPending,
  postGroupKey,
  postGroupKeyGrants,
  type LatestGenerationOut,
} from "./api";
import {
  decideGroupKeyAction,
  openerFor,
  selectGrantees,
  verifyGenerations,
  type RefusedDevice,
  type VerifiedGenerations,
} from "./keys";

export const SCOPE = COMMUNE_SCOPE;

export type GroupKeyOutcome =
  /** No generation published yet (a merchant waits for an operator's console). */
  | { state: "none" }
  /** Generation `number` exists; no grant for this device yet. */
  | { state: "waiting"; number: number }
  /** This device just published generation `number` (first one, or a rotation). */
  | { state: "created"; number: number; granted: number; refused: RefusedDevice[]; holders: number | null }
  /** This device holds generation `number`. */
  | { state: "held"; number: number; granted: number; refused: RefusedDevice[]; holders: number | null };

/** What a device needs to open (and an operator to seal) broadcasts of one scope. */
export interface KeyRing {
  ctx: DeviceContext;
  trust: TrustContext;
  scope: string;
  generations: VerifiedGenerations;
  /** The opener for generation `number`; null when this device has no grant for it. */
  opener(number: number): Promise<GroupOpener | null>;
}

function trustOf(ctx: DeviceContext, revocations: TrustContext["revocations"]): TrustContext {
  return {
    rootPublicKey: ctx.rootPublicKey,
    pinnedFingerprint: ctx.pinnedFingerprint,
    commune: ctx.commune,
    revocations,
  };
}

const isOperator = (ctx: DeviceContext) => ctx.certificate.role === "operateur";

/** What a broadcast reaches: the server's count of merchant devices holding the latest. */
function holdersOf(latest: LatestGenerationOut | null): number | null {
  const raw = latest?.merchant_holders;
  return typeof raw === "number" && Number.isSafeInteger(raw) && raw >= 0 ? raw : null;
}

async function fetchLatest(scope: string): Promise<LatestGenerationOut | null> {
  try {
    return await getGroupKey(scope);
  } catch (error) {
    if (error instanceof ApiError && error.code === "no_group_key") return null;
    throw error;
  }
}

/** Generations 1..n verified and remembered; `expected` is the latest number served. */
async function verifiedChain(
  ctx: DeviceContext,
  trust: TrustContext,
  scope: string,
  expected: number | null,
  signal?: AbortSignal,
): Promise<VerifiedGenerations> {
  signal?.throwIfAborted();
  const served = expected === 0 ? [] : await getGroupKeyGenerations(scope);
  const known = await lastVerifiedGeneration(ctx.commune, scope);
  const generations = await verifyGenerations(served, trust, nowSeconds(), scope, known);
  // The listing must reach what the latest answer announced (or a race published more).
  if (expected !== null && expected > 0 && (generations.latest?.number ?? 0) < expected) {
    throw new EnvelopeError("wrong_group_key");
  }
  await rememberGenerations(generations.docs);
  return generations;
}

/**
 * Kept as extractable on operator devices (they wrap it for others); re-imported as
 * non-extractable on every other device, which only ever opens with it.
 */
async function keepable(ctx: DeviceContext, key: CryptoKey): Promise<CryptoKey> {
  if (isOperator(ctx)) return key;
  const raw = await exportX25519Private(key);
  try {
    return await importX25519Private(raw, false);
  } finally {
    raw.fill(0);
  }
}

/** This device's grant for generation `doc`, opened and kept; null when none exists yet. */
async function receiveGrant(
  ctx: DeviceContext,
  trust: TrustContext,
  doc: GroupKeyDocument,
): Promise<HeldGroupKey | null> {
  let raw;
  try {
    raw = await getGroupKeyGrant(doc.scope, doc.number);
  } catch (error) {
    if (error instanceof ApiError && (error.code === "no_grant" || error.status === 404)) {
      return null;
    }
    throw error;
  }
  if (Number(raw.number) !== doc.number) return null;
  const privateKey = await openGroupGrant(
    parseSignedDocument(raw.grant),
    parseChain(raw.granter_chain),
    ctx.deviceId,
    { privateKey: ctx.keys.encPrivate, publicKey: ctx.keys.encKey },
    doc,
    trust,
  );
  const held = {
    device: ctx.deviceId,
    commune: ctx.commune,
    scope: doc.scope,
    number: doc.number,
    publicKey: doc.key,
    privateKey: await keepable(ctx, privateKey),
  };
  await storeGroupKey(held);
  return { ...held, storedAt: Date.now() };
}

function makeRing(
  ctx: DeviceContext,
  trust: TrustContext,
  scope: string,
  generations: VerifiedGenerations,
  signal?: AbortSignal,
): KeyRing {
  // One grant request per generation per ring: a missing grant is not asked for again.
  const asked = new Map<number, Promise<HeldGroupKey | null>>();
  return {
    ctx,
    trust,
    scope,
    generations,
    async opener(number) {
      const doc = generations.docs[number - 1];
      if (!doc) return null;
      const held = (await heldGroupKeys(ctx.deviceId, ctx.commune, scope)).find(
        (key) => key.number === number && key.publicKey === doc.key,
      );
      let key: HeldGroupKey | null = held ?? null;
      if (!key) {
        signal?.throwIfAborted();
        if (!asked.has(number)) asked.set(number, receiveGrant(ctx, trust, doc));
        key = await asked.get(number)!;
      }
      return key ? openerFor(generations.docs, key) : null;
    },
  };
}

/** Publishes generation `number` linked to `previous`, granted to this device; kept here. */
async function publishGeneration(
  ctx: DeviceContext,
  scope: string,
  number: number,
  previous: string | null,
): Promise<GroupKeyDocument> {
  const pair = await generateGroupKey();
  const publicKey = await x25519PublicOf(pair.privateKey);
  const issuedAt = nowSeconds();
  const document = await issueGroupKey(ctx.keys.signPrivate, {
    commune: ctx.commune,
    scope,
    number,
    previous,
    publicKey,
    issuedAt,
    issuer: ctx.certificate.sign_key,
  });
  const selfGrant = await sealGroupGrant(ctx.keys.signPrivate, {
    commune: ctx.commune,
    scope,
    number,
    recipientDevice: ctx.deviceId,
    recipientKey: ctx.keys.encKey,
    groupPrivateKey: pair.privateKey,
    issuedAt,
    issuer: ctx.certificate.sign_key,
  });
  await postGroupKey(document, [selfGrant]);
  await storeGroupKey({
    device: ctx.deviceId,
    commune: ctx.commune,
    scope,
    number,
    publicKey,
    privateKey: pair.privateKey,
  });
  const doc = await parseGroupKeyDocument(document);
  await rememberGenerations([doc]);
  return doc;
}

/** Wraps each held generation for the pending devices whose chain verifies here. */
async function grantPending(
  ring: KeyRing,
  numbers: readonly number[],
  signal?: AbortSignal,
): Promise<{ granted: number; refused: RefusedDevice[] }> {
  const { ctx, trust, scope } = ring;
  const granted = new Set<string>();
  const refused = new Map<string, string>();
  for (const number of numbers) {
    const opener = await ring.opener(number);
    if (!opener) continue;
    signal?.throwIfAborted();
    const pending = await getGroupKeyPending(scope, number);
    if (pending.number !== number || pending.devices.length === 0) continue;
    const now = nowSeconds();
    const chosen = await selectGrantees(pending.devices, trust, now, scope, new Set([ctx.deviceId]));
    const grants: SignedDocument[] = [];
    for (const grantee of chosen.grantees) {
      grants.push(
        await sealGroupGrant(ctx.keys.signPrivate, {
          commune: ctx.commune,
          scope,
          number,
          recipientDevice: grantee.device,
          recipientKey: grantee.encKey,
          groupPrivateKey: opener.privateKey,
          issuedAt: now,
          issuer: ctx.certificate.sign_key,
        }),
      );
    }
    if (grants.length > 0) await postGroupKeyGrants(grants);
    chosen.grantees.forEach((g) => granted.add(g.device));
    for (const r of chosen.refused) if (!refused.has(r.device)) refused.set(r.device, r.code);
  }
  return {
    granted: granted.size,
    refused: [...refused].map(([device, code]) => ({ device, code })),
  };
}

async function operatorOnce(
  ctx: DeviceContext,
  scope: string,
  signal?: AbortSignal,
): Promise<{ ring: KeyRing; outcome: GroupKeyOutcome }> {
  const trust = trustOf(ctx, await verifiedRevocations(ctx));
  signal?.throwIfAborted();
  const latest = await fetchLatest(scope);
  let generations = await verifiedChain(ctx, trust, scope, latest?.number ?? 0, signal);
  const action = decideGroupKeyAction(generations, latest?.rotation_needed === true);
  let state: "created" | "held" = "held";
  if (action.kind !== "keep") {
    const doc = await publishGeneration(ctx, scope, action.number, action.previous);
    generations = { docs: [...generations.docs, doc], latest: doc, latestUntrusted: null };
    state = "created";
  }
  const ring = makeRing(ctx, trust, scope, generations, signal);
  const number = generations.latest!.number;
  if (!(await ring.opener(number))) return { ring, outcome: { state: "waiting", number } };
  const numbers = generations.docs.map((d) => d.number).reverse();
  const shared = await grantPending(ring, numbers, signal);
  // The count as it stands after this run's publication and grants.
  const counted = state === "held" && shared.granted === 0 ? latest : await fetchLatest(scope);
  const holders = counted?.number === number ? holdersOf(counted) : null;
  return { ring, outcome: { state, number, ...shared, holders } };
}

async function holderOnce(
  ctx: DeviceContext,
  scope: string,
  signal?: AbortSignal,
): Promise<{ ring: KeyRing; outcome: GroupKeyOutcome }> {
  const trust = trustOf(ctx, await verifiedRevocations(ctx));
  const generations = await verifiedChain(ctx, trust, scope, null, signal);
  const ring = makeRing(ctx, trust, scope, generations, signal);
  const latest = generations.latest;
  if (latest === null) return { ring, outcome: { state: "none" } };
  if (!(await ring.opener(latest.number))) {
    return { ring, outcome: { state: "waiting", number: latest.number } };
  }
  return {
    ring,
    outcome: { state: "held", number: latest.number, granted: 0, refused: [], holders: null },
  };
}

/**
 * Runs the lifecycle for this device: an operator device manages the key (create, rotate,
 * grant), any other holder receives it. FlowError in French on failure; `signal` stops it
 * between two requests (the page was left), with the signal's reason.
 */
export async function runGroupKeyFlow(
  commune: string,
  scope: string = SCOPE,
  signal?: AbortSignal,
): Promise<{ ring: KeyRing; outcome: GroupKeyOutcome }> {
  try {
    const ctx = await loadDeviceContext(commune);
    signal?.throwIfAborted();
    await forgetGroupKeysOfOtherDevices(ctx.deviceId);
    if (!isOperator(ctx)) return await holderOnce(ctx, scope, signal);
    try {
      return await operatorOnce(ctx, scope, signal);
    } catch (error) {
      // Another operator published the same generation first: take theirs.
      if (error instanceof ApiError && error.status === 409) {
        return await operatorOnce(ctx, scope, signal);
      }
      throw error;
    }
  } catch (error) {
    if (signal?.aborted) throw error;
    if (error instanceof EnvelopeError || error instanceof TrustError) {
      const flow = asFlowError(error);
      throw new FlowError(flow.code, t("broadcast.keyRefused", { reason: flow.message }));
    }
    throw asFlowError(error);
  }
}

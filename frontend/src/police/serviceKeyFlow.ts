/**
 * The police service key as seen from one operator device (docs/envelope.md, "Police
 * service key"), run each time the console opens:
 *
 * 1. no generation yet: this device generates generation 1, signs the document, grants it
 *    to itself and publishes both (the server takes one generation n + 1 only: a race
 *    with another operator ends in 409, and we start over once);
 * 2. otherwise the published document is verified (pinned root, operator signer, not
 *    older than what this browser verified); a device without the private key fetches its
 *    grant and opens it (the key must match the verified document);
 * 3. when the server flags `rotation_needed` (a holder was revoked or suspended) or the
 *    document's signer no longer verifies, this device publishes generation n + 1;
 * 4. holding the latest generation, the device also fetches its grants for OLDER
 *    generations it lacks (content sealed before a rotation stays wrapped to them): each
 *    document is verified as of its issue (its signer may be revoked since, often the
 *    very reason for the rotation), each grant opened against it;
 * 5. for every generation it holds, the device wraps the key for each pending operator
 *    device whose chain verifies here (role `operateur`, certificate for that very
 *    device), so a device approved after a rotation reads the whole history.
 *
 * The private key never leaves the browser unwrapped; it is kept by trustState.ts.
 */

import {
  ApiError,
  getServiceKey,
  getServiceKeyGrant,
  getServiceKeyPending,
  postServiceKey,
  postServiceKeyGrants,
  type GrantOut,
} from "../api";
import {
  generateServiceKey,
  issueServiceKey,
  openGrant,
  sealGrant,
  verifyServiceKey,
  type ServiceKeyDocument,
} from "../envelope/serviceKey";
import { EnvelopeError, type TrustContext } from "../envelope/envelope";
import {
  heldServiceKey,
  heldServiceKeys,
  saveTrustState,
  storeServiceKey,
  forgetServiceKeysOfOtherDevices,
  type HeldServiceKey,
} from "../device/trustState";
import { x25519PublicOf } from "../envelope/hpke";
import { t } from "../i18n";
import {
  parseChain,
  parseSignedDocument,
  TrustError,
  verifyChain,
  type SignedDocument,
} from "../trust/chain";
import {
  asFlowError,
  FlowError,
  loadDeviceContext,
  nowSeconds,
  trustStateFor,
  verifiedRevocations,
  type DeviceContext,
} from "../incidents/context";

/**
 * `granted` counts the pending devices that received at least one generation, `refused`
 * those refused (once per device); `history` lists the older generations this device
 * holds, `historyRefused` those whose grant or document failed verification here.
 */
export type ServiceKeyOutcome =
  /** This device just published generation `number` (first one, or a rotation). */
  | ({ state: "created"; number: number } & Shared)
  /** This device holds generation `number`. */
  | ({ state: "held"; number: number } & Shared)
  /** Generation `number` exists but no operator device granted it to this one yet. */
  | { state: "waiting"; number: number };

interface Shared {
  granted: number;
  refused: RefusedGrant[];
  history: number[];
  historyRefused: RefusedGeneration[];
}

export interface RefusedGrant {
  device: string;
  code: string;
}

export interface RefusedGeneration {
  number: number;
  code: string;
}

interface PublishedKey {
  number: number;
  body: string;
  signature: string;
  chain: SignedDocument[];
  rotation_needed: boolean;
}

function trustOf(ctx: DeviceContext, revocations: TrustContext["revocations"]): TrustContext {
  return {
    rootPublicKey: ctx.rootPublicKey,
    pinnedFingerprint: ctx.pinnedFingerprint,
    commune: ctx.commune,
    revocations,
  };
}

/** The latest generation, or generation `number`; null when there is none. */
async function fetchPublished(number?: number): Promise<PublishedKey | null> {
  try {
    const raw = await getServiceKey(number);
    const doc = parseSignedDocument(raw);
    return {
      number: Number(raw.number),
      body: doc.body,
      signature: doc.signature,
      chain: parseChain(raw.chain),
      rotation_needed: raw.rotation_needed === true,
    };
  } catch (error) {
    if (error instanceof ApiError && error.code === "no_service_key") return null;
    throw error;
  }
}

/** Publishes generation `number` with a grant to this device, and keeps the private key. */
async function publishGeneration(ctx: DeviceContext, number: number): Promise<void> {
  const pair = await generateServiceKey();
  const publicKey = await x25519PublicOf(pair.privateKey);
  const issuedAt = nowSeconds();
  const document = await issueServiceKey(ctx.keys.signPrivate, {
    commune: ctx.commune,
    number,
    publicKey,
    issuedAt,
    issuer: ctx.certificate.sign_key,
  });
  const selfGrant = await sealGrant(ctx.keys.signPrivate, {
    commune: ctx.commune,
    number,
    recipientDevice: ctx.deviceId,
    recipientKey: ctx.keys.encKey,
    servicePrivateKey: pair.privateKey,
    issuedAt,
    issuer: ctx.certificate.sign_key,
  });
  await postServiceKey(document, [selfGrant]);
  await storeServiceKey({
    device: ctx.deviceId,
    commune: ctx.commune,
    number,
    publicKey,
    privateKey: pair.privateKey,
  });
}

/** This device's grant for generation `number` as the server keeps it; null if none. */
async function fetchMyGrant(number: number): Promise<GrantOut | null> {
  let raw: GrantOut;
  try {
    raw = await getServiceKeyGrant(number);
  } catch (error) {
    if (error instanceof ApiError && error.code === "no_grant") return null;
    throw error;
  }
  return Number(raw.number) === number ? raw : null;
}

/** Fetches and opens this device's grant for `doc`; null when none was made yet. */
async function fetchGrant(
  ctx: DeviceContext,
  doc: ServiceKeyDocument,
  trust: TrustContext,
): Promise<HeldServiceKey | null> {
  const raw = await fetchMyGrant(doc.number);
  if (raw === null) return null;
  const privateKey = await openGrant(
    parseSignedDocument(raw.grant),
    parseChain(raw.granter_chain),
    ctx.deviceId,
    { privateKey: ctx.keys.encPrivate, publicKey: ctx.keys.encKey },
    doc,
    trust,
    nowSeconds(),
  );
  const held = {
    device: ctx.deviceId,
    commune: ctx.commune,
    number: doc.number,
    publicKey: doc.key,
    privateKey,
  };
  await storeServiceKey(held);
  return { ...held, storedAt: Date.now() };
}

/**
 * Older generations this device lacks: its grant first (most devices have none to
 * receive), then the document, verified as of its issue, then the grant opened against
 * it. A generation that fails verification is reported and skipped, so a bad old grant
 * cannot keep an operator from the current key; server failures still propagate.
 */
async function receiveHistory(
  ctx: DeviceContext,
  latest: number,
  trust: TrustContext,
): Promise<RefusedGeneration[]> {
  const refused: RefusedGeneration[] = [];
  for (let number = latest - 1; number >= 1; number--) {
    if (await heldServiceKey(ctx.deviceId, ctx.commune, number)) continue;
    const grant = await fetchMyGrant(number);
    if (grant === null) continue;
    const published = await fetchPublished(number);
    if (published === null) continue;
    try {
      const doc = await verifyServiceKey(
        { body: published.body, signature: published.signature, chain: published.chain },
        trust,
        nowSeconds(),
        0,
        { asOfIssue: true },
      );
      if (doc.number !== number) throw new EnvelopeError("wrong_service_key");
      const privateKey = await openGrant(
        parseSignedDocument(grant.grant),
        parseChain(grant.granter_chain),
        ctx.deviceId,
        { privateKey: ctx.keys.encPrivate, publicKey: ctx.keys.encKey },
        doc,
        trust,
        nowSeconds(),
      );
      await storeServiceKey({
        device: ctx.deviceId,
        commune: ctx.commune,
        number,
        publicKey: doc.key,
        privateKey,
      });
    } catch (error) {
      if (!(error instanceof EnvelopeError || error instanceof TrustError)) throw error;
      refused.push({ number, code: error.code });
    }
  }
  return refused;
}

/** Wraps the held key for each pending operator device whose chain verifies here. */
async function grantPending(
  ctx: DeviceContext,
  held: HeldServiceKey,
  trust: TrustContext,
): Promise<{ granted: string[]; refused: RefusedGrant[] }> {
  const raw = await getServiceKeyPending(held.number);
  if (raw.number !== held.number || !Array.isArray(raw.devices) || raw.devices.length === 0) {
    return { granted: [], refused: [] };
  }
  const grants: SignedDocument[] = [];
  const granted: string[] = [];
  const refused: RefusedGrant[] = [];
  const now = nowSeconds();
  for (const entry of raw.devices) {
    try {
      const leaf = await verifyChain(
        parseChain(entry.chain),
        ctx.rootPublicKey,
        ctx.pinnedFingerprint,
        ctx.commune,
        trust.revocations,
        now,
      );
      if (leaf.device !== entry.device) throw new FlowError("wrong_device", "");
      if (leaf.role !== "operateur") throw new FlowError("not_allowed_recipient", "");
      grants.push(
        await sealGrant(ctx.keys.signPrivate, {
          commune: ctx.commune,
          number: held.number,
          recipientDevice: leaf.device,
          recipientKey: leaf.enc_key,
          servicePrivateKey: held.privateKey,
          issuedAt: now,
          issuer: ctx.certificate.sign_key,
        }),
      );
      granted.push(leaf.device);
    } catch (error) {
      const code =
        error instanceof TrustError || error instanceof FlowError ? error.code : "malformed";
      refused.push({ device: String(entry.device), code });
    }
  }
  if (grants.length > 0) await postServiceKeyGrants(grants);
  return { granted, refused };
}

/**
 * Once the latest generation is held: receive the older ones, then pass every held
 * generation (newest first) to the pending operator devices.
 */
async function shareHistory(
  ctx: DeviceContext,
  latest: number,
  trust: TrustContext,
): Promise<Shared> {
  const historyRefused = await receiveHistory(ctx, latest, trust);
  const held = (await heldServiceKeys(ctx.deviceId, ctx.commune)).filter(
    (key) => key.number <= latest,
  );
  const granted = new Set<string>();
  const refused = new Map<string, string>();
  for (const key of held) {
    const outcome = await grantPending(ctx, key, trust);
    outcome.granted.forEach((device) => granted.add(device));
    for (const r of outcome.refused) if (!refused.has(r.device)) refused.set(r.device, r.code);
  }
  return {
    granted: granted.size,
    refused: [...refused].map(([device, code]) => ({ device, code })),
    history: held.map((key) => key.number).filter((number) => number < latest),
    historyRefused,
  };
}

async function runOnce(ctx: DeviceContext): Promise<ServiceKeyOutcome> {
  const trust = trustOf(ctx, await verifiedRevocations(ctx));
  const published = await fetchPublished();
  if (published === null) {
    await publishGeneration(ctx, 1);
    await saveTrustState({ ...(await trustStateFor(ctx)), lastServiceKeyNumber: 1 });
    return { state: "created", number: 1, ...(await shareHistory(ctx, 1, trust)) };
  }

  const state = await trustStateFor(ctx);
  let doc: ServiceKeyDocument | null = null;
  try {
    doc = await verifyServiceKey(
      { body: published.body, signature: published.signature, chain: published.chain },
      trust,
      nowSeconds(),
      state.lastServiceKeyNumber,
    );
  } catch (error) {
    // A signer revoked since: the generation is compromised, replace it.
    if ((error as { code?: string }).code !== "revoked") throw error;
  }
  if (doc === null || published.rotation_needed) {
    const next = Math.max(published.number, doc?.number ?? 0) + 1;
    await publishGeneration(ctx, next);
    await saveTrustState({ ...state, lastServiceKeyNumber: next });
    return { state: "created", number: next, ...(await shareHistory(ctx, next, trust)) };
  }
  await saveTrustState({ ...state, lastServiceKeyNumber: doc.number });

  let held = await heldServiceKey(ctx.deviceId, ctx.commune, doc.number);
  if (held && held.publicKey !== doc.key) held = null;
  held ??= await fetchGrant(ctx, doc, trust);
  if (!held) return { state: "waiting", number: doc.number };
  return { state: "held", number: doc.number, ...(await shareHistory(ctx, doc.number, trust)) };
}

/** Runs the lifecycle for this operator device; FlowError in French on failure. */
export async function runServiceKeyFlow(commune: string): Promise<ServiceKeyOutcome> {
  try {
    const ctx = await loadDeviceContext(commune);
    if (ctx.certificate.role !== "operateur") {
      throw new FlowError("not_operator", t("console.notOperator"));
    }
    await forgetServiceKeysOfOtherDevices(ctx.deviceId);
    try {
      return await runOnce(ctx);
    } catch (error) {
      // Another operator published the same generation first: take theirs.
      if (error instanceof ApiError && error.status === 409) return await runOnce(ctx);
      throw error;
    }
  } catch (error) {
    throw asFlowError(error);
  }
}

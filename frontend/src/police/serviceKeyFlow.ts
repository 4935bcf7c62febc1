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
 * 3. a device holding the key wraps it for every pending operator device whose chain
 *    verifies here (role `operateur`, certificate for that very device);
 * 4. when the server flags `rotation_needed` (a holder was revoked or suspended) or the
 *    document's signer no longer verifies, this device publishes generation n + 1.
 *
 * The private key never leaves the browser unwrapped; it is kept by trustState.ts.
 */

import { api, ApiError } from "../api";
import {
  generateServiceKey,
  issueServiceKey,
  openGrant,
  sealGrant,
  verifyServiceKey,
  type ServiceKeyDocument,
} from "../envelope/serviceKey";
import type { TrustContext } from "../envelope/envelope";
import {
  heldServiceKey,
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

export type ServiceKeyOutcome =
  /** This device just published generation `number` (first one, or a rotation). */
  | { state: "created"; number: number; granted: number; refused: RefusedGrant[] }
  /** This device holds generation `number` and granted it to `granted` pending devices. */
  | { state: "held"; number: number; granted: number; refused: RefusedGrant[] }
  /** Generation `number` exists but no operator device granted it to this one yet. */
  | { state: "waiting"; number: number };

export interface RefusedGrant {
  device: string;
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

async function fetchPublished(): Promise<PublishedKey | null> {
  try {
    const raw = await api.get<Record<string, unknown>>("/trust/service-key");
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
  await api.post("/trust/service-keys", { document, grants: [selfGrant] });
  await storeServiceKey({
    device: ctx.deviceId,
    commune: ctx.commune,
    number,
    publicKey,
    privateKey: pair.privateKey,
  });
}

/** Fetches and opens this device's grant for `doc`; null when none was made yet. */
async function fetchGrant(
  ctx: DeviceContext,
  doc: ServiceKeyDocument,
  trust: TrustContext,
): Promise<HeldServiceKey | null> {
  let raw: Record<string, unknown>;
  try {
    raw = await api.get<Record<string, unknown>>("/trust/service-key/grant");
  } catch (error) {
    if (error instanceof ApiError && error.code === "no_grant") return null;
    throw error;
  }
  if (Number(raw.number) !== doc.number) return null;
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

/** Wraps the held key for each pending operator device whose chain verifies here. */
async function grantPending(
  ctx: DeviceContext,
  held: HeldServiceKey,
  trust: TrustContext,
): Promise<{ granted: number; refused: RefusedGrant[] }> {
  const raw = await api.get<{ number: number; devices: { device: string; chain: unknown }[] }>(
    "/trust/service-key/pending",
  );
  if (raw.number !== held.number || !Array.isArray(raw.devices) || raw.devices.length === 0) {
    return { granted: 0, refused: [] };
  }
  const grants: SignedDocument[] = [];
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
    } catch (error) {
      const code =
        error instanceof TrustError || error instanceof FlowError ? error.code : "malformed";
      refused.push({ device: String(entry.device), code });
    }
  }
  if (grants.length > 0) await api.post("/trust/service-key/grants", { grants });
  return { granted: grants.length, refused };
}

async function runOnce(ctx: DeviceContext): Promise<ServiceKeyOutcome> {
  const trust = trustOf(ctx, await verifiedRevocations(ctx));
  const published = await fetchPublished();
  if (published === null) {
    await publishGeneration(ctx, 1);
    await saveTrustState({ ...(await trustStateFor(ctx)), lastServiceKeyNumber: 1 });
    return { state: "created", number: 1, granted: 0, refused: [] };
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
    const held = await heldServiceKey(ctx.deviceId, ctx.commune, next);
    const granted = held ? await grantPending(ctx, held, trust) : { granted: 0, refused: [] };
    return { state: "created", number: next, ...granted };
  }
  await saveTrustState({ ...state, lastServiceKeyNumber: doc.number });

  let held = await heldServiceKey(ctx.deviceId, ctx.commune, doc.number);
  if (held && held.publicKey !== doc.key) held = null;
  held ??= await fetchGrant(ctx, doc, trust);
  if (!held) return { state: "waiting", number: doc.number };
  return { state: "held", number: doc.number, ...(await grantPending(ctx, held, trust)) };
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

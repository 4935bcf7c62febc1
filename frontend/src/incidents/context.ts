/**
 * This device as a sender or reader of sealed envelopes: its keys, its own certificate
 * chain, the commune root checked against the pinned fingerprint, and the revocation list
 * verified against what this browser already saw. Nothing here trusts the server's word:
 * the root must match the pin, the list must verify and must not go backwards.
 */

import { ApiError, describeError, getDeviceChain, getRevocations, getRoot } from "../api";
import { getPinnedRoot, getPublicId, loadDeviceKeys, type DeviceKeys } from "../device/keystore";
import {
  acceptRevocationList,
  loadTrustState,
  type TrustState,
} from "../device/trustState";
import { getLang, hasMessage, t, type MessageKey } from "../i18n";
import {
  fingerprint,
  parseCertificate,
  parseChain,
  TrustError,
  type CertificateBody,
  type RevocationList,
  type SignedDocument,
} from "../trust/chain";
import { b64urlDecode } from "../trust/b64";

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A failure the person must read: stable code, sentence in their language. */
export class FlowError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "FlowError";
    this.code = code;
  }
}

/**
 * Any error as a FlowError. Envelope and trust errors carry French sentences; in English
 * the catalogue's `incident.error.<code>` or `trust.<code>` replaces them when known.
 */
export function asFlowError(error: unknown): FlowError {
  if (error instanceof FlowError) return error;
  const code =
    error instanceof ApiError || error instanceof TrustError
      ? error.code
      : typeof (error as { code?: unknown } | null)?.code === "string"
        ? (error as { code: string }).code
        : "error";
  let message =
    error instanceof ApiError
      ? describeError(error)
      : error instanceof Error && error.message
        ? error.message
        : t("error.generic");
  if (getLang() !== "fr") {
    const nextAt = limitNextAt(error);
    for (const key of [`incident.error.${code}`, `trust.${code}`]) {
      if (hasMessage(key)) {
        message = t(key as MessageKey);
        break;
      }
    }
    // An alert limit: the server's French sentence gives the time; so must the English one.
    if (nextAt) message = t("incident.error.rateLimitedAt", { time: nextAt });
  }
  return new FlowError(code, message);
}

/** « HH:MM » of a 429's `next_at` (an alert limit, incidents/alert_limits.py), if any. */
function limitNextAt(error: unknown): string | null {
  if (!(error instanceof ApiError) || error.code !== "rate_limited") return null;
  const body = error.body as { next_at?: unknown } | null;
  if (!body || typeof body.next_at !== "string") return null;
  const at = new Date(body.next_at);
  if (Number.isNaN(at.getTime())) return null;
  return at.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
}

/** The sentence for a bare code (a refused recipient's reason), in the reader's language. */
export function messageForCode(code: string): string {
  for (const key of [`incident.error.${code}`, `trust.${code}`]) {
    if (hasMessage(key)) return t(key as MessageKey);
  }
  return t("error.generic");
}

export interface DeviceContext {
  keys: DeviceKeys;
  deviceId: string;
  commune: string;
  rootPublicKey: string;
  pinnedFingerprint: string;
  /** Own chain, leaf first, as the server holds it; the leaf must carry our own keys. */
  chain: SignedDocument[];
  certificate: CertificateBody;
}

/** Loads this device's keys, its chain and the pinned root; refuses a root that differs. */
export async function loadDeviceContext(commune: string): Promise<DeviceContext> {
  const keys = await loadDeviceKeys();
  const deviceId = await getPublicId();
  if (!keys || !deviceId) throw new FlowError("no_device", t("incident.error.no_device"));
  const pinned = await getPinnedRoot();
  if (!pinned) throw new FlowError("no_root", t("certify.noRoot"));
  const root = await getRoot();
  let rootFingerprint: string;
  try {
    rootFingerprint = await fingerprint(b64urlDecode(root.public_key));
  } catch (error) {
    throw asFlowError(error);
  }
  if (rootFingerprint !== pinned.fingerprint) {
    throw asFlowError(new TrustError("root_mismatch"));
  }
  let chain: SignedDocument[];
  try {
    chain = parseChain(await getDeviceChain(deviceId));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      throw new FlowError("not_certified", t("incident.error.not_certified"));
    }
    throw asFlowError(error);
  }
  if (chain.length === 0) throw new FlowError("not_certified", t("incident.error.not_certified"));
  const certificate = parseCertificate(chain[0]);
  if (
    certificate.device !== deviceId ||
    certificate.sign_key !== keys.signKey ||
    certificate.enc_key !== keys.encKey
  ) {
    throw new FlowError("not_ours", t("certify.notOurs"));
  }
  return {
    keys,
    deviceId,
    commune,
    rootPublicKey: root.public_key,
    pinnedFingerprint: pinned.fingerprint,
    chain,
    certificate,
  };
}

export async function trustStateFor(ctx: DeviceContext): Promise<TrustState> {
  return loadTrustState(ctx.commune, ctx.rootPublicKey, ctx.pinnedFingerprint);
}

/** The latest revocation list, checked and remembered by device/trustState.ts. */
export async function verifiedRevocations(ctx: DeviceContext): Promise<RevocationList> {
  try {
    return await acceptRevocationList(await getRevocations(), ctx, nowSeconds());
  } catch (error) {
    throw asFlowError(error);
  }
}

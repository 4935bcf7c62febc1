/**
 * Sending agents from the console (docs/envelope.md, « Dispatch: content-key grants »),
 * apart from its screen: the rows of the « Envoyer un agent » panel, the agents' statuses
 * in words, and the grants. The server says which agents and devices there are; this
 * device believes only what it verifies: each device's chain up to the pinned root, with
 * the verified revocation list, an `agent` leaf for that very device. Its key then comes
 * from the leaf, and every message's content key K (kept in memory when the console
 * opened the report, incidents/read.ts) is sealed to it and signed by this device.
 */

import {
  getDispatchCandidates,
  postClusterDispatch,
  type DispatchCandidate,
  type DispatchCandidates,
  type DispatchSummary,
} from "../incidents/api";
import { sealContentKeyGrant } from "../envelope/contentGrant";
import {
  FlowError,
  loadDeviceContext,
  messageForCode,
  nowSeconds,
  verifiedRevocations,
} from "../incidents/context";
import { outcomeLabel, type Outcome, OUTCOMES } from "../incidents/lifecycle";
import { readIncident, type MessageView } from "../incidents/read";
import { t, type MessageKey } from "../i18n";
import {
  parseChain,
  verifyChain,
  TrustError,
  type RevocationList,
  type SignedDocument,
} from "../trust/chain";

/** The key shown on the « Envoyer un agent » button and announced (`aria-keyshortcuts`). */
export const DISPATCH_KEY = "a";

/** One agent in the panel: whether it can be chosen, and why not. */
export interface AgentRow {
  agent: string;
  name: string;
  /** « disponible », « sur 2 autre(s) signalement(s) », « déjà envoyé (en route) »… */
  availability: string;
  disabled: boolean;
}

/** Active here (sent, not released): it cannot be sent again until it is done. */
export const activeHere = (dispatch: DispatchSummary | null): boolean =>
  dispatch !== null && dispatch.releasedAt === null;

export function availabilityLabel(candidate: DispatchCandidate): string {
  if (activeHere(candidate.dispatch)) {
    return t("dispatch.alreadySent", { status: dispatchStatusLabel(candidate.dispatch!) });
  }
  if (candidate.devices.length === 0) return t("dispatch.noDevice");
  if (candidate.activeElsewhere > 0) {
    return t("dispatch.busyElsewhere", { count: candidate.activeElsewhere });
  }
  return t("dispatch.available");
}

/** The panel's rows, in the server's order (by name). */
export function agentRows(candidates: DispatchCandidates): AgentRow[] {
  return candidates.agents.map((candidate) => ({
    agent: candidate.agent,
    name: candidate.name,
    availability: availabilityLabel(candidate),
    disabled: activeHere(candidate.dispatch) || candidate.devices.length === 0,
  }));
}

/** « envoyé », « en route », « sur place », « terminé — interpellation ». */
export function dispatchStatusLabel(dispatch: Pick<DispatchSummary, "status" | "outcome">): string {
  const status = t(`dispatch.status.${dispatch.status}` as MessageKey);
  if (dispatch.status !== "done" || !dispatch.outcome) return status;
  const outcome = (OUTCOMES as readonly string[]).includes(dispatch.outcome)
    ? outcomeLabel(dispatch.outcome as Outcome)
    : dispatch.outcome;
  return t("dispatch.doneWith", { status, outcome: outcome.toLocaleLowerCase() });
}

/** The content key of every opened message, by message id (never stored). */
export function contentKeys(messages: readonly MessageView[]): Map<string, Uint8Array> {
  const keys = new Map<string, Uint8Array>();
  for (const view of messages) if (view.opened) keys.set(view.id, view.opened.contentKey);
  return keys;
}

/** The messages the server will want grants for and this device could not open. */
export function missingKeys(
  candidates: DispatchCandidates,
  keys: ReadonlyMap<string, Uint8Array>,
): string[] {
  return candidates.messages.filter((message) => !keys.has(message));
}

export interface GrantingDevice {
  commune: string;
  rootPublicKey: string;
  pinnedFingerprint: string;
  /** This device's Ed25519 private key and its public half (b64url, as in its certificate). */
  signPrivate: CryptoKey;
  signKey: string;
}

/**
 * One grant per (message, certified device) of the chosen agents, for the server's list of
 * messages. Refuses it all (`FlowError`, in words) when a message was not opened here or
 * a device does not verify as that agent's: the server takes every grant or none.
 */
export async function buildGrants(
  device: GrantingDevice,
  revocations: RevocationList,
  candidates: DispatchCandidates,
  chosen: readonly string[],
  keys: ReadonlyMap<string, Uint8Array>,
  now: number,
): Promise<SignedDocument[]> {
  if (chosen.length === 0) throw new FlowError("agents_required", t("dispatch.chooseOne"));
  if (missingKeys(candidates, keys).length > 0) {
    throw new FlowError("missing_key", t("dispatch.missingKey"));
  }
  const grants: SignedDocument[] = [];
  for (const id of chosen) {
    const candidate = candidates.agents.find((a) => a.agent === id);
    if (!candidate) throw new FlowError("not_an_agent", t("incident.error.not_an_agent"));
    if (candidate.devices.length === 0) {
      throw new FlowError("agent_without_device", t("dispatch.noDeviceFor", { name: candidate.name }));
    }
    for (const entry of candidate.devices) {
      const recipientKey = await agentDeviceKey(device, revocations, candidate, entry, now);
      for (const message of candidates.messages) {
        grants.push(
          await grantOne(device, candidates.incident, message, entry.device, recipientKey, keys, now),
        );
      }
    }
  }
  return grants;
}

/** The encryption key of an agent's device, from its chain verified here (else refused). */
async function agentDeviceKey(
  device: GrantingDevice,
  revocations: RevocationList,
  candidate: DispatchCandidate,
  entry: DispatchCandidate["devices"][number],
  now: number,
): Promise<string> {
  try {
    const leaf = await verifyChain(
      parseChain(entry.chain),
      device.rootPublicKey,
      device.pinnedFingerprint,
      device.commune,
      revocations,
      now,
    );
    if (leaf.device !== entry.device) throw new TrustError("malformed");
    if (leaf.role !== "agent") throw new FlowError("not_allowed_recipient", "");
    return leaf.enc_key;
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    const reason = messageForCode(typeof code === "string" ? code : "malformed");
    throw new FlowError(
      typeof code === "string" ? code : "malformed",
      t("dispatch.deviceRefused", { name: candidate.name, reason }),
    );
  }
}

function grantOne(
  device: GrantingDevice,
  incident: string,
  message: string,
  recipientDevice: string,
  recipientKey: string,
  keys: ReadonlyMap<string, Uint8Array>,
  now: number,
): Promise<SignedDocument> {
  return sealContentKeyGrant(device.signPrivate, {
    commune: device.commune,
    incident,
    message,
    recipientDevice,
    recipientKey,
    contentKey: keys.get(message)!,
    issuedAt: now,
    issuer: device.signKey,
  });
}

/**
 * The grants for exactly what the server lists as `missing` (a device an agent certified
 * since its dispatch): each device verified as that agent's, each key one this console
 * opened. Empty when nothing is missing or a key is not held here.
 */
export async function buildMissingGrants(
  device: GrantingDevice,
  revocations: RevocationList,
  candidates: DispatchCandidates,
  keys: ReadonlyMap<string, Uint8Array>,
  now: number,
): Promise<SignedDocument[]> {
  if (candidates.missing.some((pair) => !keys.has(pair.message))) return [];
  const grants: SignedDocument[] = [];
  const verified = new Map<string, string>();
  for (const pair of candidates.missing) {
    let key = verified.get(pair.device);
    if (key === undefined) {
      const candidate = candidates.agents.find((a) => a.devices.some((d) => d.device === pair.device));
      const entry = candidate?.devices.find((d) => d.device === pair.device);
      if (!candidate || !entry) return [];
      key = await agentDeviceKey(device, revocations, candidate, entry, now);
      verified.set(pair.device, key);
    }
    grants.push(await grantOne(device, candidates.incident, pair.message, pair.device, key, keys, now));
  }
  return grants;
}

/**
 * « Envoyer un agent pour tout le regroupement »: each report of the cluster is read and
 * opened on this device (its keys), then granted to the chosen agents' devices, as one
 * dispatch of a single report would be; the server sends them to every report it may.
 */
export async function dispatchCluster(
  commune: string,
  cluster: string,
  incidents: readonly string[],
  agents: readonly string[],
): Promise<number> {
  const ctx = await loadDeviceContext(commune);
  const revocations = await verifiedRevocations(ctx);
  const device: GrantingDevice = {
    commune: ctx.commune,
    rootPublicKey: ctx.rootPublicKey,
    pinnedFingerprint: ctx.pinnedFingerprint,
    signPrivate: ctx.keys.signPrivate,
    signKey: ctx.certificate.sign_key,
  };
  const grants: SignedDocument[] = [];
  for (const incident of incidents) {
    const candidates = await getDispatchCandidates(incident);
    const keys = contentKeys(await readIncident(incident, ctx));
    grants.push(...(await buildGrants(device, revocations, candidates, agents, keys, nowSeconds())));
  }
  return (await postClusterDispatch(cluster, [...agents], grants)).length;
}

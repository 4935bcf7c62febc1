/**
 * Calls to the incidents endpoints. Sealed envelopes go up as multipart (the JSON wire
 * envelope as a form field, each sealed attachment as a file) because attachments are raw
 * bytes of up to 3 MiB. The server only ever sees sealed bytes here. Transport: api.ts.
 */

import { getBytes, postForm, request, seg } from "../api";
import type { WireEnvelope } from "../envelope/envelope";
import type { SignedDocument } from "../trust/chain";
import { normaliseLifecycle, type Lifecycle, type StepRoute } from "./lifecycle";

export interface IncidentSummary {
  id: string;
  commune: string;
  shop: { id: string; enseigne: string };
  reportedBy: string;
  createdAt: string;
  messages: number;
  /** Clear metadata (Contract 1); null/empty on incidents stored before it. */
  category?: { slug: string; label: string } | null;
  severity?: string | null;
  neighbours?: boolean;
  photos?: number;
  /** Arrived while the police was off duty or had no operator connected (maillage.duty). */
  reportedUnreachable?: boolean;
  /** Where it stands (incidents/lifecycle.ts); « signalé » when the server says nothing. */
  lifecycle?: Lifecycle;
  /** How many escalations fired (nobody took it in time): 0 to 2. */
  escalationLevel?: number;
  /** The drill it was sent as part of: shown « Exercice » everywhere. */
  exercise?: { id: string; name: string } | null;
  /** Its crisis cluster (the police's grouping), if any. */
  cluster?: string | null;
  /** Its category's target (lists only): met, missed or still pending. */
  target?: { minutes: number; state: "met" | "missed" | "pending"; overdue: boolean } | null;
  /** The agents sent (police and agents only; empty for a shop). */
  dispatches?: DispatchSummary[];
  /** When the first agent was sent (everyone who sees the report sees it; no names). */
  patrolSentAt?: string | null;
}

export type AgentStatus = "dispatched" | "en_route" | "on_site" | "done";
export const AGENT_STATUSES: readonly AgentStatus[] = ["dispatched", "en_route", "on_site", "done"];

/** One agent sent to the incident and the status it reports (incidents/dispatch.py). */
export interface DispatchSummary {
  agent: string;
  name: string;
  status: AgentStatus;
  statusAt: string;
  /** With `done`: one of the closure's outcomes. */
  outcome: string | null;
  dispatchedAt: string;
  /** Set once « terminé » or the incident closed: the agent is off it. */
  releasedAt: string | null;
}

/** The clear metadata sent beside a new report's envelope (Contract 1). */
export interface ReportMeta {
  category: string;
  severity: string | null;
  neighbours: boolean;
  /** Part of the running drill (the confirmation screen's default while one runs). */
  exercise?: boolean;
}

export interface Category {
  slug: string;
  label: string;
  severity: string;
  call17: boolean;
}

export interface Catalogue {
  categories: Category[];
  severities: string[];
  neighbours: { validation: boolean; expiryMinutes: number };
}

export interface StoredMessage {
  id: string;
  senderDevice: string;
  sentAt: number;
  receivedAt: string;
  attachments: { index: number; size: number }[];
  envelope: WireEnvelope;
  /** For an agent's device: the content key granted to it, with the granter's chain. */
  grant?: { doc: SignedDocument; granterChain: SignedDocument[] } | null;
  /** A police note: sealed to police devices only, never listed to the shop. */
  policeOnly?: boolean;
}

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Raw) : {};
const str = (v: unknown): string => (typeof v === "string" ? v : v == null ? "" : String(v));
const num = (v: unknown): number => (typeof v === "number" ? v : Number(v) || 0);

export function normaliseIncident(raw: unknown): IncidentSummary {
  const r = obj(raw);
  const shop = obj(r.shop);
  return {
    id: str(r.id ?? r.public_id),
    commune: str(r.commune),
    shop: { id: str(shop.id ?? shop.public_id), enseigne: str(shop.enseigne) },
    reportedBy: str(r.reported_by),
    createdAt: str(r.created_at),
    messages: num(r.messages),
    // Absent (an incident stored before Contract 1): left undefined, as the type allows.
    ...(r.category == null ? {} : { category: normaliseCategoryRef(r.category) }),
    ...(typeof r.severity === "string" && r.severity ? { severity: r.severity } : {}),
    ...(typeof r.neighbours === "boolean" ? { neighbours: r.neighbours } : {}),
    ...(r.photos == null ? {} : { photos: num(r.photos) }),
    ...(typeof r.reported_unreachable === "boolean"
      ? { reportedUnreachable: r.reported_unreachable }
      : {}),
    ...(r.lifecycle == null ? {} : { lifecycle: normaliseLifecycle(r.lifecycle) }),
    ...(typeof r.escalation_level === "number" ? { escalationLevel: r.escalation_level } : {}),
    ...(r.exercise == null ? {} : { exercise: { id: str(obj(r.exercise).id), name: str(obj(r.exercise).name) } }),
    ...(typeof r.cluster === "string" ? { cluster: r.cluster } : {}),
    ...(r.target == null ? {} : { target: normaliseTarget(r.target) }),
    ...(Array.isArray(r.dispatches) ? { dispatches: r.dispatches.map(normaliseDispatch) } : {}),
    ...(typeof r.patrol_sent_at === "string" ? { patrolSentAt: r.patrol_sent_at } : {}),
  };
}

export function normaliseDispatch(raw: unknown): DispatchSummary {
  const r = obj(raw);
  const status = (AGENT_STATUSES as readonly unknown[]).includes(r.status)
    ? (r.status as AgentStatus)
    : "dispatched";
  return {
    agent: str(r.agent),
    name: str(r.name),
    status,
    statusAt: str(r.status_at),
    outcome: typeof r.outcome === "string" && r.outcome ? r.outcome : null,
    dispatchedAt: str(r.dispatched_at),
    releasedAt: typeof r.released_at === "string" && r.released_at ? r.released_at : null,
  };
}

function signedDoc(raw: unknown): SignedDocument {
  const r = obj(raw);
  return { body: str(r.body), signature: str(r.signature) };
}

function normaliseTarget(raw: unknown): NonNullable<IncidentSummary["target"]> {
  const r = obj(raw);
  const state = r.state === "met" || r.state === "missed" ? r.state : "pending";
  return { minutes: num(r.minutes) || 5, state, overdue: r.overdue === true };
}

function normaliseCategoryRef(raw: unknown): { slug: string; label: string } | null {
  if (typeof raw === "string") return raw ? { slug: raw, label: raw } : null;
  const r = obj(raw);
  const slug = str(r.slug);
  return slug ? { slug, label: str(r.label) || slug } : null;
}

export function normaliseCatalogue(raw: unknown): Catalogue {
  const r = obj(raw);
  const categories = Array.isArray(r.categories) ? r.categories : [];
  const neighbours = obj(r.neighbours);
  return {
    categories: categories
      .map((item) => {
        const c = obj(item);
        return {
          slug: str(c.slug),
          label: str(c.label) || str(c.slug),
          severity: str(c.severity) || "medium",
          call17: c.call_17 === true,
        };
      })
      .filter((c) => c.slug !== ""),
    severities: Array.isArray(r.severities) ? r.severities.map(str) : [],
    neighbours: {
      validation: neighbours.validation !== false,
      expiryMinutes: num(neighbours.expiry_minutes) || 120,
    },
  };
}

/** GET /incidents/catalogue: the commune's enabled categories, in its order. */
export async function getCatalogue(): Promise<Catalogue> {
  return normaliseCatalogue(await request<unknown>("GET", "/incidents/catalogue"));
}

export function normaliseMessage(raw: unknown): StoredMessage {
  const r = obj(raw);
  const attachments = Array.isArray(r.attachments) ? r.attachments : [];
  return {
    id: str(r.id ?? r.public_id),
    senderDevice: str(r.sender_device),
    sentAt: num(r.sent_at),
    receivedAt: str(r.received_at),
    attachments: attachments.map((a) => ({ index: num(obj(a).index), size: num(obj(a).size) })),
    ...(r.police_only === true ? { policeOnly: true } : {}),
    // Kept exactly as served: the opener checks it, the UI never trusts it.
    envelope: r.envelope as WireEnvelope,
    ...(r.grant == null
      ? {}
      : {
          grant: {
            doc: signedDoc(r.grant),
            granterChain: (Array.isArray(obj(r.grant).granter_chain)
              ? (obj(r.grant).granter_chain as unknown[])
              : []
            ).map(signedDoc),
          },
        }),
  };
}

function envelopeForm(envelope: WireEnvelope, attachments: Uint8Array[]): FormData {
  const form = new FormData();
  form.append("envelope", JSON.stringify(envelope));
  attachments.forEach((bytes, i) => {
    const blob = new Blob([new Uint8Array(bytes)], { type: "application/octet-stream" });
    form.append("attachments", blob, `part-${i + 1}.bin`);
  });
  return form;
}

/** Creates the incident and its first sealed message; a retry with identical bytes is safe. */
export async function postReport(
  incident: string,
  envelope: WireEnvelope,
  attachments: Uint8Array[],
  meta: ReportMeta | null = null,
): Promise<{ incident: IncidentSummary; message: StoredMessage }> {
  const form = envelopeForm(envelope, attachments);
  form.append("incident", incident);
  if (meta) {
    form.append("category", meta.category);
    if (meta.severity) form.append("severity", meta.severity);
    form.append("neighbours", meta.neighbours ? "true" : "false");
    if (meta.exercise) form.append("exercise", "true");
  }
  const raw = await postForm<Raw>("/incidents", form);
  return { incident: normaliseIncident(raw.incident), message: normaliseMessage(raw.message) };
}

export async function postMessage(
  incident: string,
  envelope: WireEnvelope,
  attachments: Uint8Array[],
): Promise<StoredMessage> {
  const raw = await postForm<Raw>(
    `/incidents/${seg(incident)}/messages`,
    envelopeForm(envelope, attachments),
  );
  return normaliseMessage(raw.message);
}

/** POST /incidents/{id}/notes: a police note, sealed to police devices only. */
export async function postNote(
  incident: string,
  envelope: WireEnvelope,
  attachments: Uint8Array[],
): Promise<StoredMessage> {
  const raw = await postForm<Raw>(
    `/incidents/${seg(incident)}/notes`,
    envelopeForm(envelope, attachments),
  );
  return normaliseMessage(raw.message);
}

export async function listIncidents(): Promise<IncidentSummary[]> {
  const raw = await request<unknown>("GET", "/incidents");
  const items = Array.isArray(raw) ? raw : (obj(raw).items ?? obj(raw).incidents);
  return Array.isArray(items) ? items.map(normaliseIncident) : [];
}

export async function listMessages(incident: string): Promise<StoredMessage[]> {
  const raw = await request<unknown>("GET", `/incidents/${seg(incident)}/messages`);
  const items = Array.isArray(raw) ? raw : (obj(raw).items ?? obj(raw).messages);
  return Array.isArray(items) ? items.map(normaliseMessage) : [];
}

/** One sealed attachment's bytes; `index` is 1-based as in the spec's part numbering. */
export async function fetchAttachment(
  incident: string,
  message: string,
  index: number,
): Promise<Uint8Array> {
  return getBytes(
    `/incidents/${seg(incident)}/messages/${seg(message)}/attachments/${seg(index)}`,
  );
}

/** One lifecycle step (docs/events.md, `incident.taken`…); the incident as it now stands. */
export async function postStep(
  incident: string,
  route: StepRoute,
  body?: Record<string, string>,
): Promise<IncidentSummary> {
  const raw = await request<Raw>("POST", `/incidents/${seg(incident)}/${route}`, body);
  return normaliseIncident(raw.incident);
}

// --- dispatch (GET/POST /incidents/{id}/dispatch, POST …/dispatch/status) ---------------

export interface DispatchCandidate {
  agent: string;
  name: string;
  /** Each certified device, with its chain as served (verified by the caller). */
  devices: { device: string; chain: unknown }[];
  /** Incidents it is on elsewhere, not released. */
  activeElsewhere: number;
  /** Its dispatch on this incident, if any. */
  dispatch: DispatchSummary | null;
}

export interface DispatchCandidates {
  incident: string;
  /** Every message to grant, in order. */
  messages: string[];
  agents: DispatchCandidate[];
  /** What an agent on the incident cannot open yet (a device certified since it was sent). */
  missing: { message: string; device: string }[];
}

export function normaliseCandidates(raw: unknown): DispatchCandidates {
  const r = obj(raw);
  const agents = Array.isArray(r.agents) ? r.agents : [];
  return {
    incident: str(r.incident),
    messages: Array.isArray(r.messages) ? r.messages.map(str) : [],
    missing: (Array.isArray(r.missing) ? r.missing : []).map((m) => ({
      message: str(obj(m).message),
      device: str(obj(m).device),
    })),
    agents: agents.map((item) => {
      const a = obj(item);
      const devices = Array.isArray(a.devices) ? a.devices : [];
      return {
        agent: str(a.agent),
        name: str(a.name),
        devices: devices.map((d) => ({ device: str(obj(d).device), chain: obj(d).chain })),
        activeElsewhere: num(a.active_elsewhere),
        dispatch: a.dispatch == null ? null : normaliseDispatch(a.dispatch),
      };
    }),
  };
}

/** Whom the operator may send: the commune's agents, their devices, the messages to grant. */
export async function getDispatchCandidates(incident: string): Promise<DispatchCandidates> {
  return normaliseCandidates(await request<unknown>("GET", `/incidents/${seg(incident)}/dispatch`));
}

/** Sends these agents with a grant per message × device; the incident as it now stands. */
export async function postDispatch(
  incident: string,
  agents: string[],
  grants: SignedDocument[],
): Promise<IncidentSummary> {
  const raw = await request<Raw>("POST", `/incidents/${seg(incident)}/dispatch`, {
    agents,
    grants: grants.map((g) => ({ body: g.body, signature: g.signature })),
  });
  return normaliseIncident(raw.incident);
}

/** The keys agents on the incident lacked (exactly `missing`); how many were stored. */
export async function postMissingKeys(incident: string, grants: SignedDocument[]): Promise<number> {
  const raw = await request<Raw>("POST", `/incidents/${seg(incident)}/dispatch/keys`, {
    grants: grants.map((g) => ({ body: g.body, signature: g.signature })),
  });
  return num(raw.grants);
}

/** One patrol for a whole cluster: the reports it was sent to (each with its own grants). */
export async function postClusterDispatch(
  cluster: string,
  agents: string[],
  grants: SignedDocument[],
): Promise<string[]> {
  const raw = await request<Raw>("POST", `/incidents/clusters/${seg(cluster)}/dispatch`, {
    agents,
    grants: grants.map((g) => ({ body: g.body, signature: g.signature })),
  });
  return Array.isArray(raw.changed) ? raw.changed.map(str) : [];
}

/** The dispatched agent's own status (forward only; `done` with an outcome). */
export async function postDispatchStatus(
  incident: string,
  status: Exclude<AgentStatus, "dispatched">,
  outcome?: string,
): Promise<IncidentSummary> {
  const raw = await request<Raw>(
    "POST",
    `/incidents/${seg(incident)}/dispatch/status`,
    outcome ? { status, outcome } : { status },
  );
  return normaliseIncident(raw.incident);
}

// --- drills (GET/POST /incidents/exercises) -------------------------------------------

export interface Exercise {
  id: string;
  name: string;
  startedAt: string;
  incidents: number;
}

function normaliseExercise(raw: unknown): Exercise | null {
  if (raw == null) return null;
  const r = obj(raw);
  return { id: str(r.id), name: str(r.name), startedAt: str(r.started_at), incidents: num(r.incidents) };
}

export async function getCurrentExercise(): Promise<Exercise | null> {
  return normaliseExercise(await request<unknown>("GET", "/incidents/exercises/current"));
}

export async function startExercise(name: string): Promise<Exercise | null> {
  return normaliseExercise(await request<unknown>("POST", "/incidents/exercises", { name }));
}

export async function endExercise(id: string): Promise<void> {
  await request<unknown>("POST", `/incidents/exercises/${seg(id)}/end`);
}

// --- crisis clusters (/incidents/clusters) ---------------------------------------------

export interface ClusterProposal {
  sector: string;
  category: string;
  incidents: { id: string; shop: string; createdAt: string }[];
}

export async function listClusterProposals(): Promise<ClusterProposal[]> {
  const raw = await request<unknown>("GET", "/incidents/clusters/proposals");
  return (Array.isArray(raw) ? raw : []).map((p) => {
    const r = obj(p);
    return {
      sector: str(r.sector_name),
      category: str(r.category_label),
      incidents: (Array.isArray(r.incidents) ? r.incidents : []).map((i) => {
        const x = obj(i);
        return { id: str(x.id), shop: str(x.shop), createdAt: str(x.created_at) };
      }),
    };
  });
}

export async function confirmCluster(incidents: string[]): Promise<string> {
  return str(obj(await request<unknown>("POST", "/incidents/clusters", { incidents })).id);
}

export async function stepCluster(cluster: string, step: string, extra: Record<string, string> = {}): Promise<number> {
  const raw = obj(await request<unknown>("POST", `/incidents/clusters/${seg(cluster)}/step`, { step, ...extra }));
  return Array.isArray(raw.changed) ? raw.changed.length : 0;
}

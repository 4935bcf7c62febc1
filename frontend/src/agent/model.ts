/**
 * The agent's phone view (/agent), apart from its screen: the incidents it is dispatched
 * to and not released (the server lists an agent only those it was sent to, released or
 * not), one of them opened with its messages decrypted on this device (through the
 * content-key grants its dispatcher made, or directly for what was sealed after), and the
 * agent's own « en route », « sur place », « terminé ». The stream feeds `live`: a new
 * dispatch (after a `resync`), a status set on another of its devices, the incident's
 * closure; nothing polls.
 */

import {
  listIncidents,
  postDispatchStatus,
  type AgentStatus,
  type DispatchSummary,
  type IncidentSummary,
} from "../incidents/api";
import { asFlowError, loadDeviceContext } from "../incidents/context";
import { LIFECYCLE_KINDS, type Outcome } from "../incidents/lifecycle";
import { readIncident, type MessageView } from "../incidents/read";
import { createNoteSender } from "../incidents/send";
import { t, type MessageKey } from "../i18n";
import type { Kind, StreamEvent } from "../live/stream";
import { dispatchStatusLabel } from "../police/dispatch";
import { createStore, type Store } from "../store";

/** What the agent's page listens to. */
export const AGENT_KINDS: readonly Kind[] = [
  "incident.dispatched",
  "dispatch.status_changed",
  "message.posted",
  "note.posted",
  "dispatch.keys_added",
  ...LIFECYCLE_KINDS,
];

/** The statuses an agent reports itself, in order (one big button each). */
export const AGENT_STEPS = ["en_route", "on_site", "done"] as const;
export type AgentStep = (typeof AGENT_STEPS)[number];
const ORDER: readonly AgentStatus[] = ["dispatched", "en_route", "on_site", "done"];

/** This agent's dispatch on the incident, if any. */
export function myDispatch(incident: IncidentSummary, agent: string): DispatchSummary | null {
  return incident.dispatches?.find((d) => d.agent === agent) ?? null;
}

/** Still on it: dispatched, not released, the incident not closed. */
export function isActive(incident: IncidentSummary, agent: string): boolean {
  const mine = myDispatch(incident, agent);
  return mine !== null && mine.releasedAt === null && incident.lifecycle?.state !== "closed";
}

/** The active list: newest dispatch first (then newest report). */
export function activeIncidents(
  incidents: readonly IncidentSummary[],
  agent: string,
): IncidentSummary[] {
  const when = (incident: IncidentSummary) =>
    Date.parse(myDispatch(incident, agent)?.dispatchedAt ?? "") || 0;
  return incidents
    .filter((incident) => isActive(incident, agent))
    .sort(
      (a, b) =>
        when(b) - when(a) || Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? -1 : 1),
    );
}

/** Whether the step is still ahead of the agent's status (forward only). */
export function stepAllowed(dispatch: DispatchSummary | null, step: AgentStep): boolean {
  if (!dispatch || dispatch.releasedAt !== null) return false;
  return ORDER.indexOf(step) > ORDER.indexOf(dispatch.status);
}

/** Why an incident left the active list: the agent's « terminé », or its closure. */
export function endedLabel(incident: IncidentSummary, agent: string): string | null {
  const mine = myDispatch(incident, agent);
  if (mine?.status === "done") return t("agent.ended");
  if (incident.lifecycle?.state === "closed") return t("agent.closed");
  if (mine?.releasedAt) return t("agent.ended");
  return null;
}

export interface AgentOpen {
  incident: IncidentSummary;
  messages: MessageView[] | null;
}

export interface AgentState {
  incidents: IncidentSummary[] | null;
  open: AgentOpen | null;
  /** The status being sent, its refusal (the server's sentence), its result. */
  step: { busy: boolean; error: string | null; said: string | null };
  /** The police note being sealed (police devices only), its refusal, its result. */
  note: { sending: boolean; error: string | null; sent: string | null };
  /** Live news, for the polite live region. */
  alert: string | null;
  error: string | null;
}

export interface AgentModel {
  state: Store<AgentState>;
  start(): Promise<void>;
  openIncident(id: string): Promise<void>;
  close(): void;
  live(event: StreamEvent): Promise<void>;
  resync(): Promise<void>;
  setStatus(incident: string, step: AgentStep, outcome?: Outcome): Promise<boolean>;
  /** A police note from the scene, sealed to the police devices only. */
  sendNote(incident: string, text: string): Promise<boolean>;
}

export function createAgentView(commune: string, agent: string): AgentModel {
  const state = createStore<AgentState>({
    incidents: null,
    open: null,
    step: { busy: false, error: null, said: null },
    note: { sending: false, error: null, sent: null },
    alert: null,
    error: null,
  });
  let wanted: string | null = null;
  // Our own status in flight: its event is said by the step's line, not again.
  const expecting = new Set<string>();

  function replace(incident: IncidentSummary): void {
    const list = state.get().incidents;
    if (list) {
      const known = list.some((item) => item.id === incident.id);
      state.update({
        incidents: known
          ? list.map((item) => (item.id === incident.id ? incident : item))
          : [incident, ...list],
      });
    }
    const open = state.get().open;
    if (open?.incident.id === incident.id) state.update({ open: { ...open, incident } });
  }

  async function refresh(): Promise<IncidentSummary[] | null> {
    try {
      const list = await listIncidents();
      state.update({ incidents: list, error: null });
      const open = state.get().open;
      const now = open && list.find((item) => item.id === open.incident.id);
      if (open && now) state.update({ open: { ...open, incident: now } });
      return list;
    } catch (err) {
      state.update({ error: asFlowError(err).message });
      return null;
    }
  }

  async function readOpen(id: string): Promise<void> {
    try {
      const messages = await readIncident(id, await loadDeviceContext(commune));
      const open = state.get().open;
      if (open?.incident.id === id) state.update({ open: { ...open, messages } });
    } catch (err) {
      if (state.get().open?.incident.id === id) state.update({ error: asFlowError(err).message });
    }
  }

  async function openIncident(id: string): Promise<void> {
    wanted = id;
    let incident = state.get().incidents?.find((item) => item.id === id);
    if (!incident) incident = (await refresh())?.find((item) => item.id === id);
    if (wanted !== id) return;
    if (!incident) {
      state.update({ error: t("console.notFound") });
      return;
    }
    state.update({
      open: { incident, messages: null },
      step: { busy: false, error: null, said: null },
      error: null,
    });
    await readOpen(id);
  }

  function close(): void {
    wanted = null;
    state.update({ open: null });
  }

  async function live(event: StreamEvent): Promise<void> {
    const before = state.get().incidents;
    const wasActive = new Set(activeIncidents(before ?? [], agent).map((i) => i.id));
    const list = await refresh();
    if (!list) return;
    const incident = list.find((item) => item.id === event.targetId);
    const openId = state.get().open?.incident.id ?? null;
    if (
      event.targetId === openId &&
      (event.kind === "message.posted" ||
        event.kind === "note.posted" ||
        event.kind === "dispatch.keys_added" ||
        event.kind === "incident.dispatched")
    ) {
      await readOpen(openId);
    }
    if (!incident) return;
    const active = isActive(incident, agent);
    if (active && before !== null && !wasActive.has(incident.id)) {
      state.update({ alert: t("agent.newDispatch", { shop: incident.shop.enseigne }) });
      return;
    }
    if (event.kind === "dispatch.status_changed" && event.payload.agent === agent) {
      const status = String(event.payload.status ?? "");
      if (expecting.delete(`${incident.id} ${status}`)) return;
      const mine = myDispatch(incident, agent);
      if (mine) {
        state.update({
          alert: t("agent.statusElsewhere", {
            shop: incident.shop.enseigne,
            status: dispatchStatusLabel(mine),
          }),
        });
      }
      return;
    }
    if (event.kind === "incident.closed" && wasActive.has(incident.id)) {
      state.update({ alert: t("agent.closedLive", { shop: incident.shop.enseigne }) });
    }
  }

  async function resync(): Promise<void> {
    const loaded = state.get().incidents !== null;
    const before = new Set(activeIncidents(state.get().incidents ?? [], agent).map((i) => i.id));
    const list = await refresh();
    const open = state.get().open;
    if (open) await readOpen(open.incident.id);
    const fresh = activeIncidents(list ?? [], agent).filter((i) => !before.has(i.id));
    if (loaded && fresh.length > 0) {
      state.update({ alert: t("agent.newDispatch", { shop: fresh[0].shop.enseigne }) });
    }
  }

  const noteSender = createNoteSender(commune);

  async function sendNote(incident: string, text: string): Promise<boolean> {
    if (!text.trim()) {
      state.update({ note: { sending: false, error: t("console.noteEmpty"), sent: null } });
      return false;
    }
    state.update({ note: { sending: true, error: null, sent: null } });
    try {
      await noteSender(incident, text);
      state.update({ note: { sending: false, error: null, sent: t("console.noteSent") } });
      await readOpen(incident);
      return true;
    } catch (err) {
      state.update({ note: { sending: false, error: asFlowError(err).message, sent: null } });
      return false;
    }
  }

  async function setStatus(incident: string, step: AgentStep, outcome?: Outcome): Promise<boolean> {
    if (state.get().step.busy) return false;
    state.update({ step: { busy: true, error: null, said: t("agent.sending") } });
    expecting.add(`${incident} ${step}`);
    try {
      const updated = await postDispatchStatus(incident, step, outcome);
      replace(updated);
      const mine = myDispatch(updated, agent);
      const label = mine ? dispatchStatusLabel(mine) : t(`dispatch.status.${step}` as MessageKey);
      state.update({ step: { busy: false, error: null, said: t("agent.statusSaid", { status: label }) } });
      return true;
    } catch (err) {
      expecting.delete(`${incident} ${step}`);
      state.update({ step: { busy: false, error: asFlowError(err).message, said: null } });
      await refresh();
      return false;
    }
  }

  return {
    state,
    start: async () => {
      await refresh();
    },
    openIncident,
    close,
    live,
    resync,
    setStatus,
    sendNote,
  };
}

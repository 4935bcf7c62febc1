/**
 * The police console's state and flows, apart from its screen: the service key lifecycle
 * run once when the console opens, the incident list, and opening one incident (by the
 * URL `/incidents/:id`) with its messages decrypted on this device. One store holds it
 * all, so the stream of the next issue can add incidents and messages through the same
 * `set` the requests use.
 */

import { listIncidents, type IncidentSummary } from "../incidents/api";
import { asFlowError, loadDeviceContext, type FlowError } from "../incidents/context";
import { readIncident, type MessageView } from "../incidents/read";
import { t } from "../i18n";
import { createStore, type Store } from "../store";
import { runServiceKeyFlow, type ServiceKeyOutcome } from "./serviceKeyFlow";

export interface OpenIncident {
  incident: IncidentSummary;
  messages: MessageView[];
}

export interface ConsoleState {
  keyOutcome: ServiceKeyOutcome | null;
  keyError: FlowError | null;
  incidents: IncidentSummary[] | null;
  /** The incident on screen, once its messages are decrypted. */
  open: OpenIncident | null;
  status: string | null;
  error: string | null;
  busy: boolean;
}

export interface ConsoleModel {
  state: Store<ConsoleState>;
  /** Runs the service key lifecycle, then loads the list; later calls share the first run. */
  start(): Promise<void>;
  refresh(announce: boolean): Promise<void>;
  /** Opens the incident `id` once the key lifecycle ran (a deep link may come first). */
  openIncident(id: string): Promise<void>;
  close(): void;
}

const INITIAL: ConsoleState = {
  keyOutcome: null,
  keyError: null,
  incidents: null,
  open: null,
  status: null,
  error: null,
  busy: false,
};

export function createConsole(commune: string): ConsoleModel {
  const state = createStore<ConsoleState>(INITIAL);
  let started: Promise<void> | null = null;
  // Only the latest request to open something may put it on screen.
  let wanted: string | null = null;

  async function refresh(announce: boolean): Promise<void> {
    state.update({ error: null });
    try {
      const list = await listIncidents();
      state.update({ incidents: list });
      if (announce) state.update({ status: t("console.refreshed", { count: list.length }) });
    } catch (err) {
      state.update({ error: asFlowError(err).message });
    }
  }

  async function runStart(): Promise<void> {
    state.update({ status: t("console.keyChecking") });
    try {
      state.update({ keyOutcome: await runServiceKeyFlow(commune) });
    } catch (err) {
      state.update({ keyError: asFlowError(err) });
    }
    state.update({ status: null });
    await refresh(false);
  }

  async function openIncident(id: string): Promise<void> {
    wanted = id;
    await (started ??= runStart());
    if (wanted !== id) return;
    state.update({ busy: true, error: null, status: t("console.opening") });
    try {
      let incident = state.get().incidents?.find((item) => item.id === id);
      if (!incident) {
        await refresh(false);
        incident = state.get().incidents?.find((item) => item.id === id);
      }
      if (!incident) throw new Error(t("console.notFound"));
      const ctx = await loadDeviceContext(commune);
      const messages = await readIncident(incident.id, ctx);
      if (wanted !== id) return;
      state.update({
        open: { incident, messages },
        status: t("console.opened", { shop: incident.shop.enseigne, count: messages.length }),
      });
    } catch (err) {
      if (wanted === id) state.update({ status: null, error: asFlowError(err).message });
    } finally {
      state.update({ busy: false });
    }
  }

  function close(): void {
    wanted = null;
    if (state.get().open) state.update({ open: null, status: null });
  }

  return {
    state,
    start: () => (started ??= runStart()),
    refresh,
    openIncident,
    close,
  };
}

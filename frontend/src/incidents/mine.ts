/**
 * A shopkeeper's own reports on the shop's home: the list (the server shows a merchant only
 * their shop's incidents), a « nouvelle réponse » marker when the police write, and one
 * report's exchange decrypted on this device (the merchant's devices are recipients of
 * every message of their shop's incidents). The stream feeds `live`; nothing polls.
 */

import type { StreamEvent } from "../live/stream";
import { t } from "../i18n";
import { createStore, type Store } from "../store";
import { listIncidents, type IncidentSummary } from "./api";
import { asFlowError, loadDeviceContext } from "./context";
import { readIncident, type MessageView } from "./read";
import { LIFECYCLE_KINDS } from "./lifecycle";

const LIFECYCLE: ReadonlySet<string> = new Set(LIFECYCLE_KINDS);

export { fromPolice } from "./read";

export interface MyReportsState {
  incidents: IncidentSummary[] | null;
  /** Reports with a message from someone else not yet read here. */
  replied: ReadonlySet<string>;
  expanded: string | null;
  thread: MessageView[] | null;
  alert: string | null;
  error: string | null;
}

export interface MyReports {
  state: Store<MyReportsState>;
  start(): Promise<void>;
  toggle(id: string): Promise<void>;
  live(event: StreamEvent): Promise<void>;
  reload(): Promise<void>;
}

export function createMyReports(commune: string, device: string | null): MyReports {
  const state = createStore<MyReportsState>({
    incidents: null,
    replied: new Set(),
    expanded: null,
    thread: null,
    alert: null,
    error: null,
  });

  async function list(): Promise<void> {
    try {
      const items = await listIncidents();
      state.update({ incidents: items, error: null });
    } catch (err) {
      state.update({ error: asFlowError(err).message });
    }
  }

  async function readThread(id: string): Promise<void> {
    try {
      const messages = await readIncident(id, await loadDeviceContext(commune));
      if (state.get().expanded === id) state.update({ thread: messages });
    } catch (err) {
      state.update({ error: asFlowError(err).message });
    }
  }

  async function toggle(id: string): Promise<void> {
    if (state.get().expanded === id) {
      state.update({ expanded: null, thread: null });
      return;
    }
    const replied = new Set(state.get().replied);
    replied.delete(id);
    state.update({ expanded: id, thread: null, replied });
    await readThread(id);
  }

  async function live(event: StreamEvent): Promise<void> {
    if (LIFECYCLE.has(event.kind)) return list();
    if (event.kind !== "incident.reported" && event.kind !== "message.posted") return;
    await list();
    const id = event.targetId;
    if (state.get().expanded === id) await readThread(id);
    const fromOther =
      event.kind === "message.posted" &&
      (event.sealed === null || event.sealed.senderDevice !== device);
    if (fromOther && state.get().expanded !== id) {
      const replied = new Set(state.get().replied);
      replied.add(id);
      state.update({ replied });
    }
    if (fromOther) state.update({ alert: t("home.replyArrived") });
  }

  async function reload(): Promise<void> {
    await list();
    const open = state.get().expanded;
    if (open) await readThread(open);
  }

  return { state, start: list, toggle, live, reload };
}

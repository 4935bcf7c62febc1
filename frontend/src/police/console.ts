/**
 * The police console's state and flows, apart from its screen: the service key lifecycle
 * run once when the console opens, the incident list, and opening one incident (by the
 * URL `/incidents/:id`) with its messages decrypted on this device. One store holds it
 * all; the live stream (live/stream.ts) feeds `live` and `resync`, which go through the
 * same requests and the same `set`: a new report rings, is marked unread until opened, and
 * a message in the report on screen is decrypted at once.
 */

import {
  getDispatchCandidates,
  listIncidents,
  postDispatch,
  postMissingKeys,
  postStep,
  type DispatchCandidates,
  type IncidentSummary,
} from "../incidents/api";
import {
  formatElapsed,
  stepRequest,
  LIFECYCLE_KINDS,
  stateLabel,
  stateOfAction,
  type ShortcutAction,
} from "../incidents/lifecycle";
import {
  asFlowError,
  loadDeviceContext,
  nowSeconds,
  verifiedRevocations,
  type FlowError,
} from "../incidents/context";
import { readIncident, type MessageView } from "../incidents/read";
import {
  createNoteSender,
  deliverMessage,
  sealMessage,
  type SealedReport,
} from "../incidents/send";
import { t } from "../i18n";
import type { StreamEvent } from "../live/stream";
import { createStore, type Store } from "../store";
import { isNews, markRead, markUnread, tallyReport, type AlertTally } from "./queue";
import { runServiceKeyFlow, type ServiceKeyOutcome } from "./serviceKeyFlow";
import {
  buildGrants,
  buildMissingGrants,
  contentKeys,
  dispatchStatusLabel,
  missingKeys,
} from "./dispatch";

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
  /** Reports with something this operator has not opened yet. */
  unread: ReadonlySet<string>;
  /** The last live alert, for the polite live region (one sentence per alert). */
  alert: string | null;
  /** Reports that arrived live since the page opened: drawn with the visual signal. */
  fresh: ReadonlySet<string>;
  reply: { sending: boolean; error: string | null; sent: string | null };
  /** The police note being sealed (police devices only), its refusal, its result. */
  note: { sending: boolean; error: string | null; sent: string | null };
  /** Shops that hit a limit on alerts since the page opened, newest first (never silent). */
  limits: LimitHit[];
  /** A lifecycle step being saved, its refusal (the server's French sentence), its result. */
  step: { busy: boolean; error: string | null; said: string | null };
  /** The « Envoyer un agent » panel of the open report. */
  dispatch: DispatchPanelState;
}

export interface DispatchPanelState {
  open: boolean;
  /** The agents as the server lists them for this incident (null while loading). */
  candidates: DispatchCandidates | null;
  busy: boolean;
  error: string | null;
  said: string | null;
}

export interface LimitHit {
  seq: number;
  shop: string;
  limit: string;
  at: string;
  retryAfter: number;
}

export interface ConsoleModel {
  state: Store<ConsoleState>;
  /** Runs the service key lifecycle, then loads the list; later calls share the first run. */
  start(): Promise<void>;
  refresh(announce: boolean): Promise<void>;
  /** Opens the incident `id` once the key lifecycle ran (a deep link may come first). */
  openIncident(id: string): Promise<void>;
  close(): void;
  /** A stream event: new reports, messages in the queue or on screen. */
  live(event: StreamEvent): Promise<void>;
  /** `resync`: reload the list (and the open report). */
  resync(): Promise<void>;
  /** Seals `text` on this device for the incident's recipients (the reporter too) and posts it. */
  sendReply(incident: string, text: string): Promise<boolean>;
  /** Seals a police note to the police devices only (never the shop's) and sends it. */
  sendNote(incident: string, text: string): Promise<boolean>;
  /** One lifecycle step (« prendre en charge », a verdict, an outcome…) on the incident. */
  advance(incident: string, action: ShortcutAction): Promise<boolean>;
  /** Opens the « Envoyer un agent » panel of the open report and lists the agents. */
  openDispatch(incident: string): Promise<void>;
  closeDispatch(): void;
  /** Grants every message to every device of these agents, then sends them. */
  sendAgents(incident: string, agents: string[]): Promise<boolean>;
}

export interface ConsoleOptions {
  /** The audible signal (live/signal.ts); the model only decides when. */
  signal?: () => void;
  now?: () => number;
  /** This device's public id, to tell our own messages from others'. */
  device?: string | null;
}

const INITIAL: ConsoleState = {
  keyOutcome: null,
  keyError: null,
  incidents: null,
  open: null,
  status: null,
  error: null,
  busy: false,
  unread: new Set(),
  alert: null,
  fresh: new Set(),
  reply: { sending: false, error: null, sent: null },
  note: { sending: false, error: null, sent: null },
  limits: [],
  step: { busy: false, error: null, said: null },
  dispatch: { open: false, candidates: null, busy: false, error: null, said: null },
};

const LIFECYCLE: ReadonlySet<string> = new Set(LIFECYCLE_KINDS);
const DISPATCH_KINDS: ReadonlySet<string> = new Set(["incident.dispatched", "dispatch.status_changed"]);

export function createConsole(commune: string, options: ConsoleOptions = {}): ConsoleModel {
  const state = createStore<ConsoleState>(INITIAL);
  const sent = new Set<string>();
  const now = options.now ?? Date.now;
  // A burst of reports is announced as « 3 nouveaux signalements », not three times.
  let tally: AlertTally | null = null;
  // A reply sealed but not yet accepted: a retry sends the very same bytes.
  let pendingReply: { incident: string; text: string; sealed: SealedReport } | null = null;
  const noteSender = createNoteSender(commune, (message) => sent.add(message));
  let started: Promise<void> | null = null;
  // The state each of our own steps in flight would reach, to tell its event from others'.
  const expecting = new Set<string>();
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
        unread: markRead(state.get().unread, id),
        reply: INITIAL.reply,
        step: INITIAL.step,
        dispatch: INITIAL.dispatch,
        status: t("console.opened", { shop: incident.shop.enseigne, count: messages.length }),
      });
      void grantMissing(incident, messages);
    } catch (err) {
      if (wanted === id) state.update({ status: null, error: asFlowError(err).message });
    } finally {
      state.update({ busy: false });
    }
  }

  function close(): void {
    wanted = null;
    if (state.get().open) state.update({ open: null, status: null, dispatch: INITIAL.dispatch });
  }

  /**
   * Keys an agent on the report lacks (a device it certified since its dispatch): this
   * console, which opened every message, grants them quietly. A console without the right
   * or without a key leaves it to the next one. Asked when the report opens and on the
   * events that can leave a key missing (`regrant`), never for each message that arrives:
   * a message sealed from a directory read just before a dispatch waits for the next one.
   */
  async function grantMissing(incident: IncidentSummary, messages: MessageView[]): Promise<void> {
    if (!(incident.dispatches ?? []).some((d) => d.releasedAt === null)) return;
    try {
      const candidates = await getDispatchCandidates(incident.id);
      if (candidates.missing.length === 0) return;
      const ctx = await loadDeviceContext(commune);
      const grants = await buildMissingGrants(
        {
          commune: ctx.commune,
          rootPublicKey: ctx.rootPublicKey,
          pinnedFingerprint: ctx.pinnedFingerprint,
          signPrivate: ctx.keys.signPrivate,
          signKey: ctx.certificate.sign_key,
        },
        await verifiedRevocations(ctx),
        candidates,
        contentKeys(messages),
        nowSeconds(),
      );
      if (grants.length > 0) await postMissingKeys(incident.id, grants);
    } catch {
      // Another console may have granted them first; the next opening tries again.
    }
  }

  /** Re-reads the report on screen (a message arrived in it), without moving the focus. */
  async function reloadOpen(): Promise<void> {
    const open = state.get().open;
    if (!open) return;
    try {
      const ctx = await loadDeviceContext(commune);
      const messages = await readIncident(open.incident.id, ctx);
      const now = state.get().open;
      if (now?.incident.id !== open.incident.id) return;
      const incident =
        state.get().incidents?.find((item) => item.id === open.incident.id) ?? open.incident;
      state.update({ open: { incident, messages } });
    } catch (err) {
      state.update({ error: asFlowError(err).message });
    }
  }

  // A burst of events: one list request in flight, at most one more after it, and every
  // caller waits for a request that started after its event.
  let running: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  function refreshLive(): Promise<void> {
    if (queued) return queued;
    if (!running) {
      running = refresh(false).finally(() => {
        running = null;
      });
      return running;
    }
    queued = running.then(() => {
      queued = null;
      return refreshLive();
    });
    return queued;
  }

  function limitReached(event: StreamEvent): void {
    const known = state.get().incidents?.find((item) => item.shop.id === event.shop);
    const shop = known?.shop.enseigne ?? t("console.limitShopUnknown");
    const hit: LimitHit = {
      seq: event.seq,
      shop,
      limit: typeof event.payload.limit === "string" ? event.payload.limit : "",
      at: event.at,
      retryAfter: typeof event.payload.retry_after === "number" ? event.payload.retry_after : 0,
    };
    const limits = [hit, ...state.get().limits.filter((item) => item.seq !== hit.seq)].slice(0, 20);
    state.update({ limits, alert: t("console.limitReached", { shop }) });
  }

  /** Puts the incident as the server now states it in the list and, if open, on screen. */
  function replaceIncident(incident: IncidentSummary): void {
    const list = state.get().incidents;
    if (list) {
      state.update({
        incidents: list.map((item) => (item.id === incident.id ? incident : item)),
      });
    }
    const open = state.get().open;
    if (open?.incident.id === incident.id) state.update({ open: { ...open, incident } });
  }

  async function lifecycleChanged(event: StreamEvent): Promise<void> {
    const before = state.get().incidents?.find((item) => item.id === event.targetId);
    await refreshLive();
    const incident = state.get().incidents?.find((item) => item.id === event.targetId);
    if (!incident) return;
    replaceIncident(incident);
    // Our own step is said by its status line (its event may come before its answer);
    // another operator's is announced.
    const reached = typeof event.payload.state === "string" ? event.payload.state : null;
    const ours = reached !== null && expecting.delete(`${event.targetId} ${reached}`);
    const moved = before?.lifecycle?.state !== incident.lifecycle?.state;
    if (!ours && moved && state.get().open?.incident.id === incident.id && incident.lifecycle) {
      state.update({
        alert: t("lifecycle.changedLive", { state: stateLabel(incident.lifecycle.state) }),
      });
    }
  }

  /** Nobody took it in time: the list shows the escalation, the console says so and rings. */
  async function escalated(event: StreamEvent): Promise<void> {
    await refreshLive();
    const incident = state.get().incidents?.find((item) => item.id === event.targetId);
    if (!incident) return;
    replaceIncident(incident);
    const waited = typeof event.payload.waited === "number" ? event.payload.waited : 0;
    state.update({
      alert: t("escalation.console", {
        shop: incident.shop.enseigne,
        elapsed: formatElapsed(waited * 1000),
      }),
    });
    options.signal?.();
  }

  async function advance(incident: string, action: ShortcutAction): Promise<boolean> {
    if (state.get().step.busy) return false;
    expecting.add(`${incident} ${stateOfAction(action)}`);
    state.update({ step: { busy: true, error: null, said: t("lifecycle.applying") } });
    try {
      const { route, body } = stepRequest(action);
      const updated = await postStep(incident, route, body);
      replaceIncident(updated);
      const label = stateLabel(updated.lifecycle?.state ?? "reported");
      state.update({ step: { busy: false, error: null, said: t("lifecycle.applied", { state: label }) } });
      return true;
    } catch (err) {
      state.update({ step: { busy: false, error: asFlowError(err).message, said: null } });
      // A refusal means the incident moved under us (another operator): show it as it is.
      await refreshLive();
      const now = state.get().incidents?.find((item) => item.id === incident);
      if (now) replaceIncident(now);
      return false;
    }
  }

  function setDispatch(changes: Partial<DispatchPanelState>): void {
    state.update({ dispatch: { ...state.get().dispatch, ...changes } });
  }

  async function loadCandidates(incident: string): Promise<DispatchCandidates | null> {
    try {
      const candidates = await getDispatchCandidates(incident);
      if (state.get().open?.incident.id === incident) setDispatch({ candidates });
      return candidates;
    } catch (err) {
      setDispatch({ error: asFlowError(err).message });
      return null;
    }
  }

  async function openDispatch(incident: string): Promise<void> {
    setDispatch({ open: true, candidates: null, error: null, said: null });
    await loadCandidates(incident);
  }

  function closeDispatch(): void {
    setDispatch({ open: false, error: null });
  }

  async function sendAgents(incident: string, agents: string[]): Promise<boolean> {
    if (state.get().dispatch.busy) return false;
    setDispatch({ busy: true, error: null, said: t("dispatch.sending") });
    try {
      // The server's list as it stands now: a message posted since the panel opened
      // needs its grant too (the report on screen is re-read to open it).
      const candidates = await getDispatchCandidates(incident);
      let keys = contentKeys(state.get().open?.messages ?? []);
      if (missingKeys(candidates, keys).length > 0) {
        await reloadOpen();
        keys = contentKeys(state.get().open?.messages ?? []);
      }
      const ctx = await loadDeviceContext(commune);
      const revocations = await verifiedRevocations(ctx);
      const grants = await buildGrants(
        {
          commune: ctx.commune,
          rootPublicKey: ctx.rootPublicKey,
          pinnedFingerprint: ctx.pinnedFingerprint,
          signPrivate: ctx.keys.signPrivate,
          signKey: ctx.certificate.sign_key,
        },
        revocations,
        candidates,
        agents,
        keys,
        nowSeconds(),
      );
      const updated = await postDispatch(incident, agents, grants);
      replaceIncident(updated);
      const names = candidates.agents
        .filter((a) => agents.includes(a.agent))
        .map((a) => a.name)
        .join(", ");
      setDispatch({ open: false, busy: false, error: null, said: t("dispatch.sent", { names }) });
      void loadCandidates(incident);
      return true;
    } catch (err) {
      setDispatch({ busy: false, error: asFlowError(err).message, said: null });
      return false;
    }
  }

  /**
   * Agents sent or given keys, or a device certified for an agent on the open report:
   * something there may lack a key this console can grant.
   */
  function regrant(event: StreamEvent): void {
    const open = state.get().open;
    if (!open) return;
    const onIt = (open.incident.dispatches ?? []).some(
      (d) => d.releasedAt === null && d.agent === event.member,
    );
    if (event.kind === "device.certified" ? onIt : event.targetId === open.incident.id) {
      void grantMissing(open.incident, open.messages);
    }
  }

  /** An agent sent or its status changed: the list and the open report show it, said. */
  async function dispatchChanged(event: StreamEvent): Promise<void> {
    await refreshLive();
    const incident = state.get().incidents?.find((item) => item.id === event.targetId);
    if (!incident) return;
    replaceIncident(incident);
    const open = state.get().open?.incident.id === incident.id;
    if (!open) return;
    if (state.get().dispatch.open) void loadCandidates(incident.id);
    if (event.kind === "incident.dispatched") regrant(event);
    if (event.kind !== "dispatch.status_changed") return;
    const agent = typeof event.payload.agent === "string" ? event.payload.agent : "";
    const dispatch = incident.dispatches?.find((d) => d.agent === agent);
    if (dispatch) {
      state.update({
        alert: t("dispatch.statusLive", { name: dispatch.name, status: dispatchStatusLabel(dispatch) }),
      });
    }
  }

  async function live(event: StreamEvent): Promise<void> {
    if (event.kind === "alert_limit.reached") return limitReached(event);
    if (LIFECYCLE.has(event.kind)) return lifecycleChanged(event);
    if (DISPATCH_KINDS.has(event.kind)) return dispatchChanged(event);
    if (event.kind === "dispatch.keys_added" || event.kind === "device.certified") {
      return regrant(event);
    }
    if (event.kind === "incident.escalated") return escalated(event);
    if (event.kind === "cluster.confirmed") return refreshLive();
    if (event.kind === "note.posted") {
      // A colleague's or an agent's police note: shown in the open report, never news.
      if (event.targetId === (state.get().open?.incident.id ?? null)) await reloadOpen();
      return;
    }
    if (event.kind !== "incident.reported" && event.kind !== "message.posted") return;
    const message = typeof event.payload.message === "string" ? event.payload.message : null;
    const openId = state.get().open?.incident.id ?? null;
    const news = isNews(
      {
        kind: event.kind,
        targetId: event.targetId,
        message,
        senderDevice: event.sealed?.senderDevice ?? null,
      },
      { device: options.device ?? null, sent },
      openId,
    );
    await refreshLive();
    const incident = state.get().incidents?.find((item) => item.id === event.targetId);
    if (event.targetId === openId) await reloadOpen();
    if (!news) {
      if (event.targetId === openId && event.kind === "message.posted" && !sent.has(message ?? "")) {
        state.update({ alert: t("console.newMessageOpen") });
      }
      return;
    }
    const shop = incident?.shop.enseigne ?? "";
    if (event.kind === "incident.reported") tally = tallyReport(tally, now());
    const count = tally?.count ?? 1;
    state.update({
      unread: markUnread(state.get().unread, event.targetId),
      fresh:
        event.kind === "incident.reported"
          ? markUnread(state.get().fresh, event.targetId)
          : state.get().fresh,
      alert:
        event.kind !== "incident.reported"
          ? t("console.newMessage", { shop })
          : count > 1
            ? t("console.newReports", { count })
            : t("console.newReport", { shop }),
    });
    options.signal?.();
  }

  async function resync(): Promise<void> {
    await refresh(false);
    await reloadOpen();
  }

  async function sendReply(incident: string, text: string): Promise<boolean> {
    if (!text.trim()) {
      state.update({ reply: { sending: false, error: t("console.replyEmpty"), sent: null } });
      return false;
    }
    state.update({ reply: { sending: true, error: null, sent: null } });
    try {
      const sealed =
        pendingReply && pendingReply.incident === incident && pendingReply.text === text
          ? pendingReply.sealed
          : await sealMessage(commune, incident, text);
      pendingReply = { incident, text, sealed };
      sent.add(sealed.message);
      await deliverMessage(sealed);
      pendingReply = null;
      state.update({ reply: { sending: false, error: null, sent: t("console.replySent") } });
      await reloadOpen();
      return true;
    } catch (err) {
      state.update({
        reply: { sending: false, error: asFlowError(err).message, sent: null },
      });
      return false;
    }
  }

  async function sendNote(incident: string, text: string): Promise<boolean> {
    if (!text.trim()) {
      state.update({ note: { sending: false, error: t("console.noteEmpty"), sent: null } });
      return false;
    }
    state.update({ note: { sending: true, error: null, sent: null } });
    try {
      await noteSender(incident, text);
      state.update({ note: { sending: false, error: null, sent: t("console.noteSent") } });
      await reloadOpen();
      return true;
    } catch (err) {
      state.update({ note: { sending: false, error: asFlowError(err).message, sent: null } });
      return false;
    }
  }

  return {
    state,
    start: () => (started ??= runStart()),
    refresh,
    openIncident,
    close,
    live,
    resync,
    sendReply,
    sendNote,
    advance,
    openDispatch,
    closeDispatch,
    sendAgents,
  };
}

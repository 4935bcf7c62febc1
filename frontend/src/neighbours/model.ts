/**
 * Neighbour alerts as one device sees them, apart from the screen (docs/decisions.md,
 * « Neighbour alerts »). First the sector group keys (rings.ts: a merchant receives its
 * sector's, an operator device creates, grants and rotates every sector's), then the
 * alerts the server lists, each opened here from its sealed broadcast; the live stream
 * adds, validates, refuses and ends them (`neighbour_alert.*` carry the sealed alert
 * inline for the devices holding its key).
 *
 * Order: awaiting validation first (oldest first: the first to check), then active ones
 * (newest first); an alert that just ended stays, marked « Fin d'alerte », until it is
 * dismissed or for `ENDED_SHOWN_MS`, then leaves the list.
 */

import { ApiError, getTerritoryMap } from "../api";
import type { GroupKeyOutcome } from "../broadcasts/groupKeyFlow";
import { openBroadcast, parseBroadcast, sealBroadcast } from "../envelope/broadcast";
import { t } from "../i18n";
import { asFlowError, FlowError, nowSeconds } from "../incidents/context";
import type { StreamEvent } from "../live/stream";
import { createStore, type Store } from "../store";
import type { StoredBroadcast } from "../broadcasts/api";
import {
  endAlert,
  fetchAlertAttachment,
  getAlert,
  listAlerts,
  refuseAlert,
  validateAlert,
  type NeighbourAlert,
} from "./api";
import { ringFor, sectorScope, type HeldScope } from "./rings";
import { ownSectorScope, sendNeighbourAlert } from "./send";
import { getSession, loadSession } from "../session";

export const ENDED_SHOWN_MS = 10 * 60 * 1000;

export interface AlertView {
  alert: NeighbourAlert;
  /** The decrypted text; null while it cannot be opened (`error` says why). */
  text: string | null;
  error: FlowError | null;
  /** The police's sealed end message, decrypted. */
  endText: string | null;
}

export interface SectorRef {
  id: string;
  name: string;
  scope: string;
}

export interface NeighboursState {
  /** null until the first listing. */
  items: AlertView[] | null;
  /** The sectors whose key this device holds (operators: every sector of the commune). */
  sectors: SectorRef[];
  keys: Record<string, GroupKeyOutcome>;
  keyError: string | null;
  /** The last live announcement, for the polite live region. */
  alert: string | null;
  error: string | null;
  busy: string | null;
  send: { sending: boolean; error: string | null; sent: string | null };
}

export interface NeighboursOptions {
  operator: boolean;
  /** Runs first (the console's service key lifecycle). */
  after?: Promise<unknown>;
  /** Called when an alert awaiting validation arrives live (the console's sound). */
  signal?: () => void;
}

export interface NeighboursModel {
  state: Store<NeighboursState>;
  start(): Promise<void>;
  live(event: StreamEvent): Promise<void>;
  resync(): Promise<void>;
  validate(id: string): Promise<void>;
  refuse(id: string): Promise<void>;
  end(id: string, text?: string): Promise<boolean>;
  /** Operators: write an alert to a sector. */
  send(scope: string, text: string): Promise<boolean>;
  dismiss(id: string): void;
  stop(): void;
}

export const NEIGHBOUR_KINDS = [
  "neighbour_alert.submitted",
  "neighbour_alert.sent",
  "neighbour_alert.validated",
  "neighbour_alert.refused",
  "neighbour_alert.ended",
] as const;
export const KEY_KINDS = ["group_key.published", "group_key.grants_added"] as const;
/** The sectors a merchant hears from, and who holds each sector's key, change. */
export const SECTOR_KINDS = ["sector.neighbours_changed"] as const;
/** Who may hold a sector's key changes: an operator device grants or rotates. */
export const HOLDER_CHANGE_KINDS = [
  "device.certified",
  "device.revoked",
  "member.suspended",
  "member.revoked",
] as const;

const INITIAL: NeighboursState = {
  items: null,
  sectors: [],
  keys: {},
  keyError: null,
  alert: null,
  error: null,
  busy: null,
  send: { sending: false, error: null, sent: null },
};

const RANK: Record<string, number> = { pending: 0, active: 1, ended: 2 };

/** Pending (oldest first), active (newest first), just ended. One entry per alert. */
export function orderAlerts(items: readonly AlertView[]): AlertView[] {
  const byId = new Map<string, AlertView>();
  for (const item of items) byId.set(item.alert.id, item);
  return [...byId.values()].sort((a, b) => {
    const rank = RANK[a.alert.status] - RANK[b.alert.status];
    if (rank !== 0) return rank;
    if (a.alert.status === "pending") return a.alert.createdAt.localeCompare(b.alert.createdAt);
    const at = (v: AlertView) => v.alert.activatedAt ?? v.alert.createdAt;
    return at(b).localeCompare(at(a)) || a.alert.id.localeCompare(b.alert.id);
  });
}

function sectorsFrom(raw: unknown): SectorRef[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .map((s) => (typeof s === "object" && s !== null ? (s as Record<string, unknown>) : {}))
    .filter((s) => s.id !== undefined && s.id !== null && String(s.id) !== "")
    .map((s) => ({ id: String(s.id), name: String(s.name ?? ""), scope: sectorScope(String(s.id)) }));
}

export function createNeighbourAlerts(commune: string, options: NeighboursOptions): NeighboursModel {
  const state = createStore<NeighboursState>(INITIAL);
  const stopped = new AbortController();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const endedHere = new Set<string>();

  async function keyFor(scope: string, fresh = false): Promise<HeldScope | null> {
    try {
      const held = await ringFor(commune, scope, fresh);
      if (!stopped.signal.aborted) {
        state.update({ keys: { ...state.get().keys, [scope]: held.outcome }, keyError: null });
      }
      return held;
    } catch (err) {
      if (!stopped.signal.aborted) state.update({ keyError: asFlowError(err).message });
      return null;
    }
  }

  async function openSealed(
    id: string,
    sealed: StoredBroadcast,
    forAlert: boolean,
  ): Promise<string | null> {
    const scope = sealed.scope;
    const { header } = parseBroadcast(sealed.envelope);
    let held = await keyFor(scope);
    if (held && header.number > (held.ring.generations.latest?.number ?? 0)) {
      held = await keyFor(scope, true);
    }
    if (!held) throw new FlowError("no_group_key", t("neighbours.noKey"));
    const opener = await held.ring.opener(header.number);
    if (!opener) throw new FlowError("no_group_grant", t("neighbours.noKey"));
    const parts: Uint8Array[] = [];
    if (forAlert) {
      for (const part of sealed.attachments) parts.push(await fetchAlertAttachment(id, part.index));
    }
    const opened = await openBroadcast(
      sealed.envelope,
      parts,
      { commune, scope, broadcast: sealed.broadcast },
      opener,
      held.ring.trust,
    );
    return opened.text;
  }

  async function open(alert: NeighbourAlert): Promise<AlertView> {
    const view: AlertView = { alert, text: null, error: null, endText: null };
    try {
      view.text = await openSealed(alert.id, alert.broadcast, true);
      if (alert.endMessage && alert.endMessage.envelope) {
        view.endText = await openSealed(alert.id, alert.endMessage, false);
      }
    } catch (err) {
      view.error = asFlowError(err);
    }
    return view;
  }

  function put(views: readonly AlertView[], replace = false): void {
    const current = replace
      ? (state.get().items ?? []).filter((v) => v.alert.status === "ended")
      : (state.get().items ?? []);
    state.update({ items: orderAlerts([...current, ...views]) });
  }

  function remove(id: string): void {
    state.update({ items: (state.get().items ?? []).filter((v) => v.alert.id !== id) });
  }

  function endedShown(id: string): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      remove(id);
    }, ENDED_SHOWN_MS);
    timers.add(timer);
  }

  async function reload(): Promise<void> {
    try {
      const listed = await listAlerts();
      if (stopped.signal.aborted) return;
      const views: AlertView[] = [];
      for (const alert of listed) {
        if (stopped.signal.aborted) return;
        views.push(await open(alert));
      }
      put(views, true);
      state.update({ error: null });
    } catch (err) {
      state.update({ error: asFlowError(err).message, items: state.get().items ?? [] });
    }
  }

  /** A merchant listens to their sector and to those the mairie declared its neighbours. */
  async function scopes(fresh = false): Promise<SectorRef[]> {
    if (!options.operator) {
      const session = fresh ? await loadSession() : getSession();
      const scope = ownSectorScope();
      const own = scope ? [{ id: scope.slice("sector:".length), name: "", scope }] : [];
      return scope ? [...own, ...sectorsFrom(session?.neighbour_sectors)] : [];
    }
    const { sectors } = await getTerritoryMap();
    return sectorsFrom(sectors);
  }

  /** The mairie redrew the neighbours: other sectors to listen to, other keys to hold. */
  async function resector(): Promise<void> {
    try {
      state.update({ sectors: await scopes(true) });
    } catch (err) {
      state.update({ keyError: asFlowError(err).message });
    }
    await runKeys(true);
    await reload();
  }

  async function runKeys(fresh: boolean): Promise<void> {
    for (const sector of state.get().sectors) {
      if (stopped.signal.aborted) return;
      await keyFor(sector.scope, fresh);
    }
  }

  async function start(): Promise<void> {
    await options.after?.catch(() => undefined);
    try {
      state.update({ sectors: await scopes() });
    } catch (err) {
      state.update({ keyError: asFlowError(err).message });
    }
    await runKeys(false);
    await reload();
  }

  async function upsert(event: StreamEvent): Promise<AlertView | null> {
    const inline = event.neighbour ?? null;
    if (inline) {
      const view = await open(inline);
      put([view]);
      return view;
    }
    try {
      const view = await open(await getAlert(event.targetId));
      put([view]);
      return view;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) remove(event.targetId);
      return null;
    }
  }

  async function live(event: StreamEvent): Promise<void> {
    if (stopped.signal.aborted) return;
    const kind: string = event.kind;
    if (kind === "neighbour_alert.refused") {
      const mine = (state.get().items ?? []).some((v) => v.alert.id === event.targetId);
      remove(event.targetId);
      if (mine && !options.operator) state.update({ alert: t("neighbours.refusedNotice") });
      return;
    }
    if (kind === "neighbour_alert.ended") {
      // Ended from this page, or already shown as ended: nothing new to say.
      const known = (state.get().items ?? []).find((v) => v.alert.id === event.targetId);
      if (endedHere.has(event.targetId) || known?.alert.status === "ended") return;
      const view = await upsert(event);
      if (view && !endedHere.has(view.alert.id)) {
        endedShown(view.alert.id);
        state.update({
          alert:
            view.alert.endReason === "expired"
              ? t("neighbours.endedExpiredNotice")
              : t("neighbours.endedNotice"),
        });
      }
      return;
    }
    if ((NEIGHBOUR_KINDS as readonly string[]).includes(kind)) {
      const view = await upsert(event);
      if (view && view.alert.status === "active" && !options.operator) {
        state.update({ alert: t("neighbours.arrivedNotice", { from: view.alert.sender.label }) });
      }
      if (view && view.alert.status === "pending" && options.operator) {
        state.update({ alert: t("neighbours.pendingNotice") });
        if (kind === "neighbour_alert.submitted") options.signal?.();
      }
      return;
    }
    const scope = typeof event.payload.scope === "string" ? event.payload.scope : null;
    if ((KEY_KINDS as readonly string[]).includes(kind)) {
      if (!scope || !state.get().sectors.some((s) => s.scope === scope)) return;
      const held = state.get().keys[scope];
      const number = event.payload.number;
      const holds = held?.state === "held" || held?.state === "created";
      if (holds && typeof number === "number" && held.number >= number) return;
      await keyFor(scope, true);
      if ((state.get().items ?? []).some((v) => v.text === null)) await reload();
      return;
    }
    if (kind === "sector.neighbours_changed") {
      await resector();
      return;
    }
    if (options.operator && (HOLDER_CHANGE_KINDS as readonly string[]).includes(kind)) {
      await runKeys(true);
    }
  }

  async function resync(): Promise<void> {
    // The server resyncs a merchant's stream when their sectors change, among other times.
    if (!options.operator) return resector();
    await runKeys(true);
    await reload();
  }

  async function act(id: string, work: () => Promise<void>): Promise<void> {
    state.update({ busy: id, error: null });
    try {
      await work();
    } catch (err) {
      state.update({ error: asFlowError(err).message });
    } finally {
      state.update({ busy: null });
    }
  }

  const validate = (id: string) =>
    act(id, async () => {
      const alert = await validateAlert(id);
      put([await open(alert)]);
      state.update({ alert: t("neighbours.validatedNotice") });
    });

  const refuse = (id: string) =>
    act(id, async () => {
      await refuseAlert(id);
      remove(id);
      state.update({ alert: t("neighbours.refusedDone") });
    });

  async function end(id: string, text = ""): Promise<boolean> {
    let done = false;
    await act(id, async () => {
      const item = (state.get().items ?? []).find((v) => v.alert.id === id);
      let message = null;
      if (text.trim() && item) {
        const { ring } = await ringFor(commune, item.alert.scope);
        const latest = ring.generations.latest;
        if (!latest) throw new FlowError("no_group_key", t("neighbours.noKey"));
        const sealed = await sealBroadcast(
          { commune, scope: item.alert.scope, broadcast: crypto.randomUUID() },
          {
            signPrivate: ring.ctx.keys.signPrivate,
            device: ring.ctx.deviceId,
            serial: ring.ctx.certificate.serial,
            chain: ring.ctx.chain,
          },
          latest,
          { text, fields: {}, attachments: [] },
          nowSeconds(),
        );
        message = sealed.wire;
      }
      endedHere.add(id);
      const alert = await endAlert(id, message).catch((err) => {
        endedHere.delete(id);
        throw err;
      });
      put([await open(alert)]);
      endedShown(id);
      state.update({ alert: t("neighbours.endedDone") });
      done = true;
    });
    return done;
  }

  async function send(scope: string, text: string): Promise<boolean> {
    state.update({ send: { sending: true, error: null, sent: null } });
    try {
      const alert = await sendNeighbourAlert(commune, null, text, scope);
      put([await open(alert)]);
      state.update({ send: { sending: false, error: null, sent: t("neighbours.sent") } });
      return true;
    } catch (err) {
      state.update({ send: { sending: false, error: asFlowError(err).message, sent: null } });
      return false;
    }
  }

  function dismiss(id: string): void {
    remove(id);
  }

  function stop(): void {
    stopped.abort();
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  }

  return { state, start, live, resync, validate, refuse, end, send, dismiss, stop };
}

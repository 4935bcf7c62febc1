/**
 * The offline queue (issue 11, point 4; docs/decisions.md, « Offline queue »): a report is
 * kept on the device before its first attempt, with its idempotency key (its incident and
 * message ids), and tried again by itself until the server answers. Two stages:
 *
 * - `composed`: « Envoyer » pressed but not sealed yet, because sealing needs the network
 *   (the device's chain, a fresh key directory and revocation list). The composed report is
 *   the draft moved here: the same clear data, on this device only, as alert/draft.ts keeps.
 * - `sealed`: the envelope's bytes, its sealed attachments, the ids and the clear fields;
 *   the clear content is dropped in the same write. Every retry sends these very bytes.
 *
 * The entry goes only once the server answered (201, or 200 for a retry it already had).
 * Transport trouble (`network`, a 5xx, an unreadable answer) waits and retries with
 * backoff; any other refusal is final. After `CALL_17_AFTER_MS` without an answer the
 * screens tell the shopkeeper to call 17, and the queue keeps trying.
 *
 * Storage, clock, sealing and delivery are injected: Vitest runs this on memory and a fake
 * clock, alert/queue.ts binds it to IndexedDB, window timers and the real API.
 */

import type { WireEnvelope } from "../envelope/envelope";
import type { ReportMeta } from "../incidents/api";
import { FlowError } from "../incidents/context";
import type { RefusedDevice, SealedReport, SendStep, SentReport } from "../incidents/send";
import { createStore, type Store } from "../store";
import type { StoredPhoto } from "./draft";

/** A report not answered within a minute: « appelez le 17 » (DESIGN: never wait silently). */
export const CALL_17_AFTER_MS = 60_000;
export const BACKOFF_FIRST_MS = 1_000;
export const BACKOFF_MAX_MS = 15_000;
/** What says « the network, not the report »: the entry waits and is tried again. */
export const WAIT_CODES: ReadonlySet<string> = new Set(["network", "server_error", "bad_response"]);
export const OUTBOX_VERSION = 1;

/** The report as composed, in clear like the draft it was; dropped once sealed. */
export interface ComposedReport {
  text: string;
  fields: Record<string, unknown>;
  photos: StoredPhoto[];
}

/** What goes up, sealed: never readable by the server nor by anyone holding this storage. */
export interface SealedParts {
  sentAt: number;
  wire: WireEnvelope;
  attachments: Uint8Array[];
  recipients: number;
  refused: RefusedDevice[];
}

export interface OutboxEntry {
  v: number;
  /** The idempotency key: the same on every attempt. */
  incident: string;
  message: string;
  /** This device's public id (a shared browser keeps its members' entries apart). */
  owner: string;
  commune: string;
  /** ms since the epoch, when « Envoyer » was pressed: the minute counts from here. */
  queuedAt: number;
  /** The category's label when queued, for the screens. */
  label: string;
  /** The discreet gesture's: never listed on the home. */
  discreet: boolean;
  meta: ReportMeta;
  composed: ComposedReport | null;
  sealed: SealedParts | null;
  attempts: number;
  /** ms since the epoch of the next attempt. */
  nextAt: number;
  /** A final refusal heard in the background, kept to be shown until dismissed. */
  failure: { code: string; message: string } | null;
}

export type EntryStatus = "waiting" | "call17" | "failed";

export interface EntryView {
  entry: OutboxEntry;
  status: EntryStatus;
}

export interface OutboxState {
  /** This device's entries, oldest first. */
  entries: EntryView[];
  /** Reports this queue delivered since the page opened, by incident. */
  sent: Record<string, SentReport>;
  loaded: boolean;
}

export type Attempt =
  | { outcome: "sent"; sent: SentReport }
  | { outcome: "waiting"; error: FlowError }
  /** `sealed`: the bytes a « Réessayer » may send again (the report was sealed). */
  | { outcome: "refused"; error: FlowError; sealed: SealedReport | null }
  /** Another tab sent it (the entry is no longer stored). */
  | { outcome: "gone" };

export interface OutboxStorage {
  list(owner: string): Promise<OutboxEntry[]>;
  get(incident: string): Promise<OutboxEntry | null>;
  put(entry: OutboxEntry): Promise<void>;
  delete(incident: string): Promise<void>;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface OutboxDeps {
  owner: string;
  storage: OutboxStorage;
  clock: Clock;
  /** Seals a composed entry under its own ids and meta (incidents/send.ts `sealReport`). */
  seal(entry: OutboxEntry, onStep: (step: SendStep) => void): Promise<SealedReport>;
  deliver(sealed: SealedReport, onStep: (step: SendStep) => void): Promise<SentReport>;
  /** A delivery heard in the background: the status line, the neighbour alert. */
  delivered?(entry: OutboxEntry, sent: SentReport): Promise<void> | void;
  /** Runs `work` alone across this device's tabs, per entry (navigator.locks in the browser). */
  exclusive?<T>(incident: string, work: () => Promise<T>): Promise<T>;
}

export interface Outbox {
  state: Store<OutboxState>;
  /** Loads the stored entries and tries every one not refused (the app starts). */
  start(): Promise<void>;
  /**
   * Stores `entry` (or finds it stored), calls `stored`, then tries it at once. A refusal
   * of this first attempt removes the entry: the screen that submitted it shows the error.
   */
  submit(
    entry: OutboxEntry,
    options?: { onStep?: (step: SendStep) => void; stored?: () => void },
  ): Promise<Attempt>;
  /** The network is back: every waiting entry now. */
  retryNow(): void;
  /** Forgets a refused entry once the shopkeeper read it. */
  dismiss(incident: string): Promise<void>;
  stop(): void;
}

/** 1 s, 2 s, 4 s, 8 s, then every 15 s: quick after a blip, gentle in a cellar. */
export function backoff(attempts: number): number {
  if (attempts <= 0) return 0;
  return Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (attempts - 1));
}

/** What the screens show for an entry at `now`. */
export function statusOf(entry: OutboxEntry, now: number): EntryStatus {
  if (entry.failure) return "failed";
  return now - entry.queuedAt >= CALL_17_AFTER_MS ? "call17" : "waiting";
}

/** A new entry for a composed report (ids chosen by the caller, once). */
export function composedEntry(fields: {
  incident: string;
  message: string;
  owner: string;
  commune: string;
  label: string;
  meta: ReportMeta;
  composed: ComposedReport;
  discreet?: boolean;
  now: number;
}): OutboxEntry {
  return {
    v: OUTBOX_VERSION,
    incident: fields.incident,
    message: fields.message,
    owner: fields.owner,
    commune: fields.commune,
    queuedAt: fields.now,
    label: fields.label,
    discreet: fields.discreet ?? false,
    meta: fields.meta,
    composed: fields.composed,
    sealed: null,
    attempts: 0,
    nextAt: fields.now,
    failure: null,
  };
}

/** An entry for a report already sealed (a « Réessayer » after a refusal kept its bytes). */
export function sealedEntry(
  report: SealedReport,
  fields: { owner: string; commune: string; label: string; discreet?: boolean; now: number },
): OutboxEntry {
  return {
    ...composedEntry({
      ...fields,
      incident: report.incident,
      message: report.message,
      meta: report.meta ?? { category: "", severity: null, neighbours: false },
      composed: { text: "", fields: {}, photos: [] },
    }),
    composed: null,
    sealed: partsOf(report),
  };
}

function partsOf(report: SealedReport): SealedParts {
  return {
    sentAt: report.sentAt,
    wire: report.wire,
    attachments: report.attachments,
    recipients: report.recipients,
    refused: report.refused,
  };
}

/** The sealed report a retry sends: the entry's bytes and clear fields. */
export function reportOf(entry: OutboxEntry & { sealed: SealedParts }): SealedReport {
  return {
    incident: entry.incident,
    message: entry.message,
    meta: entry.meta,
    ...entry.sealed,
  };
}

const asFlow = (error: unknown): FlowError =>
  error instanceof FlowError
    ? error
    : new FlowError(
        typeof (error as { code?: unknown } | null)?.code === "string"
          ? (error as { code: string }).code
          : "error",
        error instanceof Error ? error.message : String(error),
      );

export function createOutbox(deps: OutboxDeps): Outbox {
  const { clock, storage } = deps;
  const state = createStore<OutboxState>({ entries: [], sent: {}, loaded: false });
  const entries = new Map<string, OutboxEntry>();
  const timers = new Map<string, unknown>();
  const running = new Map<string, Promise<Attempt>>();
  let minuteTimer: unknown = null;
  let stopped = false;
  const exclusive = deps.exclusive ?? (<T>(_: string, work: () => Promise<T>) => work());

  /** Re-reads the views at `now`, and wakes up at the next « appelez le 17 ». */
  function publish(patch: Partial<OutboxState> = {}) {
    const now = clock.now();
    const views = [...entries.values()]
      .sort((a, b) => a.queuedAt - b.queuedAt)
      .map((entry) => ({ entry, status: statusOf(entry, now) }));
    state.update({ ...patch, entries: views });
    if (minuteTimer !== null) clock.clearTimeout(minuteTimer);
    minuteTimer = null;
    const next = views
      .filter((v) => v.status === "waiting")
      .map((v) => v.entry.queuedAt + CALL_17_AFTER_MS - now);
    if (next.length > 0 && !stopped) {
      minuteTimer = clock.setTimeout(() => {
        minuteTimer = null;
        publish();
      }, Math.max(0, Math.min(...next)));
    }
  }

  function schedule(entry: OutboxEntry) {
    const previous = timers.get(entry.incident);
    if (previous !== undefined) clock.clearTimeout(previous);
    timers.delete(entry.incident);
    if (stopped || entry.failure) return;
    const delay = Math.max(0, entry.nextAt - clock.now());
    timers.set(
      entry.incident,
      clock.setTimeout(() => {
        timers.delete(entry.incident);
        void attempt(entry.incident, false);
      }, delay),
    );
  }

  function forget(incident: string) {
    const handle = timers.get(incident);
    if (handle !== undefined) clock.clearTimeout(handle);
    timers.delete(incident);
    entries.delete(incident);
  }

  async function keep(entry: OutboxEntry) {
    await storage.put(entry);
    entries.set(entry.incident, entry);
  }

  function attempt(
    incident: string,
    foreground: boolean,
    onStep: (step: SendStep) => void = () => undefined,
  ): Promise<Attempt> {
    const busy = running.get(incident);
    if (busy) return busy;
    const run = exclusive(incident, () => once(incident, foreground, onStep)).finally(() =>
      running.delete(incident),
    );
    running.set(incident, run);
    return run;
  }

  async function once(
    incident: string,
    foreground: boolean,
    onStep: (step: SendStep) => void,
  ): Promise<Attempt> {
    // Read again under the lock: another tab may have sealed it, sent it, or seen it refused.
    let entry = await storage.get(incident);
    if (!entry) {
      forget(incident);
      publish();
      return { outcome: "gone" };
    }
    if (entry.failure) {
      entries.set(incident, entry);
      publish();
      return { outcome: "refused", error: new FlowError(entry.failure.code, entry.failure.message), sealed: null };
    }
    let report: SealedReport | null = entry.sealed ? reportOf({ ...entry, sealed: entry.sealed }) : null;
    try {
      if (!report) {
        report = await deps.seal(entry, onStep);
        // The sealed bytes replace the clear content in one write, before the first POST.
        entry = { ...entry, composed: null, sealed: partsOf(report) };
        await keep(entry);
        publish();
      }
      const sent = await deps.deliver(report, onStep);
      await storage.delete(incident);
      forget(incident);
      if (!foreground) {
        try {
          await deps.delivered?.(entry, sent);
        } catch {
          /* the report is sent; only its status line or neighbour alert stumbled */
        }
      }
      publish({ sent: { ...state.get().sent, [incident]: sent } });
      return { outcome: "sent", sent };
    } catch (err) {
      const error = asFlow(err);
      if (WAIT_CODES.has(error.code)) {
        const attempts = entry.attempts + 1;
        entry = { ...entry, attempts, nextAt: clock.now() + backoff(attempts) };
        await keep(entry);
        schedule(entry);
        publish();
        return { outcome: "waiting", error };
      }
      if (foreground) {
        await storage.delete(incident);
        forget(incident);
        publish();
        return { outcome: "refused", error, sealed: report };
      }
      // Heard in the background: kept, without its content, until the shopkeeper read it.
      entry = { ...entry, composed: null, failure: { code: error.code, message: error.message } };
      await keep(entry);
      schedule(entry);
      publish();
      return { outcome: "refused", error, sealed: null };
    }
  }

  return {
    state,
    async start() {
      stopped = false;
      const stored = await storage.list(deps.owner);
      for (const entry of stored) {
        if (!entries.has(entry.incident)) entries.set(entry.incident, entry);
      }
      publish({ loaded: true });
      for (const entry of stored) {
        if (!entry.failure) void attempt(entry.incident, false);
      }
    },
    async submit(entry, options = {}) {
      const existing = await storage.get(entry.incident);
      if (!existing) await keep(entry);
      else entries.set(existing.incident, existing);
      publish();
      options.stored?.();
      return attempt(entry.incident, true, options.onStep);
    },
    retryNow() {
      for (const entry of entries.values()) {
        if (entry.failure) continue;
        void attempt(entry.incident, false);
      }
    },
    async dismiss(incident) {
      const entry = entries.get(incident);
      if (!entry?.failure) return;
      await storage.delete(incident);
      forget(incident);
      publish();
    },
    stop() {
      stopped = true;
      for (const handle of timers.values()) clock.clearTimeout(handle);
      timers.clear();
      if (minuteTimer !== null) clock.clearTimeout(minuteTimer);
      minuteTimer = null;
    },
  };
}

/** Entries as memory (Vitest, or a browser without IndexedDB: lost at reload, still sent). */
export function memoryOutboxStorage(): OutboxStorage & { map: Map<string, OutboxEntry> } {
  const map = new Map<string, OutboxEntry>();
  // A copy per read and write, as IndexedDB's structured clone gives.
  const copy = (e: OutboxEntry): OutboxEntry => ({ ...e });
  return {
    map,
    list: async (owner) => [...map.values()].filter((e) => e.owner === owner).map(copy),
    get: async (incident) => {
      const found = map.get(incident);
      return found ? copy(found) : null;
    },
    put: async (entry) => void map.set(entry.incident, copy(entry)),
    delete: async (incident) => void map.delete(incident),
  };
}

/**
 * The live stream (`GET /api/v1/stream`, Server-Sent Events; docs/events.md): one connection
 * per page, a typed event bus on the store pattern, the connection state the screen shows,
 * a cursor so that nothing is lost across reconnections, and the `resync` rule (reload the
 * lists, carry on). This file holds no browser global: the EventSource class and the
 * timers are given, so Vitest drives it with fakes; live/browser.ts binds the real ones.
 *
 * Reconnection is ours, not the browser's: on an error the source is closed and a new one
 * is opened after a backoff with `?after=<cursor>` (a new EventSource sends no
 * Last-Event-ID), so the server replays exactly what was missed. A source that closed
 * itself (an HTTP error such as the 401 of a signed-out session) first asks `checkSession`
 * whether to go on at all.
 */

import { normaliseBroadcast, type StoredBroadcast } from "../broadcasts/api";
import { normaliseMessage, type StoredMessage } from "../incidents/api";
import { normaliseAlert, type NeighbourAlert } from "../neighbours/api";
import { createStore, type Store } from "../store";

/** The kinds of src/maillage/stream/kinds.py, and the stream's own `resync`. */
export const KINDS = [
  "commune.created",
  "sector.created",
  "sector.neighbours_changed",
  "shop.created",
  "shops.imported",
  "shop.updated",
  "invitation.created",
  "invitation.cancelled",
  "member.enrolled",
  "member.suspended",
  "member.reinstated",
  "member.revoked",
  "charter.published",
  "root.installed",
  "device.registered",
  "device.certified",
  "device.revoked",
  "revocation_list.published",
  "service_key.published",
  "service_key.grants_added",
  "incident.reported",
  "message.posted",
  "group_key.published",
  "group_key.grants_added",
  "broadcast.sent",
  "neighbour_alert.submitted",
  "neighbour_alert.sent",
  "neighbour_alert.validated",
  "neighbour_alert.refused",
  "neighbour_alert.ended",
  "alert_settings.changed",
  "alert_limit.reached",
  "duty.schedule_changed",
  "duty.fallback_changed",
  "incident.taken",
  "incident.doubt_lifted",
  "incident.intervention_engaged",
  "incident.on_site",
  "incident.closed",
  "incident.escalated",
  "incident.dispatched",
  "dispatch.status_changed",
  "note.posted",
  "dispatch.keys_added",
  "exercise.started",
  "exercise.ended",
  "cluster.confirmed",
  "crisis.started",
  "crisis.instructions_changed",
  "crisis.ended",
  "push.subscribed",
  "push.unsubscribed",
  "push.subscription_disabled",
] as const;

export type Kind = (typeof KINDS)[number];

export interface StreamEvent {
  seq: number;
  kind: Kind;
  at: string;
  actorKind: string;
  targetType: string;
  targetId: string;
  shop: string | null;
  member: string | null;
  payload: Record<string, unknown>;
  /** The sealed message itself, present only where this device is a recipient. */
  sealed: StoredMessage | null;
  /** `broadcast.sent`: the sealed broadcast, inline for the devices holding the key. */
  broadcast?: StoredBroadcast | null;
  /** `neighbour_alert.*`: the alert with its sealed broadcast, inline for its key holders. */
  neighbour?: NeighbourAlert | null;
}

export type ConnectionStatus = "idle" | "connecting" | "open" | "lost" | "closed";

export interface StreamState {
  status: ConnectionStatus;
  /** The last seq received: the replay starts after it. */
  cursor: number | null;
  /** Failed attempts in a row, for the backoff. */
  attempts: number;
}

/** What this module needs of the browser's EventSource. */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  addEventListener(type: string, listener: (event: { data: string; lastEventId?: string }) => void): void;
  close(): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface StreamOptions {
  connect: (url: string) => EventSourceLike;
  timers: Timers;
  url?: string;
  /** Backoff: base * 2^attempts, at most `maxDelay`, scaled by 0.5–1 (jitter). */
  baseDelay?: number;
  maxDelay?: number;
  random?: () => number;
  /** Asked when the server refused the connection: false (signed out) stops the stream. */
  checkSession?: () => Promise<boolean>;
  /** A cursor kept from an earlier page, if any. */
  cursor?: number | null;
  /** No event nor heartbeat for this long (ms): the connection is dead though not closed
   * (a phone that lost its network); reconnect. The server beats every 15 s. */
  silence?: number;
}

export interface LiveStream {
  state: Store<StreamState>;
  /** The last event received, for who wants every kind (the bus itself). */
  events: Store<StreamEvent | null>;
  on<K extends Kind>(kind: K | readonly K[], handler: (event: StreamEvent & { kind: K }) => void): () => void;
  /** Called on `resync` (and after a reconnection that could not replay): reload lists. */
  onResync(handler: () => void): () => void;
  start(): void;
  /** Closes for good (sign-out); `start` opens again. */
  stop(): void;
}

/** EventSource.CLOSED: the browser gave up after an HTTP error (a 401, a 5xx). */
const CLOSED = 2;

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Raw) : {};
const str = (v: unknown): string => (typeof v === "string" ? v : v == null ? "" : String(v));
const optional = (v: unknown): string | null => (v == null || v === "" ? null : str(v));

/** The wire event as the app uses it; null when it is not one (malformed JSON, no seq). */
export function parseEvent(kind: string, data: string): StreamEvent | null {
  let raw: Raw;
  try {
    raw = obj(JSON.parse(data));
  } catch {
    return null;
  }
  const seq = typeof raw.seq === "number" ? raw.seq : Number(raw.seq);
  const name = str(raw.kind) || kind;
  const neighbour = name.startsWith("neighbour_alert.");
  if (!Number.isInteger(seq) || seq < 1 || !(KINDS as readonly string[]).includes(name)) return null;
  return {
    seq,
    kind: name as Kind,
    at: str(raw.at),
    actorKind: str(raw.actor_kind),
    targetType: str(raw.target_type),
    targetId: str(raw.target_id),
    shop: optional(raw.shop),
    member: optional(raw.member),
    payload: obj(raw.payload),
    sealed:
      raw.sealed && name !== "broadcast.sent" && !neighbour ? normaliseMessage(raw.sealed) : null,
    broadcast: raw.sealed && name === "broadcast.sent" ? normaliseBroadcast(raw.sealed) : null,
    neighbour: raw.sealed && neighbour ? normaliseAlert(raw.sealed) : null,
  };
}

export function backoffDelay(attempts: number, base: number, max: number, random: number): number {
  const raw = Math.min(max, base * 2 ** Math.max(0, attempts - 1));
  return Math.round(raw * (0.5 + random / 2));
}

export function streamUrl(base: string, cursor: number | null): string {
  if (cursor === null) return base;
  return `${base}${base.includes("?") ? "&" : "?"}after=${encodeURIComponent(cursor)}`;
}

export function createStream(options: StreamOptions): LiveStream {
  const url = options.url ?? "/api/v1/stream";
  const base = options.baseDelay ?? 1000;
  const max = options.maxDelay ?? 30000;
  const random = options.random ?? Math.random;
  const state = createStore<StreamState>({
    status: "idle",
    cursor: options.cursor ?? null,
    attempts: 0,
  });
  const events = createStore<StreamEvent | null>(null);
  const resyncs = createStore(0);
  let source: EventSourceLike | null = null;
  let timer: unknown = null;
  let running = false;
  let watchdog: unknown = null;
  const silence = options.silence ?? 40000;

  function disarm(): void {
    if (watchdog !== null) options.timers.clearTimeout(watchdog);
    watchdog = null;
  }

  function arm(current: EventSourceLike): void {
    disarm();
    watchdog = options.timers.setTimeout(() => {
      watchdog = null;
      if (source === current) lose(current, false);
    }, silence);
  }

  function lose(current: EventSourceLike, refused: boolean): void {
    disarm();
    current.close();
    source = null;
    const attempts = state.get().attempts + 1;
    state.update({ status: "lost", attempts });
    if (refused && options.checkSession) {
      void options.checkSession().then(
        (signedIn) => (signedIn ? schedule(attempts) : stop()),
        () => schedule(attempts),
      );
    } else {
      schedule(attempts);
    }
  }

  function receive(kind: string, data: string): void {
    const event = parseEvent(kind, data);
    if (!event) return;
    const cursor = state.get().cursor;
    // A replay that overlaps what we saw: exactly once, in order.
    if (cursor !== null && event.seq <= cursor) return;
    state.update({ cursor: event.seq });
    events.set(event);
  }

  function resync(data: string, lastEventId: string | undefined): void {
    // `{seq}`: the head the stream goes on from (also the SSE id).
    const body = obj(safeJson(data));
    const head = Number(body.seq ?? lastEventId);
    if (Number.isInteger(head) && head >= 0) state.update({ cursor: head });
    resyncs.set((n) => n + 1);
  }

  function open(): void {
    timer = null;
    if (!running) return;
    const current = options.connect(streamUrl(url, state.get().cursor));
    source = current;
    state.update({ status: state.get().attempts === 0 ? "connecting" : "lost" });
    current.onopen = () => {
      if (source !== current) return;
      state.update({ status: "open", attempts: 0 });
      arm(current);
    };
    current.onerror = () => {
      if (source !== current) return;
      lose(current, current.readyState === CLOSED);
    };
    for (const kind of KINDS) {
      current.addEventListener(kind, (event) => {
        if (source !== current) return;
        arm(current);
        receive(kind, event.data);
      });
    }
    current.addEventListener("message", (event) => {
      if (source !== current) return;
      arm(current);
      receive("", event.data);
    });
    current.addEventListener("heartbeat", () => {
      if (source === current) arm(current);
    });
    current.addEventListener("resync", (event) => {
      if (source !== current) return;
      arm(current);
      resync(event.data, event.lastEventId);
    });
  }

  function schedule(attempts: number): void {
    if (!running || timer !== null) return;
    timer = options.timers.setTimeout(open, backoffDelay(attempts, base, max, random()));
  }

  function start(): void {
    if (running) return;
    running = true;
    state.update({ attempts: 0 });
    open();
  }

  function stop(): void {
    running = false;
    disarm();
    if (timer !== null) options.timers.clearTimeout(timer);
    timer = null;
    source?.close();
    source = null;
    state.update({ status: "closed", attempts: 0 });
  }

  return {
    state,
    events,
    on(kind, handler) {
      const wanted: readonly string[] = typeof kind === "string" ? [kind] : kind;
      return events.subscribe((event) => {
        if (event && wanted.includes(event.kind)) handler(event as never);
      });
    },
    onResync(handler) {
      return resyncs.subscribe(() => handler());
    },
    start,
    stop,
  };
}

function safeJson(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}

/**
 * « Message à tous les commerces »: the commune-wide broadcasts as one device sees them,
 * apart from the screen. The group-key lifecycle runs first (groupKeyFlow.ts); then the
 * broadcasts listed by the server are opened here, newest first, and the live stream adds
 * the ones sent since (`broadcast.sent` carries the sealed bytes inline for holders). An
 * operator device also seals and sends: once to the latest generation, whatever the
 * audience; a `409 stale_group_key` (a rotation happened meanwhile) refetches the
 * generations and seals again once, under a new id.
 *
 * Live, the key follows the commune: a new generation or a grant (`group_key.*`) is
 * fetched at once, and on an operator device a newly certified device gets its grant and
 * a suspension or revocation leads to the next generation.
 */

import { ApiError } from "../api";
import { openBroadcast, parseBroadcast, sealBroadcast } from "../envelope/broadcast";
import type { Attachment, WireEnvelope } from "../envelope/envelope";
import { reencodePhoto } from "../envelope/photo";
import { t } from "../i18n";
import { asFlowError, FlowError, nowSeconds } from "../incidents/context";
import type { OpenedPhoto } from "../incidents/read";
import { checkDraft } from "../incidents/send";
import type { StreamEvent } from "../live/stream";
import { createStore, type Store } from "../store";
import type { CertificateBody } from "../trust/chain";
import {
  fetchBroadcastAttachment,
  listBroadcasts,
  postBroadcast,
  type StoredBroadcast,
} from "./api";
import { runGroupKeyFlow, SCOPE, type GroupKeyOutcome, type KeyRing } from "./groupKeyFlow";
import { holderRoles } from "./keys";

export interface BroadcastView {
  id: string;
  sentAt: number;
  senderDevice: string;
  opened: { text: string | null; photos: OpenedPhoto[]; sender: CertificateBody } | null;
  error: FlowError | null;
}

export interface BroadcastsState {
  key: GroupKeyOutcome | null;
  keyError: string | null;
  /** Newest first; null until the first listing. */
  items: BroadcastView[] | null;
  /** Arrived live and not yet marked read: drawn with the « Nouveau » marker. */
  fresh: ReadonlySet<string>;
  /** The last live announcement, for the polite live region. */
  alert: string | null;
  error: string | null;
  send: { sending: boolean; error: string | null; sent: string | null };
}

export interface BroadcastsModel {
  state: Store<BroadcastsState>;
  start(): Promise<void>;
  live(event: StreamEvent): Promise<void>;
  resync(): Promise<void>;
  markRead(): void;
  /** The page was left: nothing more is asked of the server; an answer in flight is ignored. */
  stop(): void;
  /** Operator devices: seal `text` once to the latest generation and post it. */
  send(text: string, photos?: readonly Blob[]): Promise<boolean>;
}

/** Events a broadcast view listens to; operators also follow who may hold the key. */
export const HOLDER_KINDS = ["broadcast.sent", "group_key.published", "group_key.grants_added"] as const;
/** « Mode crise »: its instructions and closing message are broadcasts to the commune too. */
export const CRISIS_BROADCAST_KINDS = [
  "crisis.started",
  "crisis.instructions_changed",
  "crisis.ended",
] as const;
export const OPERATOR_KINDS = [
  ...HOLDER_KINDS,
  "device.certified",
  "device.revoked",
  "member.suspended",
  "member.revoked",
] as const;

const INITIAL: BroadcastsState = {
  key: null,
  keyError: null,
  items: null,
  fresh: new Set(),
  alert: null,
  error: null,
  send: { sending: false, error: null, sent: null },
};

interface SealedBroadcast {
  broadcast: string;
  text: string;
  number: number;
  wire: WireEnvelope;
  attachments: Uint8Array[];
  sentAt: number;
}

/** Newest first, one entry per broadcast. */
function merge(items: readonly BroadcastView[], added: readonly BroadcastView[]): BroadcastView[] {
  const byId = new Map<string, BroadcastView>();
  for (const item of [...items, ...added]) {
    const kept = byId.get(item.id);
    // An opened copy wins over one that failed (the key may have come in between).
    if (!kept || (!kept.opened && item.opened)) byId.set(item.id, item);
  }
  return [...byId.values()].sort((a, b) => b.sentAt - a.sentAt || a.id.localeCompare(b.id));
}

export interface BroadcastsOptions {
  operator: boolean;
  /** Runs first (the console's service key lifecycle): one key flow at a time per page. */
  after?: Promise<unknown>;
}

export function createBroadcasts(commune: string, options: BroadcastsOptions): BroadcastsModel {
  const state = createStore<BroadcastsState>(INITIAL);
  const stopped = new AbortController();
  let ring: Promise<KeyRing | null> | null = null;
  let pending: SealedBroadcast | null = null;
  const sentHere = new Set<string>();

  // One key run at a time, at most one more queued after it (a burst of events).
  let running: Promise<KeyRing | null> | null = null;
  let queued: Promise<KeyRing | null> | null = null;

  async function runKeys(): Promise<KeyRing | null> {
    try {
      const { ring: made, outcome } = await runGroupKeyFlow(commune, SCOPE, stopped.signal);
      state.update({ key: carried(state.get().key, outcome), keyError: null });
      return made;
    } catch (err) {
      if (!stopped.signal.aborted) state.update({ keyError: asFlowError(err).message });
      return null;
    }
  }

  function refreshKeys(): Promise<KeyRing | null> {
    if (queued) return queued;
    if (!running) {
      running = runKeys().finally(() => {
        running = null;
      });
      ring = running;
      return running;
    }
    queued = running.then(() => {
      queued = null;
      return refreshKeys();
    });
    ring = queued;
    return queued;
  }

  const keys = (): Promise<KeyRing | null> => (ring ??= refreshKeys());

  async function open(stored: StoredBroadcast, current: KeyRing | null): Promise<BroadcastView> {
    const view: BroadcastView = {
      id: stored.broadcast,
      sentAt: stored.sentAt,
      senderDevice: stored.senderDevice,
      opened: null,
      error: null,
    };
    try {
      // The header says when and to which generation it was sealed; the listing is not
      // trusted (and the stream's inline copy says neither).
      const { header } = parseBroadcast(stored.envelope);
      view.sentAt = header.sentAt;
      view.senderDevice = header.senderDevice;
      if (!current) throw new FlowError("no_group_key", t("broadcast.noKey"));
      const opener = await current.opener(header.number);
      if (!opener) throw new FlowError("no_group_grant", t("broadcast.noGrant"));
      const parts: Uint8Array[] = [];
      for (const part of stored.attachments) {
        parts.push(await fetchBroadcastAttachment(stored.broadcast, part.index));
      }
      const opened = await openBroadcast(
        stored.envelope,
        parts,
        { commune, scope: stored.scope || SCOPE, broadcast: stored.broadcast },
        opener,
        current.trust,
      );
      view.opened = {
        text: opened.text,
        photos: opened.attachments.map((a) => ({
          data: a.data,
          media: a.media,
          width: a.width,
          height: a.height,
        })),
        sender: opened.sender,
      };
    } catch (err) {
      view.error = asFlowError(err);
    }
    return view;
  }

  async function openAll(list: readonly StoredBroadcast[], current: KeyRing | null) {
    const views: BroadcastView[] = [];
    for (const stored of list) {
      if (stopped.signal.aborted) break;
      views.push(await open(stored, current));
    }
    return views;
  }

  async function reload(): Promise<void> {
    try {
      const current = await keys();
      if (stopped.signal.aborted) return;
      const list = await listBroadcasts(SCOPE);
      const views = await openAll(list, current);
      state.update({ items: merge([], views), error: null });
    } catch (err) {
      state.update({ error: asFlowError(err).message, items: state.get().items ?? [] });
    }
  }

  async function start(): Promise<void> {
    await options.after?.catch(() => undefined);
    await keys();
    await reload();
  }

  /** A broadcast that arrived live: opened from the event's own bytes when it has them. */
  async function arrived(event: StreamEvent): Promise<void> {
    const inline = event.broadcast ?? null;
    if (!inline) {
      await reload();
    } else {
      let current = await keys();
      const number = safeNumber(inline.envelope);
      // Sealed to a generation this device has not verified yet: fetch it first.
      if (current && number !== null && number > (current.generations.latest?.number ?? 0)) {
        current = await refreshKeys();
      }
      const view = await open(inline, current);
      state.update({ items: merge(state.get().items ?? [], [view]) });
    }
    const id = inline?.broadcast ?? event.targetId;
    if (sentHere.has(id)) return;
    const fresh = new Set(state.get().fresh);
    fresh.add(id);
    state.update({ fresh, alert: t("broadcast.arrived") });
  }

  async function live(event: StreamEvent): Promise<void> {
    if (stopped.signal.aborted) return;
    if (event.kind === "broadcast.sent") {
      await arrived(event);
      return;
    }
    if ((CRISIS_BROADCAST_KINDS as readonly string[]).includes(event.kind)) {
      // Listed like the others; the crisis banner announces them, so no « Nouveau ».
      if (event.payload.instructions || event.payload.message) await reload();
      return;
    }
    const keyKinds: readonly string[] = options.operator ? OPERATOR_KINDS : HOLDER_KINDS;
    if (!keyKinds.includes(event.kind) || !concernsKey(event, state.get().key)) return;
    const before = state.get().key;
    await refreshKeys();
    // A grant that just came in opens what could not be opened before.
    const after = state.get().key;
    const unopened = (state.get().items ?? []).some((item) => !item.opened);
    if (unopened || before?.state !== after?.state) await reload();
  }

  async function resync(): Promise<void> {
    await refreshKeys();
    await reload();
  }

  function markRead(): void {
    if (state.get().fresh.size > 0) state.update({ fresh: new Set(), alert: null });
  }

  async function seal(current: KeyRing, text: string, photos: readonly Blob[]) {
    const latest = current.generations.latest;
    if (!latest || current.generations.latestUntrusted !== null) {
      throw new FlowError("no_group_key", t("broadcast.noKey"));
    }
    const attachments: Attachment[] = [];
    for (const photo of photos) attachments.push(await reencodePhoto(photo));
    const broadcast = crypto.randomUUID();
    const sentAt = nowSeconds();
    const { ctx } = current;
    const sealed = await sealBroadcast(
      { commune, scope: SCOPE, broadcast },
      {
        signPrivate: ctx.keys.signPrivate,
        device: ctx.deviceId,
        serial: ctx.certificate.serial,
        chain: ctx.chain,
      },
      latest,
      { text: text.trim() ? text : null, fields: {}, attachments },
      sentAt,
    );
    return { broadcast, text, number: latest.number, sentAt, ...sealed };
  }

  async function attempt(text: string, photos: readonly Blob[], fresh: boolean) {
    const current = fresh ? await refreshKeys() : await keys();
    if (!current) throw new FlowError("no_group_key", state.get().keyError ?? t("broadcast.noKey"));
    const latest = current.generations.latest?.number ?? 0;
    if (!pending || pending.text !== text || pending.number !== latest || fresh) {
      pending = await seal(current, text, photos);
    }
    sentHere.add(pending.broadcast);
    await postBroadcast(pending.wire, pending.attachments);
    const stored: StoredBroadcast = {
      broadcast: pending.broadcast,
      scope: SCOPE,
      number: pending.number,
      sentAt: pending.sentAt,
      createdAt: "",
      senderDevice: current.ctx.deviceId,
      senderLabel: "",
      envelope: pending.wire,
      attachments: [],
    };
    const view = pending.attachments.length === 0 ? await open(stored, current) : null;
    pending = null;
    if (view) state.update({ items: merge(state.get().items ?? [], [view]) });
    else await reload();
  }

  async function send(text: string, photos: readonly Blob[] = []): Promise<boolean> {
    if (!text.trim() && photos.length === 0) {
      state.update({ send: { sending: false, error: t("broadcast.empty"), sent: null } });
      return false;
    }
    state.update({ send: { sending: true, error: null, sent: null } });
    try {
      checkDraft(text, photos);
      try {
        await attempt(text, photos, false);
      } catch (err) {
        // A rotation since the key was read: the server takes the latest generation only.
        if (!(err instanceof ApiError && err.code === "stale_group_key")) throw err;
        await attempt(text, photos, true);
      }
      state.update({ send: { sending: false, error: null, sent: t("broadcast.sent") } });
      return true;
    } catch (err) {
      const error = asFlowError(err);
      state.update({
        send: { sending: false, error: t("broadcast.sendFailed", { reason: error.message }), sent: null },
      });
      return false;
    }
  }

  return { state, start, live, resync, markRead, send, stop: () => stopped.abort() };
}

/**
 * What the page says after a later run: a generation created here stays « created » while
 * it is the latest, and the grants made since the page opened add up.
 */
export function carried(before: GroupKeyOutcome | null, after: GroupKeyOutcome): GroupKeyOutcome {
  const had = before?.state === "created" || before?.state === "held" ? before : null;
  if (!had || (after.state !== "held" && after.state !== "created")) return after;
  if (had.number !== after.number) return after;
  const refused = new Map(had.refused.map((r) => [r.device, r.code]));
  for (const r of after.refused) refused.set(r.device, r.code);
  return {
    ...after,
    state: had.state === "created" ? "created" : after.state,
    granted: had.granted + after.granted,
    refused: [...refused].map(([device, code]) => ({ device, code })),
  };
}

/**
 * Whether a key event may change anything here: every device of the commune hears each
 * grant and each certification, and most of them have nothing to fetch.
 */
export function concernsKey(event: StreamEvent, key: GroupKeyOutcome | null): boolean {
  const number = event.payload.number;
  if (event.kind === "group_key.grants_added" || event.kind === "group_key.published") {
    // A generation this device already holds (often its own publication), or grants of
    // it: for other devices.
    const holds = key?.state === "held" || key?.state === "created";
    return !(holds && typeof number === "number" && key.number >= number);
  }
  if (event.kind === "device.certified") {
    const role = event.payload.role;
    return typeof role !== "string" || holderRoles(SCOPE).includes(role);
  }
  return true;
}

function safeNumber(envelope: WireEnvelope): number | null {
  try {
    return parseBroadcast(envelope).header.number;
  } catch {
    return null;
  }
}

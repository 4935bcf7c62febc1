/**
 * A report not yet sent survives a reload until it is sent: one draft per device (the
 * category, severity, descriptors, text and the neighbours switch as JSON in localStorage,
 * the photos as Blobs in IndexedDB, never re-encoded nor sealed before « Envoyer »). Sending
 * clears both; what was sent is remembered briefly for the home's status line.
 *
 * The draft holds personal data about third parties in clear on this device only, exactly
 * as the photo picker does before sealing; it never leaves the device and is deleted once
 * sent or abandoned. The storage is injected: Vitest runs the same code on memory.
 */

import { cleanReport, emptyReport, type ReportFields } from "./descriptors";
import { isSeverity, type Severity } from "./catalogue";
import { idbRun, type SmallDb } from "./idb";

export const DRAFT_VERSION = 1;
const DRAFT_PREFIX = "maillage.alert.draft:";
const SENT_PREFIX = "maillage.alert.sent:";
/** How many sent reports the home remembers (the newest first). */
export const SENT_KEPT = 5;

export interface Draft {
  category: string;
  /** null: the category's default severity. */
  severity: Severity | null;
  report: ReportFields;
  text: string;
  neighbours: boolean;
  /** ms since the epoch, for « brouillon de 10:42 ». */
  updatedAt: number;
}

export function newDraft(category: string, now: number = Date.now()): Draft {
  return {
    category,
    severity: null,
    report: emptyReport(),
    text: "",
    neighbours: false,
    updatedAt: now,
  };
}

export function draftToJson(draft: Draft): string {
  return JSON.stringify({
    v: DRAFT_VERSION,
    category: draft.category,
    severity: draft.severity,
    report: draft.report,
    text: draft.text,
    neighbours: draft.neighbours,
    updatedAt: draft.updatedAt,
  });
}

/** The draft read back, cleaned (unknown slugs dropped); null when absent or unreadable. */
export function draftFromJson(text: string | null): Draft | null {
  if (!text) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  if (r.v !== DRAFT_VERSION || typeof r.category !== "string" || !r.category) return null;
  return {
    category: r.category,
    severity: isSeverity(r.severity) ? r.severity : null,
    report: cleanReport(r.report),
    text: typeof r.text === "string" ? r.text : "",
    neighbours: r.neighbours === true,
    updatedAt: typeof r.updatedAt === "number" && Number.isFinite(r.updatedAt) ? r.updatedAt : 0,
  };
}

/** localStorage's shape, so that tests give a Map. */
export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface StoredPhoto {
  name: string;
  type: string;
  blob: Blob;
}

/** Where the draft's photos wait (IndexedDB in the browser). */
export interface PhotoVault {
  get(key: string): Promise<StoredPhoto[]>;
  put(key: string, photos: StoredPhoto[]): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface SentRecord {
  incident: string;
  category: string;
  categoryLabel: string;
  severity: string | null;
  /** seconds since the epoch (the envelope's sent_at). */
  sentAt: number;
  /** The server's received_at (ISO). */
  receivedAt: string;
  /** Verified recipients the report was sealed for. */
  recipients: number;
  refused: number;
  /** The discreet gesture's: never shown in the home's status line. */
  discreet: boolean;
  /** The live stream carried it back (the server filed it and fanned it out). */
  confirmed: boolean;
}

export interface DraftStore {
  load(): Draft | null;
  save(draft: Draft): void;
  clear(): Promise<void>;
  loadPhotos(): Promise<File[]>;
  savePhotos(photos: readonly File[]): Promise<void>;
  sent(): SentRecord[];
  recordSent(record: SentRecord): void;
  confirm(incident: string): boolean;
}

const memoryKeyValue = (): KeyValue => {
  const map = new Map<string, string>();
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
  };
};

export function memoryVault(): PhotoVault {
  const map = new Map<string, StoredPhoto[]>();
  return {
    get: async (key) => [...(map.get(key) ?? [])],
    put: async (key, photos) => void map.set(key, [...photos]),
    delete: async (key) => void map.delete(key),
  };
}

function normaliseSent(raw: unknown): SentRecord[] {
  if (!Array.isArray(raw)) return [];
  const out: SentRecord[] = [];
  for (const item of raw) {
    if (typeof item !== "object" || item === null) continue;
    const r = item as Record<string, unknown>;
    if (typeof r.incident !== "string" || typeof r.sentAt !== "number") continue;
    out.push({
      incident: r.incident,
      category: typeof r.category === "string" ? r.category : "",
      categoryLabel: typeof r.categoryLabel === "string" ? r.categoryLabel : "",
      severity: typeof r.severity === "string" ? r.severity : null,
      sentAt: r.sentAt,
      receivedAt: typeof r.receivedAt === "string" ? r.receivedAt : "",
      recipients: typeof r.recipients === "number" ? r.recipients : 0,
      refused: typeof r.refused === "number" ? r.refused : 0,
      discreet: r.discreet === true,
      confirmed: r.confirmed === true,
    });
  }
  return out.slice(0, SENT_KEPT);
}

// Photo operations run one after the other per draft (IndexedDB connections are opened
// per call: a replaced draft's deletion must land before the next screen reads).
const photoQueues = new Map<string, Promise<unknown>>();
function serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = photoQueues.get(key) ?? Promise.resolve();
  const next = previous.then(fn, fn);
  photoQueues.set(
    key,
    next.catch(() => undefined),
  );
  return next;
}

/** The device's draft store; `owner` is the device's public id (a shared browser keeps them apart). */
export function createDraftStore(
  owner: string,
  kv: KeyValue = browserKeyValue(),
  vault: PhotoVault = browserVault(),
): DraftStore {
  const key = DRAFT_PREFIX + owner;
  const sentKey = SENT_PREFIX + owner;
  const safe = <T>(fn: () => T, fallback: T): T => {
    try {
      return fn();
    } catch {
      return fallback;
    }
  };
  const sent = (): SentRecord[] =>
    safe(() => normaliseSent(JSON.parse(kv.getItem(sentKey) ?? "[]")), []);
  const writeSent = (records: SentRecord[]) =>
    safe(() => kv.setItem(sentKey, JSON.stringify(records.slice(0, SENT_KEPT))), undefined);
  return {
    load: () => safe(() => draftFromJson(kv.getItem(key)), null),
    save: (draft) => safe(() => kv.setItem(key, draftToJson(draft)), undefined),
    async clear() {
      safe(() => kv.removeItem(key), undefined);
      try {
        await serial(key, () => vault.delete(key));
      } catch {
        /* nothing stored */
      }
    },
    async loadPhotos() {
      try {
        const stored = await serial(key, () => vault.get(key));
        return stored.map((p) => new File([p.blob], p.name || "photo", { type: p.type }));
      } catch {
        return [];
      }
    },
    async savePhotos(photos) {
      try {
        const items = photos.map((p) => ({ name: p.name, type: p.type, blob: p as Blob }));
        await serial(key, () => (items.length === 0 ? vault.delete(key) : vault.put(key, items)));
      } catch {
        /* the photos stay on screen; only their survival across a reload is lost */
      }
    },
    sent,
    recordSent(record) {
      writeSent([record, ...sent().filter((r) => r.incident !== record.incident)]);
    },
    confirm(incident) {
      const records = sent();
      const found = records.find((r) => r.incident === incident && !r.confirmed);
      if (!found) return false;
      writeSent(records.map((r) => (r.incident === incident ? { ...r, confirmed: true } : r)));
      return true;
    },
  };
}

function browserKeyValue(): KeyValue {
  try {
    if (typeof localStorage !== "undefined") return localStorage;
  } catch {
    /* storage disabled */
  }
  return memoryKeyValue();
}

const DB: SmallDb = { name: "maillage-drafts", store: "photos" };

/** Blobs go into IndexedDB as they are (structured clone), not as base64. */
export function browserVault(): PhotoVault {
  return {
    async get(key) {
      const value = await idbRun<unknown>(DB, "readonly", (store) => store.get(key));
      if (!Array.isArray(value)) return [];
      return value.filter(
        (p): p is StoredPhoto =>
          typeof p === "object" && p !== null && (p as StoredPhoto).blob instanceof Blob,
      );
    },
    async put(key, photos) {
      await idbRun(DB, "readwrite", (store) => store.put(photos, key));
    },
    async delete(key) {
      await idbRun(DB, "readwrite", (store) => store.delete(key));
    },
  };
}

/**
 * The draft for `category`: the stored one when it is for that category, else a new one
 * (saved at once, the older draft and its photos replaced). `replaced` says the photos
 * of an older draft were dropped.
 */
export function startDraft(
  store: DraftStore,
  category: string,
  now: number = Date.now(),
): { draft: Draft; replaced: boolean } {
  const stored = store.load();
  if (stored && stored.category === category) return { draft: stored, replaced: false };
  const draft = newDraft(category, now);
  store.save(draft);
  if (stored) void store.savePhotos([]);
  return { draft, replaced: stored !== null };
}

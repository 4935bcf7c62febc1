/**
 * What this browser has verified and must not forget, in IndexedDB:
 *
 * - per commune, the highest revocation list number verified, the serials seen revoked and
 *   the highest police service key generation verified. A server that serves an older list,
 *   forgets a revocation or an older service key is then caught (`stale_revocations`,
 *   `stale_service_key`) instead of being believed. Saving is monotonic: two tabs racing
 *   can only move these forward.
 * - per device, the police service private keys by generation (operator devices only).
 *   They are extractable by design (an operator device re-wraps them for other operator
 *   devices, docs/envelope.md); they are filed under the device's public_id so a browser
 *   that becomes another member's device (demo sign-in) does not keep them.
 * - per device, the broadcast group keys (scope `commune`, later sectors) by generation:
 *   extractable on operator devices (they grant them), non-extractable on the others.
 * - per commune and scope, every group-key generation this browser verified, so the next
 *   generation must continue the chain it knows (`previous`) and an older or forked one
 *   served later is caught (`stale_group_key`, `wrong_group_key`).
 *
 * A separate database from keystore.ts, so neither schema has to know about the other.
 * This is the browser's only memory of revocation lists: senders, readers and certifiers
 * all go through `acceptRevocationList` (or save what `resolveRecipients` moved forward).
 */

import { t } from "../i18n";
import type { GroupKeyDocument } from "../envelope/groupKey";
import {
  parseRevocationDocument,
  verifyRevocationList,
  type RevocationList,
} from "../trust/chain";

const DB_NAME = "maillage-trust";
const DB_VERSION = 2;
const STATE_STORE = "state";
const SERVICE_STORE = "service-keys";
const GROUP_STORE = "group-keys";
const GENERATION_STORE = "group-key-generations";
/** Where coordination/certify.ts kept its own copy before; read once, folded in, dropped. */
const LEGACY_CERTIFY_SEEN = (commune: string) => `maillage.revocations.${commune}`;

/** The TrustState of docs/envelope.md as envelope/recipients.ts reads it. */
export interface TrustState {
  rootPublicKey: string;
  pinnedFingerprint: string;
  commune: string;
  lastRevocationNumber: number;
  knownRevokedSerials: string[];
  lastServiceKeyNumber: number;
}

/** The part of a TrustState worth keeping: the root comes from the pin, not from storage. */
export interface RememberedTrust {
  lastRevocationNumber: number;
  knownRevokedSerials: string[];
  lastServiceKeyNumber: number;
}

export const NOTHING_VERIFIED: RememberedTrust = {
  lastRevocationNumber: 0,
  knownRevokedSerials: [],
  lastServiceKeyNumber: 0,
};

/** A police service private key this device holds for one generation. */
export interface HeldServiceKey {
  device: string;
  commune: string;
  number: number;
  /** X25519 public key, b64url: equals the verified service key document's `key`. */
  publicKey: string;
  privateKey: CryptoKey;
  storedAt: number;
}

/** A broadcast group key this device holds for one generation of one scope. */
export interface HeldGroupKey {
  device: string;
  commune: string;
  scope: string;
  number: number;
  /** X25519 public key, b64url: equals the verified generation document's `key`. */
  publicKey: string;
  privateKey: CryptoKey;
  storedAt: number;
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Reads whatever was stored defensively: damaged storage means "nothing verified". */
export function normaliseRemembered(raw: unknown): RememberedTrust {
  if (typeof raw !== "object" || raw === null) return { ...NOTHING_VERIFIED };
  const r = raw as Record<string, unknown>;
  const serials = Array.isArray(r.knownRevokedSerials)
    ? r.knownRevokedSerials.filter((s): s is string => typeof s === "string")
    : [];
  return {
    lastRevocationNumber: isCount(r.lastRevocationNumber) ? r.lastRevocationNumber : 0,
    knownRevokedSerials: [...new Set(serials)].sort(),
    lastServiceKeyNumber: isCount(r.lastServiceKeyNumber) ? r.lastServiceKeyNumber : 0,
  };
}

/** Never moves backwards: highest numbers, union of revoked serials. */
export function mergeRemembered(a: RememberedTrust, b: RememberedTrust): RememberedTrust {
  return {
    lastRevocationNumber: Math.max(a.lastRevocationNumber, b.lastRevocationNumber),
    knownRevokedSerials: [...new Set([...a.knownRevokedSerials, ...b.knownRevokedSerials])].sort(),
    lastServiceKeyNumber: Math.max(a.lastServiceKeyNumber, b.lastServiceKeyNumber),
  };
}

export function rememberedOf(state: TrustState): RememberedTrust {
  return normaliseRemembered(state);
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === "undefined") {
      reject(new Error(t("device.storageUnavailable")));
      return;
    }
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STATE_STORE)) db.createObjectStore(STATE_STORE);
      if (!db.objectStoreNames.contains(SERVICE_STORE)) db.createObjectStore(SERVICE_STORE);
      if (!db.objectStoreNames.contains(GROUP_STORE)) db.createObjectStore(GROUP_STORE);
      if (!db.objectStoreNames.contains(GENERATION_STORE)) {
        db.createObjectStore(GENERATION_STORE);
      }
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new Error(t("device.storageUnavailable")));
    req.onblocked = () => reject(new Error(t("device.storageBlocked")));
  });
}

/** Runs `work` in one transaction and resolves once it committed. */
async function transact<T>(
  storeName: string,
  mode: IDBTransactionMode,
  work: (store: IDBObjectStore, done: (value: T) => void) => void,
): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(storeName, mode);
      let result: T;
      work(tx.objectStore(storeName), (value) => {
        result = value;
      });
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(new Error(t("device.storageUnavailable")));
      tx.onabort = () => reject(new Error(t("device.storageUnavailable")));
    });
  } finally {
    db.close();
  }
}

/** What an older version of coordination/certify.ts verified, kept in localStorage. */
function legacyCertifySeen(commune: string): RememberedTrust | null {
  try {
    const raw = localStorage.getItem(LEGACY_CERTIFY_SEEN(commune));
    if (!raw) return null;
    const seen = JSON.parse(raw) as { number?: unknown; serials?: unknown };
    return normaliseRemembered({
      lastRevocationNumber: seen.number,
      knownRevokedSerials: seen.serials,
    });
  } catch {
    return null;
  }
}

export async function loadRemembered(commune: string): Promise<RememberedTrust> {
  const stored = normaliseRemembered(
    await transact<unknown>(STATE_STORE, "readonly", (store, done) => {
      const req = store.get(commune);
      req.onsuccess = () => done(req.result);
    }),
  );
  const legacy = legacyCertifySeen(commune);
  if (!legacy) return stored;
  const merged = await saveRemembered(commune, mergeRemembered(stored, legacy));
  try {
    localStorage.removeItem(LEGACY_CERTIFY_SEEN(commune));
  } catch {
    /* stays; merging it again changes nothing */
  }
  return merged;
}

/** The TrustState to hand to resolveRecipients / verifyServiceKey for this commune. */
export async function loadTrustState(
  commune: string,
  rootPublicKey: string,
  pinnedFingerprint: string,
): Promise<TrustState> {
  return { rootPublicKey, pinnedFingerprint, commune, ...(await loadRemembered(commune)) };
}

/** Keeps what `state` verified, merged with what is stored (never lowers anything). */
export async function saveTrustState(state: TrustState): Promise<RememberedTrust> {
  return saveRemembered(state.commune, rememberedOf(state));
}

async function saveRemembered(
  commune: string,
  incoming: RememberedTrust,
): Promise<RememberedTrust> {
  return transact<RememberedTrust>(STATE_STORE, "readwrite", (store, done) => {
    const req = store.get(commune);
    req.onsuccess = () => {
      const merged = mergeRemembered(normaliseRemembered(req.result), incoming);
      store.put(merged, commune);
      done(merged);
    };
  });
}

/**
 * A served revocation list, verified against the pinned root and against what this browser
 * saw before (a lower number or a forgotten serial is `stale_revocations`), then
 * remembered. Throws TrustError; callers word it for their page.
 */
export async function acceptRevocationList(
  served: unknown,
  root: { commune: string; rootPublicKey: string; pinnedFingerprint: string },
  now: number,
): Promise<RevocationList> {
  const seen = await loadRemembered(root.commune);
  const { doc, chain } = parseRevocationDocument(served);
  const list = await verifyRevocationList(
    doc,
    chain,
    root.rootPublicKey,
    root.pinnedFingerprint,
    root.commune,
    seen.lastRevocationNumber,
    now,
    seen.knownRevokedSerials,
  );
  await saveRemembered(root.commune, {
    ...seen,
    lastRevocationNumber: list.number,
    knownRevokedSerials: list.entries.map((e) => e.serial),
  });
  return list;
}

const serviceKeyId = (device: string, commune: string, number: number) =>
  `${device}|${commune}|${number}`;

export async function storeServiceKey(key: Omit<HeldServiceKey, "storedAt">): Promise<void> {
  const record: HeldServiceKey = { ...key, storedAt: Date.now() };
  await transact<void>(SERVICE_STORE, "readwrite", (store, done) => {
    store.put(record, serviceKeyId(key.device, key.commune, key.number));
    done(undefined);
  });
}

/** Every generation this device holds for the commune, newest first. */
export async function heldServiceKeys(device: string, commune: string): Promise<HeldServiceKey[]> {
  const all = await transact<HeldServiceKey[]>(SERVICE_STORE, "readonly", (store, done) => {
    const req = store.getAll();
    req.onsuccess = () => done((req.result as HeldServiceKey[]) ?? []);
  });
  return all
    .filter((k) => k.device === device && k.commune === commune)
    .sort((a, b) => b.number - a.number);
}

export async function heldServiceKey(
  device: string,
  commune: string,
  number: number,
): Promise<HeldServiceKey | null> {
  return (
    (await transact<HeldServiceKey | undefined>(SERVICE_STORE, "readonly", (store, done) => {
      const req = store.get(serviceKeyId(device, commune, number));
      req.onsuccess = () => done(req.result as HeldServiceKey | undefined);
    })) ?? null
  );
}

/** Drops service keys filed under any other device: this browser is now `device`. */
export async function forgetServiceKeysOfOtherDevices(device: string): Promise<number> {
  return transact<number>(SERVICE_STORE, "readwrite", (store, done) => {
    const req = store.openCursor();
    let removed = 0;
    req.onsuccess = () => {
      const cursor = req.result;
      if (!cursor) {
        done(removed);
        return;
      }
      if ((cursor.value as HeldServiceKey).device !== device) {
        cursor.delete();
        removed++;
      }
      cursor.continue();
    };
  });
}

// --- broadcast group keys ---------------------------------------------------------------

const groupKeyId = (device: string, commune: string, scope: string, number: number) =>
  `${device}|${commune}|${scope}|${number}`;
const generationId = (commune: string, scope: string, number: number) =>
  `${commune}|${scope}|${number}`;

export async function storeGroupKey(key: Omit<HeldGroupKey, "storedAt">): Promise<void> {
  const record: HeldGroupKey = { ...key, storedAt: Date.now() };
  await transact<void>(GROUP_STORE, "readwrite", (store, done) => {
    store.put(record, groupKeyId(key.device, key.commune, key.scope, key.number));
    done(undefined);
  });
}

/** Every generation of `scope` this device holds, newest first. */
export async function heldGroupKeys(
  device: string,
  commune: string,
  scope: string,
): Promise<HeldGroupKey[]> {
  const all = await transact<HeldGroupKey[]>(GROUP_STORE, "readonly", (store, done) => {
    const req = store.getAll();
    req.onsuccess = () => done((req.result as HeldGroupKey[]) ?? []);
  });
  return all
    .filter((k) => k.device === device && k.commune === commune && k.scope === scope)
    .sort((a, b) => b.number - a.number);
}

/** Drops group keys filed under any other device: this browser is now `device`. */
export async function forgetGroupKeysOfOtherDevices(device: string): Promise<number> {
  return transact<number>(GROUP_STORE, "readwrite", (store, done) => {
    const req = store.openCursor();
    let removed = 0;
    req.onsuccess = () => {
      const cursor = req.result;
      if (!cursor) {
        done(removed);
        return;
      }
      if ((cursor.value as HeldGroupKey).device !== device) {
        cursor.delete();
        removed++;
      }
      cursor.continue();
    };
  });
}

/**
 * Keeps verified generations; one already kept under the same number is never replaced
 * (a fork served later must fail against it).
 */
export async function rememberGenerations(docs: readonly GroupKeyDocument[]): Promise<void> {
  if (docs.length === 0) return;
  await transact<void>(GENERATION_STORE, "readwrite", (store, done) => {
    for (const doc of docs) {
      const id = generationId(doc.commune, doc.scope, doc.number);
      const req = store.get(id);
      req.onsuccess = () => {
        if (req.result === undefined) store.put({ ...doc }, id);
      };
    }
    done(undefined);
  });
}

/** Generation `number` of `scope` as this browser verified it, or null. */
export async function verifiedGeneration(
  commune: string,
  scope: string,
  number: number,
): Promise<GroupKeyDocument | null> {
  const found = await transact<GroupKeyDocument | undefined>(
    GENERATION_STORE,
    "readonly",
    (store, done) => {
      const req = store.get(generationId(commune, scope, number));
      req.onsuccess = () => done(req.result as GroupKeyDocument | undefined);
    },
  );
  return found ?? null;
}

/** The newest generation of `scope` this browser verified, or null. */
export async function lastVerifiedGeneration(
  commune: string,
  scope: string,
): Promise<GroupKeyDocument | null> {
  const all = await transact<GroupKeyDocument[]>(GENERATION_STORE, "readonly", (store, done) => {
    const req = store.getAll();
    req.onsuccess = () => done((req.result as GroupKeyDocument[]) ?? []);
  });
  const mine = all
    .filter((d) => d.commune === commune && d.scope === scope)
    .sort((a, b) => b.number - a.number);
  return mine[0] ?? null;
}

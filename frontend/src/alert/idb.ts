/**
 * One IndexedDB request in its own transaction, for the alert's small databases (the
 * draft's photos, the offline queue): the connection is opened per call and closed once
 * the transaction committed, so a write has landed (and survives a reboot) when it resolves.
 */

export interface SmallDb {
  name: string;
  store: string;
  /** The store's key path; none: keys are given with each put. */
  keyPath?: string;
}

function openDb(db: SmallDb): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === "undefined") {
      reject(new Error("IndexedDB indisponible"));
      return;
    }
    const req = indexedDB.open(db.name, 1);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(db.store)) {
        req.result.createObjectStore(db.store, db.keyPath ? { keyPath: db.keyPath } : undefined);
      }
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB"));
  });
}

export function idbRun<T>(
  db: SmallDb,
  mode: IDBTransactionMode,
  fn: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  return openDb(db).then(
    (conn) =>
      new Promise<T>((resolve, reject) => {
        const tx = conn.transaction(db.store, mode);
        const req = fn(tx.objectStore(db.store));
        tx.oncomplete = () => {
          conn.close();
          resolve(req.result);
        };
        tx.onerror = () => {
          conn.close();
          reject(tx.error ?? new Error("IndexedDB"));
        };
        tx.onabort = tx.onerror;
      }),
  );
}

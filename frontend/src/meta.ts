/** Public facts about the server (GET /meta): version, demo mode, languages. */

import { useEffect } from "preact/hooks";
import { getMeta, type Meta } from "./api";
import { createStore, useStore } from "./store";

export type { Meta } from "./api";

const FALLBACK: Meta = { version: "", demo_mode: false, languages: ["fr", "en"] };

export const metaStore = createStore<Meta | null>(null);
let pending: Promise<Meta> | null = null;

export function loadMeta(): Promise<Meta> {
  const known = metaStore.get();
  if (known) return Promise.resolve(known);
  pending ??= getMeta()
    .catch(() => FALLBACK)
    .then((value) => {
      metaStore.set(value);
      return value;
    });
  return pending;
}

export function useMeta(): Meta | null {
  useEffect(() => {
    void loadMeta();
  }, []);
  return useStore(metaStore);
}

/** Public facts about the server (GET /meta): version, demo mode, languages. */

import { useEffect, useState } from "preact/hooks";
import { api } from "./api";

export interface Meta {
  version: string;
  demo_mode: boolean;
  languages: string[];
}

let meta: Meta | null = null;
let pending: Promise<Meta> | null = null;
const listeners = new Set<(m: Meta) => void>();

export function loadMeta(): Promise<Meta> {
  if (meta) return Promise.resolve(meta);
  pending ??= api
    .get<Meta>("/meta")
    .catch(() => ({ version: "", demo_mode: false, languages: ["fr", "en"] }))
    .then((value) => {
      meta = value;
      for (const listener of listeners) listener(value);
      return value;
    });
  return pending;
}

export function useMeta(): Meta | null {
  const [current, setCurrent] = useState(meta);
  useEffect(() => {
    listeners.add(setCurrent);
    void loadMeta();
    return () => {
      listeners.delete(setCurrent);
    };
  }, []);
  return current;
}

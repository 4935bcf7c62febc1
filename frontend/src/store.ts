/**
 * The app's one way to hold shared state and tell the screen it changed: a value, its
 * subscribers, and a Preact hook. Live events (the stream) and requests both write through
 * `set`, so a component never needs to know where a change came from.
 */

import { useEffect, useState } from "preact/hooks";

export type Listener<T> = (value: T) => void;

export interface Store<T> {
  get(): T;
  /** Replaces the value (or derives it from the current one); listeners hear only changes. */
  set(next: T | ((current: T) => T)): void;
  /** Merges fields into an object value: `update({busy: true})`. */
  update(patch: Partial<T>): void;
  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: Listener<T>): () => void;
}

export function createStore<T>(initial: T): Store<T> {
  let value = initial;
  const listeners = new Set<Listener<T>>();
  const store: Store<T> = {
    get: () => value,
    set(next) {
      const resolved =
        typeof next === "function" ? (next as (current: T) => T)(value) : next;
      if (Object.is(resolved, value)) return;
      value = resolved;
      // A copy: a listener that unsubscribes (or subscribes) mid-notify changes nothing now.
      for (const listener of [...listeners]) listener(value);
    },
    update(patch) {
      store.set((current) => ({ ...current, ...patch }));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
  return store;
}

/** The store's current value; the component re-renders when it changes. */
export function useStore<T>(store: Store<T>): T {
  const [value, setValue] = useState(() => store.get());
  useEffect(() => {
    // The value may have moved between the first render and this effect.
    setValue(() => store.get());
    return store.subscribe((next) => setValue(() => next));
  }, [store]);
  return value;
}

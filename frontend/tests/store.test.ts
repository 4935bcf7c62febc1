import { describe, expect, it } from "vitest";
import { createStore } from "../src/store";

describe("createStore", () => {
  it("gives the initial value and each new one to subscribers", () => {
    const store = createStore(1);
    const heard: number[] = [];
    store.subscribe((value) => heard.push(value));
    expect(store.get()).toBe(1);
    store.set(2);
    store.set((n) => n * 10);
    expect(store.get()).toBe(20);
    expect(heard).toEqual([2, 20]);
  });

  it("stays quiet when the value does not change", () => {
    const store = createStore("fr");
    const heard: string[] = [];
    store.subscribe((value) => heard.push(value));
    store.set("fr");
    store.set((v) => v);
    expect(heard).toEqual([]);
  });

  it("merges fields with update and notifies once with the merged object", () => {
    const store = createStore({ busy: false, status: null as string | null });
    const heard: unknown[] = [];
    store.subscribe((value) => heard.push(value));
    store.update({ busy: true });
    expect(store.get()).toEqual({ busy: true, status: null });
    expect(heard).toEqual([{ busy: true, status: null }]);
  });

  it("stops notifying after unsubscribe, even one made during a notification", () => {
    const store = createStore(0);
    const first: number[] = [];
    const second: number[] = [];
    const stopFirst = store.subscribe((value) => {
      first.push(value);
      stopFirst();
    });
    const stopSecond = store.subscribe((value) => second.push(value));
    store.set(1);
    store.set(2);
    stopSecond();
    store.set(3);
    expect(first).toEqual([1]);
    expect(second).toEqual([1, 2]);
  });

  it("keeps function values as values when set through an updater", () => {
    const noop = () => undefined;
    const store = createStore<(() => void) | null>(null);
    store.set(() => noop);
    expect(store.get()).toBe(noop);
  });

  it("keeps stores apart", () => {
    const a = createStore(0);
    const b = createStore(0);
    const heard: number[] = [];
    b.subscribe((value) => heard.push(value));
    a.set(5);
    expect(b.get()).toBe(0);
    expect(heard).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import {
  backoffDelay,
  createStream,
  parseEvent,
  type EventSourceLike,
  type StreamEvent,
} from "../src/live/stream";

type Listener = (event: { data: string; lastEventId?: string }) => void;

/** A stand-in for the browser's EventSource: the test plays the server. */
class FakeSource implements EventSourceLike {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  closed = false;
  private listeners = new Map<string, Listener[]>();
  constructor(readonly url: string) {}
  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  emit(type: string, data: unknown, id?: number): void {
    for (const listener of this.listeners.get(type) ?? [])
      listener({ data: typeof data === "string" ? data : JSON.stringify(data), lastEventId: String(id ?? "") });
  }
  send(seq: number, kind = "incident.reported", extra: Record<string, unknown> = {}): void {
    this.emit(kind, { seq, kind, at: "2026-12-02T07:30:00Z", actor_kind: "member", target_type: "incident", target_id: `i${seq}`, shop: "s1", member: null, payload: {}, ...extra }, seq);
  }
  fail(refused = false): void {
    this.readyState = refused ? 2 : 0;
    this.onerror?.({});
  }
}

const SILENCE = 40000;

function harness(options: { checkSession?: () => Promise<boolean>; cursor?: number } = {}) {
  const sources: FakeSource[] = [];
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  // The silence watchdog's timers, apart from the reconnection ones.
  const watchdogs: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const stream = createStream({
    connect: (url) => {
      const source = new FakeSource(url);
      sources.push(source);
      return source;
    },
    timers: {
      setTimeout: (fn, ms) => {
        const timer = { fn, ms, cleared: false };
        (ms === SILENCE ? watchdogs : timers).push(timer);
        return timer;
      },
      clearTimeout: (handle) => {
        (handle as { cleared: boolean }).cleared = true;
      },
    },
    baseDelay: 1000,
    maxDelay: 8000,
    silence: SILENCE,
    random: () => 1,
    ...options,
  });
  const fire = () => {
    const timer = timers.find((t) => !t.cleared);
    if (!timer) throw new Error("no timer");
    timer.cleared = true;
    timer.fn();
  };
  const live = () => watchdogs.filter((t) => !t.cleared);
  return { stream, sources, timers, watchdogs: live, fire, last: () => sources[sources.length - 1] };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("parseEvent", () => {
  it("reads the wire event and the carried envelope", () => {
    const event = parseEvent(
      "message.posted",
      JSON.stringify({
        seq: 7, kind: "message.posted", at: "x", actor_kind: "member", target_type: "incident",
        target_id: "abc", shop: "s", payload: { message: "m" },
        sealed: { id: "m", sender_device: "d", sent_at: 5, received_at: "r", attachments: [], envelope: { v: 1 } },
      }),
    );
    expect(event?.seq).toBe(7);
    expect(event?.targetId).toBe("abc");
    expect(event?.member).toBeNull();
    expect(event?.sealed?.id).toBe("m");
    expect(event?.sealed?.sentAt).toBe(5);
  });

  it("reads a broadcast carried inline, as GET /broadcasts lists it", () => {
    const base = {
      seq: 8, kind: "broadcast.sent", at: "x", actor_kind: "member", target_type: "broadcast",
      target_id: "b1", shop: null, payload: { scope: "commune", number: 2, attachments: 0 },
    };
    const sealed = {
      broadcast: "b1", scope: "commune", number: 2, sent_at: 9, created_at: "2026-12-03T07:00:00Z",
      sender: { device: "d", member_label: "Police municipale" }, envelope: { body: "{}" }, attachments: [],
    };
    const event = parseEvent("broadcast.sent", JSON.stringify({ ...base, sealed }));
    expect(event?.sealed).toBeNull();
    expect(event?.broadcast?.broadcast).toBe("b1");
    expect(event?.broadcast?.number).toBe(2);
    expect(event?.broadcast?.senderDevice).toBe("d");
    expect(event?.broadcast?.envelope).toEqual({ body: "{}" });
    // A viewer without the key gets the event alone: the model falls back to the fetch.
    expect(parseEvent("broadcast.sent", JSON.stringify(base))?.broadcast).toBeNull();
  });

  it("refuses what is not an event", () => {
    expect(parseEvent("incident.reported", "{not json")).toBeNull();
    expect(parseEvent("incident.reported", JSON.stringify({ kind: "incident.reported" }))).toBeNull();
    expect(parseEvent("", JSON.stringify({ seq: 1, kind: "nothing.known" }))).toBeNull();
  });
});

describe("createStream", () => {
  it("connects, says open, and hands each kind to its listeners", () => {
    const { stream, last } = harness();
    const heard: StreamEvent[] = [];
    const other: StreamEvent[] = [];
    stream.on("incident.reported", (e) => heard.push(e));
    stream.on(["device.registered", "device.certified"], (e) => other.push(e));
    stream.start();
    expect(stream.state.get().status).toBe("connecting");
    expect(last().url).toBe("/api/v1/stream");
    last().open();
    expect(stream.state.get().status).toBe("open");
    last().send(1);
    last().send(2, "device.registered");
    last().send(3, "message.posted");
    expect(heard.map((e) => e.seq)).toEqual([1]);
    expect(other.map((e) => e.kind)).toEqual(["device.registered"]);
    expect(stream.state.get().cursor).toBe(3);
  });

  it("starts after a kept cursor", () => {
    const { stream, last } = harness({ cursor: 41 });
    stream.start();
    expect(last().url).toBe("/api/v1/stream?after=41");
  });

  it("reconnects with backoff from its cursor and delivers each event once", () => {
    const { stream, last, sources, timers, fire } = harness();
    const seqs: number[] = [];
    stream.on("incident.reported", (e) => seqs.push(e.seq));
    stream.start();
    last().open();
    last().send(1);
    last().send(2);
    last().fail();
    expect(sources[0].closed).toBe(true);
    expect(stream.state.get().status).toBe("lost");
    expect(timers[0].ms).toBe(1000);
    fire();
    expect(last().url).toBe("/api/v1/stream?after=2");
    expect(stream.state.get().status).toBe("lost");
    last().fail();
    expect(timers[1].ms).toBe(2000);
    fire();
    last().fail();
    fire();
    last().fail();
    fire();
    last().fail();
    expect(timers.map((t) => t.ms)).toEqual([1000, 2000, 4000, 8000, 8000]);
    fire();
    last().open();
    expect(stream.state.get()).toMatchObject({ status: "open", attempts: 0 });
    // The replay overlaps: 2 again, then 3.
    last().send(2);
    last().send(3);
    expect(seqs).toEqual([1, 2, 3]);
    // An old source speaking late is not heard.
    sources[0].send(9);
    expect(seqs).toEqual([1, 2, 3]);
  });

  it("takes resync's head as cursor and asks for a reload", () => {
    const { stream, last, fire } = harness();
    let reloads = 0;
    stream.onResync(() => reloads++);
    stream.start();
    last().open();
    last().send(5);
    last().emit("resync", { seq: 120 }, 120);
    expect(reloads).toBe(1);
    expect(stream.state.get().cursor).toBe(120);
    last().send(121);
    expect(stream.state.get().cursor).toBe(121);
    last().fail();
    fire();
    expect(last().url).toBe("/api/v1/stream?after=121");
    // No body: the SSE id alone says where the stream goes on.
    last().emit("resync", {}, 200);
    expect(stream.state.get().cursor).toBe(200);
    expect(reloads).toBe(2);
  });

  it("reconnects when nothing, not even a heartbeat, came for too long", () => {
    const { stream, sources, watchdogs, timers, last } = harness();
    stream.start();
    last().open();
    expect(watchdogs()).toHaveLength(1);
    last().emit("heartbeat", {});
    expect(watchdogs()).toHaveLength(1);
    const silent = watchdogs()[0];
    silent.cleared = true;
    silent.fn();
    expect(sources[0].closed).toBe(true);
    expect(stream.state.get().status).toBe("lost");
    expect(timers.filter((t) => !t.cleared).map((t) => t.ms)).toEqual([1000]);
    stream.stop();
    expect(watchdogs()).toEqual([]);
  });

  it("stops when the server refused and the session is gone", async () => {
    const { stream, last, timers } = harness({ checkSession: async () => false });
    stream.start();
    last().fail(true);
    await flush();
    expect(stream.state.get().status).toBe("closed");
    expect(timers.filter((t) => !t.cleared)).toEqual([]);
  });

  it("retries when the server refused but the session still holds", async () => {
    const { stream, last, timers } = harness({ checkSession: async () => true });
    stream.start();
    last().fail(true);
    await flush();
    expect(stream.state.get().status).toBe("lost");
    expect(timers).toHaveLength(1);
  });

  it("closes on stop, cancels a pending retry, and opens again on start", () => {
    const { stream, last, sources, timers } = harness();
    stream.start();
    last().open();
    last().fail();
    stream.stop();
    expect(timers[0].cleared).toBe(true);
    expect(stream.state.get().status).toBe("closed");
    stream.start();
    expect(sources).toHaveLength(2);
    last().open();
    stream.stop();
    expect(last().closed).toBe(true);
  });
});

describe("backoffDelay", () => {
  it("doubles up to the cap, with jitter between half and all of it", () => {
    expect(backoffDelay(1, 1000, 30000, 1)).toBe(1000);
    expect(backoffDelay(3, 1000, 30000, 1)).toBe(4000);
    expect(backoffDelay(10, 1000, 30000, 1)).toBe(30000);
    expect(backoffDelay(3, 1000, 30000, 0)).toBe(2000);
  });
});

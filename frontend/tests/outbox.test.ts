/**
 * The offline queue's state machine (alert/outbox.ts) on memory and a fake clock: a report
 * kept before its first attempt, sealed once, the same ids and bytes on every retry, the
 * backoff, « appelez le 17 » after exactly one minute, removed only once the server
 * answered, a refusal final. The server here is a small idempotent one, as ours is
 * (incidents/actions.py): the same ids and bytes answer the stored report.
 */
import { describe, expect, it } from "vitest";
import {
  BACKOFF_MAX_MS,
  CALL_17_AFTER_MS,
  backoff,
  composedEntry,
  createOutbox,
  memoryOutboxStorage,
  statusOf,
  type OutboxDeps,
  type OutboxEntry,
} from "../src/alert/outbox";
import { normaliseEntry } from "../src/alert/queue";
import { createReportFlow } from "../src/incidents/report";
import { FlowError } from "../src/incidents/context";
import type { SealedReport, SentReport } from "../src/incidents/send";
import type { WireEnvelope } from "../src/envelope/envelope";

const T0 = 1_800_000_000_000;
const CANARY = "canari-hors-ligne";

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
};

function fakeClock(start = T0) {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn: () => void, ms: number) {
      seq += 1;
      timers.set(seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout(handle: unknown) {
      timers.delete(handle as number);
    },
    /** Moves time forward, running each timer due on the way at its own time. */
    async advance(ms: number) {
      const end = now + ms;
      for (;;) {
        await settle();
        const due = [...timers.entries()]
          .filter(([, t]) => t.at <= end)
          .sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = end;
      await settle();
    },
  };
}

/** Our server's rule: ids taken by identical bytes answer 200, other bytes 409. */
function fakeServer() {
  const stored = new Map<string, { message: string; body: string }>();
  const posts: { incident: string; message: string; body: string; status: number }[] = [];
  let up = false;
  let loseAnswers = 0;
  let refuse: FlowError | null = null;
  return {
    stored,
    posts,
    setUp: (value: boolean) => void (up = value),
    loseNextAnswer: () => void (loseAnswers += 1),
    refuseWith: (error: FlowError | null) => void (refuse = error),
    get up() {
      return up;
    },
    async post(sealed: SealedReport): Promise<SentReport> {
      if (!up) throw new FlowError("network", "Réseau indisponible.");
      if (refuse) throw refuse;
      const body = sealed.wire.body;
      const found = stored.get(sealed.incident);
      let status = 201;
      if (found) {
        if (found.message !== sealed.message || found.body !== body) {
          posts.push({ incident: sealed.incident, message: sealed.message, body, status: 409 });
          throw new FlowError("incident_conflict", "Un autre signalement porte déjà cet identifiant.");
        }
        status = 200;
      } else {
        stored.set(sealed.incident, { message: sealed.message, body });
      }
      posts.push({ incident: sealed.incident, message: sealed.message, body, status });
      if (loseAnswers > 0) {
        loseAnswers -= 1;
        throw new FlowError("network", "Réseau indisponible.");
      }
      return { ...sealed, receivedAt: new Date(T0).toISOString() };
    },
  };
}

type World = ReturnType<typeof world>;

function world(storage = memoryOutboxStorage(), clock = fakeClock(), server = fakeServer()) {
  const seals: { at: number; incident: string }[] = [];
  const delivered: string[] = [];
  let sealCount = 0;
  const deps: OutboxDeps = {
    owner: "device-1",
    storage,
    clock,
    async seal(entry) {
      // Sealing needs the network too (the device's chain, the key directory).
      seals.push({ at: clock.now(), incident: entry.incident });
      if (!server.up) throw new FlowError("network", "Réseau indisponible.");
      sealCount += 1;
      const wire = {
        body: `sealed-${entry.incident}-${sealCount}`,
        signature: "sig",
        sender_chain: [],
        content: "b64-ciphertext",
      } as unknown as WireEnvelope;
      return {
        incident: entry.incident,
        message: entry.message,
        sentAt: Math.floor(clock.now() / 1000),
        wire,
        attachments: [new Uint8Array([1, 2, 3])],
        recipients: 2,
        refused: [],
        meta: entry.meta,
      };
    },
    deliver: (sealed) => server.post(sealed),
    delivered: (entry) => void delivered.push(entry.incident),
  };
  return { storage, clock, server, seals, delivered, deps, outbox: createOutbox(deps) };
}

function entryOf(w: World, n = 1): OutboxEntry {
  return composedEntry({
    incident: `00000000-0000-4000-8000-00000000000${n}`,
    message: `00000000-0000-4000-8000-00000000010${n}`,
    owner: "device-1",
    commune: "commune-1",
    label: "Vol / vol à l'étalage",
    meta: { category: "vol", severity: "medium", neighbours: false },
    composed: { text: `Deux personnes. ${CANARY}`, fields: { people: "2" }, photos: [] },
    now: w.clock.now(),
  });
}

describe("backoff", () => {
  it("doubles from one second and stays at its ceiling", () => {
    expect([1, 2, 3, 4, 5, 6, 20].map(backoff)).toEqual([
      1_000, 2_000, 4_000, 8_000, 15_000, 15_000, BACKOFF_MAX_MS,
    ]);
  });
});

describe("the outbox", () => {
  it("keeps a report composed offline, then sends it once when the network returns", async () => {
    const w = world();
    let storedBeforeAttempt = false;
    const first = await w.outbox.submit(entryOf(w), {
      stored: () => void (storedBeforeAttempt = w.storage.map.size === 1),
    });
    expect(storedBeforeAttempt).toBe(true);
    expect(first.outcome).toBe("waiting");
    // Not sealable offline: kept composed, with its ids, waiting.
    const kept = w.storage.map.get(entryOf(w).incident)!;
    expect(kept.sealed).toBeNull();
    expect(kept.attempts).toBe(1);
    expect(w.outbox.state.get().entries.map((v) => v.status)).toEqual(["waiting"]);

    w.server.setUp(true);
    await w.clock.advance(backoff(1));
    expect(w.server.posts.map((p) => p.status)).toEqual([201]);
    expect(w.server.stored.size).toBe(1);
    expect(w.storage.map.size).toBe(0);
    expect(w.outbox.state.get().entries).toEqual([]);
    expect(Object.keys(w.outbox.state.get().sent)).toEqual([entryOf(w).incident]);
    expect(w.delivered).toEqual([entryOf(w).incident]);

    // Nothing left to try: time passing sends nothing more.
    await w.clock.advance(10 * 60_000);
    expect(w.server.posts).toHaveLength(1);
  });

  it("tries again with backoff while the network stays away", async () => {
    const w = world();
    await w.outbox.submit(entryOf(w));
    await w.clock.advance(45_000);
    expect(w.seals.map((s) => s.at - T0)).toEqual([0, 1_000, 3_000, 7_000, 15_000, 30_000, 45_000]);
    expect(w.server.posts).toEqual([]);
  });

  it("stores the sealed bytes in place of the clear content before the first POST, and resends those bytes", async () => {
    const w = world();
    w.server.setUp(true);
    w.server.loseNextAnswer(); // stored by the server, the answer lost on the way back
    const first = await w.outbox.submit(entryOf(w));
    expect(first.outcome).toBe("waiting");
    const kept = w.storage.map.get(entryOf(w).incident)!;
    expect(kept.composed).toBeNull();
    expect(kept.sealed?.wire.body).toMatch(/^sealed-/);
    expect(JSON.stringify(kept)).not.toContain(CANARY);
    expect(JSON.stringify(kept)).not.toContain("people");

    await w.clock.advance(backoff(1));
    // The same ids and bytes: the server answers its stored report (200), no second row.
    expect(w.server.posts.map((p) => p.status)).toEqual([201, 200]);
    expect(new Set(w.server.posts.map((p) => `${p.incident}/${p.message}/${p.body}`)).size).toBe(1);
    expect(w.seals).toHaveLength(1);
    expect(w.server.stored.size).toBe(1);
    expect(w.storage.map.size).toBe(0);
  });

  it("says « appelez le 17 » after exactly one minute without an answer, and keeps trying", async () => {
    const w = world();
    const entry = entryOf(w);
    await w.outbox.submit(entry);
    await w.clock.advance(CALL_17_AFTER_MS - 1);
    expect(w.outbox.state.get().entries[0].status).toBe("waiting");
    const triesBefore = w.seals.length;
    // The minute passes between two attempts: the queue's own timer says it.
    await w.clock.advance(1);
    expect(w.outbox.state.get().entries[0].status).toBe("call17");
    expect(statusOf(entry, T0 + CALL_17_AFTER_MS - 1)).toBe("waiting");
    expect(statusOf(entry, T0 + CALL_17_AFTER_MS)).toBe("call17");

    await w.clock.advance(30_000);
    expect(w.seals.length).toBeGreaterThan(triesBefore);
    w.server.setUp(true);
    await w.clock.advance(BACKOFF_MAX_MS);
    expect(w.server.posts.map((p) => p.status)).toEqual([201]);
    expect(w.outbox.state.get().entries).toEqual([]);
  });

  it("sends at once when told the network is back (the `online` event)", async () => {
    const w = world();
    await w.outbox.submit(entryOf(w));
    await w.clock.advance(20_000); // now 15 s between attempts
    w.server.setUp(true);
    w.outbox.retryNow();
    await w.clock.advance(0);
    expect(w.server.posts.map((p) => p.status)).toEqual([201]);
  });

  it("gives a refusal of the first attempt back to the form and keeps nothing", async () => {
    const w = world();
    w.server.setUp(true);
    w.server.refuseWith(new FlowError("rate_limited", "Limite atteinte."));
    const attempt = await w.outbox.submit(entryOf(w));
    expect(attempt.outcome).toBe("refused");
    if (attempt.outcome !== "refused") throw new Error("refused");
    expect(attempt.error.code).toBe("rate_limited");
    expect(attempt.sealed?.incident).toBe(entryOf(w).incident); // « Réessayer » sends these bytes
    expect(w.storage.map.size).toBe(0);
    await w.clock.advance(60_000);
    expect(w.server.posts).toEqual([]);
  });

  it("keeps a refusal heard in the background, without content, until it is dismissed", async () => {
    const w = world();
    await w.outbox.submit(entryOf(w));
    w.server.setUp(true);
    w.server.refuseWith(new FlowError("invalid_category", "Catégorie inconnue."));
    await w.clock.advance(backoff(1));
    const [view] = w.outbox.state.get().entries;
    expect(view.status).toBe("failed");
    expect(view.entry.failure).toEqual({ code: "invalid_category", message: "Catégorie inconnue." });
    const kept = w.storage.map.get(entryOf(w).incident)!;
    expect(kept.composed).toBeNull();
    expect(JSON.stringify(kept)).not.toContain(CANARY);
    const tries = w.seals.length;
    await w.clock.advance(5 * 60_000);
    expect(w.seals.length).toBe(tries); // final: never tried again
    await w.outbox.dismiss(entryOf(w).incident);
    expect(w.storage.map.size).toBe(0);
    expect(w.outbox.state.get().entries).toEqual([]);
  });

  it("sends at start what a closed page left, and never retries a refused one", async () => {
    const left = world();
    await left.outbox.submit(entryOf(left, 1));
    await left.outbox.submit(entryOf(left, 2));
    left.outbox.stop(); // the tab is closed
    const failed = { ...left.storage.map.get(entryOf(left, 2).incident)!, failure: { code: "x", message: "non" } };
    left.storage.map.set(failed.incident, failed);

    left.server.setUp(true);
    const next = world(left.storage, fakeClock(T0 + 3_600_000), left.server);
    await next.outbox.start();
    await settle();
    expect(next.server.posts.map((p) => [p.incident, p.status])).toEqual([
      [entryOf(left, 1).incident, 201],
    ]);
    expect(next.outbox.state.get().entries.map((v) => v.status)).toEqual(["failed"]);
    expect(next.delivered).toEqual([entryOf(left, 1).incident]);
  });

  it("never seals again what another tab sealed: the stored bytes win over a stale copy", async () => {
    const w = world();
    w.server.setUp(true);
    w.server.loseNextAnswer();
    await w.outbox.submit(entryOf(w)); // sealed and stored here, answer lost
    // A second tab started before, holding the composed copy in memory.
    const other = createOutbox({ ...w.deps });
    await other.submit(entryOf(w)); // same ids: it finds the stored entry and sends its bytes
    expect(w.seals).toHaveLength(1);
    expect(w.server.posts.map((p) => p.status)).toEqual([201, 200]);
    expect(w.server.stored.size).toBe(1);
    expect(w.storage.map.size).toBe(0);
    // The first tab's timer finds nothing stored: nothing is posted again.
    await w.clock.advance(backoff(1));
    expect(w.server.posts).toHaveLength(2);
    expect(w.outbox.state.get().entries).toEqual([]);
  });
});

describe("the report form's flow through the queue", () => {
  it("is queued offline, then shows the normal « envoyé » once the queue delivered it", async () => {
    const w = world();
    const flow = createReportFlow("commune-1", "device-1", w.outbox);
    let stored = 0;
    const outcome = await flow.submit({
      text: CANARY,
      photos: [],
      meta: { category: "vol", severity: "medium", neighbours: false },
      label: "Vol",
      stored: () => void (stored += 1),
    });
    expect(outcome).toBe("queued");
    expect(stored).toBe(1);
    const queued = flow.state.get().queued;
    expect(queued).toBe([...w.storage.map.keys()][0]);
    expect(flow.state.get().sent).toBeNull();

    w.server.setUp(true);
    await w.clock.advance(backoff(1));
    expect(flow.state.get().queued).toBeNull();
    expect(flow.state.get().sent?.incident).toBe(queued);
    expect(w.server.posts.map((p) => p.status)).toEqual([201]);
  });

  it("shows a refusal in the form, keeps the sealed bytes for a limit, and retries them under the same ids", async () => {
    const w = world();
    w.server.setUp(true);
    w.server.refuseWith(new FlowError("rate_limited", "Limite atteinte."));
    const flow = createReportFlow("commune-1", "device-1", w.outbox);
    const input = { text: "x", photos: [], meta: { category: "vol", severity: null, neighbours: false } };
    expect(await flow.submit(input)).toBe("refused");
    const kept = flow.state.get().sealed;
    expect(flow.state.get().error?.code).toBe("rate_limited");
    expect(kept).not.toBeNull();
    w.server.refuseWith(null);
    expect(await flow.submit(input)).toBe("sent");
    expect(w.seals).toHaveLength(1);
    expect(w.server.posts.map((p) => [p.incident, p.body, p.status])).toEqual([
      [kept!.incident, kept!.wire.body, 201],
    ]);
  });
});

describe("entries read back from IndexedDB", () => {
  it("skip damaged rows and never keep clear content beside sealed bytes", () => {
    const w = world();
    const composed = entryOf(w);
    expect(normaliseEntry(composed)?.composed?.text).toContain(CANARY);
    expect(normaliseEntry({ ...composed, v: 99 })).toBeNull();
    expect(normaliseEntry({ ...composed, incident: 3 })).toBeNull();
    expect(normaliseEntry({ ...composed, composed: null })).toBeNull();
    const both = normaliseEntry({
      ...composed,
      sealed: { sentAt: 1, wire: { body: "b" }, attachments: [new Uint8Array([1])], recipients: 1, refused: [] },
    });
    expect(both?.composed).toBeNull();
    expect(both?.sealed?.attachments).toHaveLength(1);
  });
});

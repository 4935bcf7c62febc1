import { afterEach, describe, expect, it, vi } from "vitest";
import { parseEvent, type StreamEvent } from "../src/live/stream";
import { createConsole } from "../src/police/console";
import { orderQueue } from "../src/police/queue";
import { normaliseIncident } from "../src/incidents/api";
import { reporterLines } from "../src/alert/progress";
import {
  actionOfKey,
  actionsOf,
  formatElapsed,
  normaliseLifecycle,
  REPORTED,
  timeline,
} from "../src/incidents/lifecycle";

const taken = {
  state: "taken",
  verdict: null,
  outcome: null,
  taken_by: { id: "m1", name: "Opératrice Martin" },
  taken_at: "2026-12-03T10:00:38Z",
  doubt_lifted_at: null,
  intervention_at: null,
  on_site_at: null,
  closed_at: null,
  next_steps: ["lift_doubt", "close"],
  close_outcomes: ["false_alarm", "referred", "other"],
};

describe("lifecycle", () => {
  it("reads the server's lifecycle, and « signalé » when there is none", () => {
    const lifecycle = normaliseLifecycle(taken);
    expect(lifecycle.state).toBe("taken");
    expect(lifecycle.takenBy).toEqual({ id: "m1", name: "Opératrice Martin" });
    expect(lifecycle.at).toEqual({ taken: "2026-12-03T10:00:38Z" });
    expect(normaliseLifecycle(undefined)).toEqual(REPORTED);
    expect(normaliseLifecycle({ state: "bogus", next_steps: ["fly"] }).state).toBe("reported");
  });

  it("draws exactly the steps and outcomes the server allows, each with its key", () => {
    const lifecycle = normaliseLifecycle(taken);
    expect(actionsOf(lifecycle)).toEqual(["founded", "unfounded", "false_alarm", "referred", "other"]);
    expect(actionOfKey(lifecycle, "F")).toBe("founded");
    expect(actionOfKey(lifecycle, "3")).toBe("false_alarm");
    expect(actionOfKey(lifecycle, "1")).toBeNull(); // an arrest is not legal here
    expect(actionOfKey(lifecycle, "p")).toBeNull(); // already taken
    expect(actionsOf(REPORTED)).toEqual(["take"]);
  });

  it("gives each step's time since the report", () => {
    expect(formatElapsed(38_400)).toBe("38 s");
    expect(formatElapsed(125_000)).toBe("2 min 05 s");
    expect(formatElapsed(3_780_000)).toBe("1 h 03 min");
    expect(timeline("2026-12-03T10:00:00Z", normaliseLifecycle(taken))).toEqual([
      { state: "taken", at: "2026-12-03T10:00:38Z", elapsed: "38 s" },
    ]);
  });
});

describe("the reporter's timeline", () => {
  it("puts « Patrouille envoyée » among the steps, in the order they came, with its time", () => {
    const raw = {
      id: "i1",
      commune: "c",
      shop: { id: "s1", enseigne: "Boulangerie Martin" },
      reported_by: "m",
      created_at: "2026-12-03T10:00:00Z",
      messages: 1,
      lifecycle: { ...taken, state: "intervention", intervention_at: "2026-12-03T10:02:10Z" },
      patrol_sent_at: "2026-12-03T10:01:05Z",
    };
    expect(reporterLines(normaliseIncident(raw)).map((l) => `${l.label} — ${l.elapsed}`)).toEqual([
      "Pris en charge par la police municipale — 38 s",
      "Patrouille envoyée — 1 min 05 s",
      "Intervention engagée — 2 min 10 s",
    ]);
    const unsent = normaliseIncident({ ...raw, patrol_sent_at: null });
    expect(reporterLines(unsent).map((l) => l.key)).toEqual(["taken", "intervention"]);
  });
});

describe("the console's steps", () => {
  const base = {
    id: "i1",
    commune: "c",
    shop: { id: "s1", enseigne: "Boulangerie Martin" },
    reported_by: "m",
    created_at: "2026-12-03T10:00:00Z",
    messages: 1,
  };
  let served: Record<string, unknown> = { ...base, lifecycle: { state: "reported", next_steps: ["take"] } };

  afterEach(() => vi.unstubAllGlobals());

  function stub(): { method: string; url: string; body: string | null }[] {
    const calls: { method: string; url: string; body: string | null }[] = [];
    vi.stubGlobal("document", { cookie: "maillage_csrf=jeton" });
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init?: RequestInit) => {
        const method = init?.method ?? "GET";
        calls.push({ method, url, body: typeof init?.body === "string" ? init.body : null });
        if (method === "POST") {
          served = { ...base, lifecycle: { ...taken } };
          return new Response(JSON.stringify({ incident: served }), { status: 200 });
        }
        return new Response(JSON.stringify([served]), { status: 200 });
      }),
    );
    return calls;
  }

  it("posts the step and shows the incident as the server answers; its own event is not announced", async () => {
    const calls = stub();
    const model = createConsole("c");
    await model.refresh(false);
    const ok = await model.advance("i1", "take");
    expect(model.state.get().step.error).toBeNull();
    expect(ok).toBe(true);
    const post = calls.find((c) => c.method === "POST");
    expect(post?.url).toMatch(/\/api\/v1\/incidents\/i1\/take$/);
    expect(model.state.get().incidents?.[0].lifecycle?.state).toBe("taken");
    expect(model.state.get().step.said).toBe("« Pris en charge » enregistré.");
    await model.live(lifecycleEvent(7, "incident.taken", "taken"));
    expect(model.state.get().alert).toBeNull();
  });

  it("announces a step another operator took on the report on screen", async () => {
    served = { ...base, lifecycle: { state: "reported", next_steps: ["take"] } };
    stub();
    const model = createConsole("c");
    await model.refresh(false);
    model.state.update({ open: { incident: model.state.get().incidents![0], messages: [] } });
    served = { ...base, lifecycle: { ...taken } };
    await model.live(lifecycleEvent(8, "incident.taken", "taken"));
    expect(model.state.get().open?.incident.lifecycle?.state).toBe("taken");
    expect(model.state.get().alert).toBe("Ce signalement est passé à « Pris en charge ».");
  });
});

function lifecycleEvent(seq: number, kind: string, state: string): StreamEvent {
  const parsed = parseEvent(
    kind,
    JSON.stringify({ seq, kind, at: "2026-12-03T10:00:38Z", actor_kind: "member", target_type: "incident", target_id: "i1", shop: "s1", payload: { state, by: "m1" } }),
  );
  if (!parsed) throw new Error("bad event");
  return parsed;
}

describe("the queue", () => {
  it("lists open reports before closed ones (unread first still)", () => {
    const item = (id: string, state: string, at: string) =>
      normaliseIncident({ id, created_at: at, shop: {}, lifecycle: { state } });
    const closedNew = item("a", "closed", "2026-12-03T10:05:00Z");
    const openOld = item("b", "taken", "2026-12-03T10:00:00Z");
    const closedUnread = item("c", "closed", "2026-12-03T09:00:00Z");
    expect(
      orderQueue([closedNew, openOld, closedUnread], new Set(["c"])).map((i) => i.id),
    ).toEqual(["c", "b", "a"]);
  });
});

import { describe, expect, it } from "vitest";
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

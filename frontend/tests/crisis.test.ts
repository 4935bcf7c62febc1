import { afterEach, describe, expect, it, vi } from "vitest";
import { normaliseCrisis } from "../src/crisis/api";
import { createCrisis } from "../src/crisis/model";
import { parseEvent } from "../src/live/stream";
import { mayManageCrisis } from "../src/permissions";
import type { Session } from "../src/types";

const off = {
  active: false,
  started_at: null,
  started_by: null,
  instructions_changed_at: null,
  instructions: null,
  ended_at: "2026-12-03T10:00:00Z",
  end_message: null,
};

function answering(...bodies: unknown[]) {
  const calls: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string) => {
      calls.push(url);
      const body = bodies.length > 1 ? bodies.shift() : bodies[0];
      return new Response(JSON.stringify(body), {
        status: 200,
        headers: { "Content-Type": "application/json" },
      });
    }),
  );
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

describe("« mode crise »", () => {
  it("reads the server's state defensively", () => {
    const state = normaliseCrisis({ active: "yes", started_at: 3, instructions: "sealed?" });
    expect(state).toEqual({
      active: false,
      startedAt: null,
      instructionsChangedAt: null,
      endedAt: null,
      instructions: null,
      endMessage: null,
    });
    const on = normaliseCrisis({
      active: true,
      started_at: "2026-12-03T09:00:00Z",
      instructions: { broadcast: "b1", scope: "commune", number: 2, sent_at: 1, envelope: {}, attachments: [] },
    });
    expect(on.active).toBe(true);
    expect(on.instructions?.broadcast).toBe("b1");
    expect(on.instructions?.number).toBe(2);
  });

  it("knows the crisis kinds of the stream", () => {
    const event = parseEvent(
      "crisis.started",
      JSON.stringify({ seq: 4, kind: "crisis.started", target_id: "1", payload: { instructions: "b1", number: 1, attachments: 0 } }),
    );
    expect(event?.kind).toBe("crisis.started");
  });

  it("reloads its state on a crisis event and announces it; other kinds change nothing", async () => {
    const calls = answering(off, { ...off, active: false, ended_at: null });
    const model = createCrisis("commune-1");
    await model.start();
    expect(model.state.get().crisis?.active).toBe(false);
    expect(calls).toHaveLength(1);
    const other = parseEvent("broadcast.sent", JSON.stringify({ seq: 5, kind: "broadcast.sent", payload: {} }))!;
    await model.live(other);
    expect(calls).toHaveLength(1);
    const ended = parseEvent("crisis.ended", JSON.stringify({ seq: 6, kind: "crisis.ended", payload: {} }))!;
    await model.live(ended);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toContain("/api/v1/crisis");
    expect(model.state.get().alert).toBe("Le mode crise est terminé.");
    model.stop();
  });

  it("refuses to start without instructions, before any request", async () => {
    const calls = answering(off);
    const model = createCrisis("commune-1");
    expect(await model.switchOn("   ")).toBe(false);
    expect(model.state.get().action.error).toBe("Écrivez les consignes à donner aux commerces.");
    expect(calls).toHaveLength(0);
  });

  it("offers the switch to operators on a certified device only", () => {
    const session = (permissions: string[], device = "active") =>
      ({ authenticated: true, permissions, device: { id: "d", status: device } }) as unknown as Session;
    const police = ["crisis.manage", "trust.manage_group_key", "broadcasts.send"];
    expect(mayManageCrisis(session(police))).toBe(true);
    expect(mayManageCrisis(session(police, "pending"))).toBe(false);
    expect(mayManageCrisis(session(["crisis.view", "broadcasts.send"]))).toBe(false);
  });
});

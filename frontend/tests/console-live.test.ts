import { afterEach, describe, expect, it, vi } from "vitest";
import { parseEvent, type StreamEvent } from "../src/live/stream";
import { createConsole } from "../src/police/console";

const incidents = [
  {
    id: "i-new",
    commune: "c",
    shop: { id: "s1", enseigne: "Boulangerie Martin" },
    reported_by: "m",
    created_at: "2026-12-02T10:00:00Z",
    messages: 1,
  },
];

/** The server's GET /incidents at the network boundary; counts the calls. */
function stubServer() {
  const calls: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string) => {
      calls.push(url);
      return new Response(JSON.stringify(incidents), { status: 200 });
    }),
  );
  return calls;
}

function event(seq: number, kind: string, extra: Record<string, unknown> = {}): StreamEvent {
  const parsed = parseEvent(
    kind,
    JSON.stringify({ seq, kind, at: "x", actor_kind: "member", target_type: "incident", target_id: "i-new", shop: "s1", payload: { message: `m${seq}`, attachments: 0 }, ...extra }),
  );
  if (!parsed) throw new Error("bad event");
  return parsed;
}

afterEach(() => vi.unstubAllGlobals());

describe("console model, live", () => {
  it("a shop that hit a limit is listed and announced, without a ring", async () => {
    stubServer();
    let rings = 0;
    const model = createConsole("c", { signal: () => rings++, device: "d-mine" });
    await model.live(event(1, "incident.reported"));
    const hit = event(2, "alert_limit.reached", {
      target_type: "shop",
      target_id: "s1",
      at: "2026-12-02T10:05:00Z",
      payload: { limit: "report_device", retry_after: 420 },
    });
    await model.live(hit);
    await model.live(hit); // replayed after a reconnection: listed once
    const state = model.state.get();
    expect(state.limits.map((l) => [l.shop, l.limit, l.retryAfter])).toEqual([
      ["Boulangerie Martin", "report_device", 420],
    ]);
    expect(state.alert).toMatch(/^Limite d'alertes atteinte : Boulangerie Martin\./);
    expect(rings).toBe(1);
  });

  it("a new report is listed, marked unread, announced and rings once", async () => {
    const calls = stubServer();
    let rings = 0;
    const model = createConsole("c", { signal: () => rings++, device: "d-mine" });
    await model.live(event(1, "incident.reported"));
    const state = model.state.get();
    expect(calls).toEqual(["/api/v1/incidents"]);
    expect(state.incidents?.map((i) => i.id)).toEqual(["i-new"]);
    expect([...state.unread]).toEqual(["i-new"]);
    expect([...state.fresh]).toEqual(["i-new"]);
    expect(state.alert).toBe("Nouveau signalement : Boulangerie Martin.");
    expect(rings).toBe(1);
  });

  it("stays quiet for a message this device sent", async () => {
    stubServer();
    let rings = 0;
    const model = createConsole("c", { signal: () => rings++, device: "d-mine" });
    const envelope = { id: "m2", sender_device: "d-mine", sent_at: 1, received_at: "r", attachments: [], envelope: {} };
    await model.live(event(2, "message.posted", { sealed: envelope }));
    expect(rings).toBe(0);
    expect(model.state.get().unread.size).toBe(0);
  });

  it("a burst asks for the list at most twice", async () => {
    const calls = stubServer();
    let rings = 0;
    const model = createConsole("c", { signal: () => rings++ });
    await Promise.all([1, 2, 3, 4, 5].map((seq) => model.live(event(seq, "incident.reported"))));
    expect(calls.length).toBe(2);
    // The model asks each time; live/signal.ts keeps a burst to one sound.
    expect(rings).toBe(5);
    expect(model.state.get().alert).toBe("5 nouveaux signalements.");
  });

  it("tells reports apart again once the burst is over", async () => {
    stubServer();
    let clock = 0;
    const model = createConsole("c", { now: () => clock });
    await model.live(event(1, "incident.reported"));
    clock = 5000;
    await model.live(event(2, "incident.reported"));
    expect(model.state.get().alert).toBe("2 nouveaux signalements.");
    clock = 20000;
    await model.live(event(3, "incident.reported"));
    expect(model.state.get().alert).toBe("Nouveau signalement : Boulangerie Martin.");
  });

  it("ignores kinds that are not about incidents", async () => {
    const calls = stubServer();
    const model = createConsole("c");
    await model.live(event(3, "device.registered", { target_type: "device" }));
    expect(calls).toEqual([]);
  });
});

describe("the shop's own reports, live", () => {
  it("marks a police reply as new and says so; its own messages are not news", async () => {
    stubServer();
    const { createMyReports } = await import("../src/incidents/mine");
    const model = createMyReports("c", "d-shop");
    const mine = { id: "m5", sender_device: "d-shop", sent_at: 1, received_at: "r", attachments: [], envelope: {} };
    await model.live(event(5, "message.posted", { sealed: mine }));
    expect(model.state.get().replied.size).toBe(0);
    expect(model.state.get().alert).toBeNull();
    const police = { ...mine, id: "m6", sender_device: "d-police" };
    await model.live(event(6, "message.posted", { sealed: police }));
    expect([...model.state.get().replied]).toEqual(["i-new"]);
    expect(model.state.get().alert).toBe("Nouvelle réponse de la police à votre signalement.");
    expect(model.state.get().incidents?.length).toBe(1);
  });
});

describe("the console's missing keys", () => {
  const sent = (agent: string, released_at: string | null = null) => ({
    agent,
    name: "Agent Martin",
    status: "dispatched",
    status_at: "x",
    outcome: "",
    dispatched_at: "x",
    released_at,
  });
  const served = [{ ...incidents[0], dispatches: [sent("a1"), sent("a2", "y")] }];

  /** A console with i-new open, one agent on it (a1) and one released (a2), as served. */
  async function opened() {
    const calls: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string) => {
        calls.push(url);
        return new Response(JSON.stringify(url.endsWith("/dispatch") ? { missing: [] } : served));
      }),
    );
    const model = createConsole("c");
    await model.refresh(false);
    const incident = model.state.get().incidents![0];
    expect(incident.dispatches?.map((d) => [d.agent, d.releasedAt])).toEqual([["a1", null], ["a2", "y"]]);
    model.state.update({ open: { incident, messages: [] } });
    const asked = () => calls.filter((url) => url === "/api/v1/incidents/i-new/dispatch").length;
    return { model, asked };
  }

  const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

  it("asks what an agent lacks when one of its devices is certified, not for anyone else's", async () => {
    const { model, asked } = await opened();
    const certified = (member: string, seq: number) =>
      event(seq, "device.certified", { target_type: "device", target_id: "d9", member, payload: {} });
    await model.live(certified("a2", 1)); // released: it gets nothing new
    await model.live(certified("m-other", 2));
    await settled();
    expect(asked()).toBe(0);
    await model.live(certified("a1", 3));
    await settled();
    expect(asked()).toBe(1);
  });

  it("asks on agents sent or keys added to the open report; not on another's nor on a status", async () => {
    const { model, asked } = await opened();
    await model.live(event(1, "dispatch.keys_added", { target_id: "i-other", payload: {} }));
    await model.live(event(2, "dispatch.status_changed", { payload: { agent: "a1", status: "en_route" } }));
    await settled();
    expect(asked()).toBe(0);
    await model.live(event(3, "dispatch.keys_added", { payload: { grants: 1, devices: ["d9"] } }));
    await settled();
    expect(asked()).toBe(1);
    await model.live(event(4, "incident.dispatched", { payload: { agents: ["a1"], by: "m", grants: 1 } }));
    await settled();
    expect(asked()).toBe(2);
  });
});

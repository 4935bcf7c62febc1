import { describe, expect, it } from "vitest";
import { isAboutSelf, wantsStream } from "../src/live/browser";
import { parseEvent } from "../src/live/stream";
import { ANONYMOUS, type Session } from "../src/types";

const session = (status: "pending" | "active" | "suspended", device = "d1"): Session => ({
  ...ANONYMOUS,
  authenticated: true,
  membership: { id: "mem1", role: "commercant", role_label: "", status, commune: null, shop: null },
  device: { id: device, label: "", status: "pending" },
});

const ev = (fields: Record<string, unknown>) => {
  const parsed = parseEvent("device.certified", JSON.stringify({ seq: 1, kind: "device.certified", payload: {}, ...fields }));
  if (!parsed) throw new Error("bad event");
  return parsed;
};

describe("the stream and oneself", () => {
  it("runs for signed-in members, pending or active, never for others", () => {
    expect(wantsStream(null)).toBe(false);
    expect(wantsStream(ANONYMOUS)).toBe(false);
    expect(wantsStream(session("pending"))).toBe(true);
    expect(wantsStream(session("active"))).toBe(true);
    expect(wantsStream(session("suspended"))).toBe(false);
    expect(wantsStream({ ...session("active"), device: null })).toBe(false);
  });

  it("knows an event about its own member or device", () => {
    const me = session("pending");
    expect(isAboutSelf(ev({ member: "mem1", target_type: "device", target_id: "dX" }), me)).toBe(true);
    expect(isAboutSelf(ev({ member: null, target_type: "device", target_id: "d1" }), me)).toBe(true);
    expect(isAboutSelf(ev({ member: "mem2", target_type: "device", target_id: "d2" }), me)).toBe(false);
    expect(isAboutSelf(ev({ member: "mem1" }), null)).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import type { IncidentSummary } from "../src/incidents/api";
import { isNews, markRead, markUnread, orderQueue, queueTitle } from "../src/police/queue";

const item = (id: string, createdAt: string): IncidentSummary => ({
  id,
  commune: "c",
  shop: { id: "s", enseigne: "Boulangerie" },
  reportedBy: "m",
  createdAt,
  messages: 1,
});

describe("orderQueue", () => {
  const old = item("a", "2026-12-02T08:00:00Z");
  const mid = item("b", "2026-12-02T09:00:00Z");
  const recent = item("c", "2026-12-02T10:00:00Z");

  it("puts the newest first when nothing is unread", () => {
    expect(orderQueue([old, recent, mid], new Set()).map((i) => i.id)).toEqual(["c", "b", "a"]);
  });

  it("puts unread reports first, each group newest first", () => {
    const unread = new Set(["a", "b"]);
    expect(orderQueue([old, recent, mid], unread).map((i) => i.id)).toEqual(["b", "a", "c"]);
  });

  it("breaks ties by id and leaves its input alone", () => {
    const input = [item("z", "2026-12-02T08:00:00Z"), item("y", "2026-12-02T08:00:00Z")];
    expect(orderQueue(input, new Set()).map((i) => i.id)).toEqual(["y", "z"]);
    expect(input.map((i) => i.id)).toEqual(["z", "y"]);
  });
});

describe("unread and title", () => {
  it("counts unread reports in the tab title", () => {
    let unread = markUnread(new Set(), "a");
    unread = markUnread(unread, "b");
    unread = markUnread(unread, "a");
    expect(queueTitle("Maillage — console", unread.size)).toBe("(2) Maillage — console");
    unread = markRead(markRead(unread, "a"), "b");
    expect(queueTitle("Maillage — console", unread.size)).toBe("Maillage — console");
  });

  it("rings for others' reports and messages, not for our own reply nor the open report", () => {
    const own = { device: "d1", sent: new Set(["m-mine"]) };
    const ev = (kind: string, targetId: string, message: string | null, senderDevice: string | null = null) => ({
      kind,
      targetId,
      message,
      senderDevice,
    });
    expect(isNews(ev("incident.reported", "i1", "m1"), own, null)).toBe(true);
    expect(isNews(ev("message.posted", "i1", "m2"), own, null)).toBe(true);
    expect(isNews(ev("message.posted", "i1", "m-mine"), own, null)).toBe(false);
    expect(isNews(ev("message.posted", "i1", "m3", "d1"), own, null)).toBe(false);
    expect(isNews(ev("message.posted", "i1", "m4"), own, "i1")).toBe(false);
    expect(isNews(ev("device.certified", "x", null), own, null)).toBe(false);
  });
});

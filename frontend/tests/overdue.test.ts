/** The console's « en retard sur l'objectif »: the server's verdict, then the clock. */

import { describe, expect, it } from "vitest";
import type { IncidentSummary } from "../src/incidents/api";
import { isOverdue } from "../src/police/overdue";

const base: IncidentSummary = {
  id: "i",
  commune: "c",
  shop: { id: "s", enseigne: "Tabac" },
  reportedBy: "m",
  createdAt: "2026-12-07T09:00:00Z",
  messages: 1,
};
const at = (minutes: number) => Date.parse("2026-12-07T09:00:00Z") + minutes * 60_000;

describe("overdue", () => {
  it("follows the server's missed, and the minutes for a pending one", () => {
    const pending = { ...base, target: { minutes: 5, state: "pending" as const, overdue: false } };
    expect(isOverdue(pending, at(4))).toBe(false);
    expect(isOverdue(pending, at(6))).toBe(true);
    const missed = { ...base, target: { minutes: 5, state: "missed" as const, overdue: true } };
    expect(isOverdue(missed, at(1))).toBe(true);
    const met = { ...base, target: { minutes: 5, state: "met" as const, overdue: false } };
    expect(isOverdue(met, at(60))).toBe(false);
    const closed = {
      ...pending,
      lifecycle: { ...(pending as { lifecycle?: unknown }), state: "closed" } as unknown as IncidentSummary["lifecycle"],
    };
    expect(isOverdue(closed, at(60))).toBe(false);
    expect(isOverdue(base, at(60))).toBe(false);
  });
});

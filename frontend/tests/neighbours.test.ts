import { describe, expect, it } from "vitest";
import { parseEvent } from "../src/live/stream";
import { normaliseAlert, type NeighbourAlert } from "../src/neighbours/api";
import { orderAlerts, type AlertView } from "../src/neighbours/model";

const served = (over: Record<string, unknown> = {}) => ({
  id: "a1",
  scope: "sector:3",
  sector: { id: 3, name: "Centre" },
  status: "pending",
  sender: { kind: "shop", label: "Boulangerie", shop: "s1" },
  incident: null,
  created_at: "2026-12-03T10:00:00Z",
  activated_at: null,
  expires_at: null,
  ended_at: null,
  end_reason: null,
  broadcast: { broadcast: "a1", scope: "sector:3", number: 1, sent_at: 1, envelope: {}, attachments: [] },
  end_message: null,
  ...over,
});

const view = (alert: NeighbourAlert): AlertView => ({ alert, text: "x", error: null, endText: null });

describe("neighbour alerts", () => {
  it("reads the server's alert defensively", () => {
    const alert = normaliseAlert(served({ status: "bogus", end_reason: "later", sender: {} }));
    expect(alert.status).toBe("active");
    expect(alert.endReason).toBeNull();
    expect(alert.sender).toEqual({ kind: "shop", label: "", shop: null });
    expect(alert.sector).toEqual({ id: "3", name: "Centre" });
    expect(alert.broadcast.broadcast).toBe("a1");
  });

  it("puts what awaits validation first (oldest first), then active (newest first), then ended", () => {
    const items = [
      view(normaliseAlert(served({ id: "ended", status: "ended" }))),
      view(normaliseAlert(served({ id: "a-old", status: "active", activated_at: "2026-12-03T10:01:00Z" }))),
      view(normaliseAlert(served({ id: "p-new", created_at: "2026-12-03T10:05:00Z" }))),
      view(normaliseAlert(served({ id: "a-new", status: "active", activated_at: "2026-12-03T10:09:00Z" }))),
      view(normaliseAlert(served({ id: "p-old", created_at: "2026-12-03T09:00:00Z" }))),
    ];
    expect(orderAlerts(items).map((v) => v.alert.id)).toEqual([
      "p-old",
      "p-new",
      "a-new",
      "a-old",
      "ended",
    ]);
  });

  it("carries the sealed alert of a neighbour_alert event, never as an incident message", () => {
    const event = parseEvent(
      "neighbour_alert.validated",
      JSON.stringify({
        seq: 7,
        kind: "neighbour_alert.validated",
        target_id: "a1",
        payload: { scope: "sector:3", number: 1, expires_at: 2 },
        sealed: served({ status: "active" }),
      }),
    );
    expect(event?.neighbour?.status).toBe("active");
    expect(event?.sealed).toBeNull();
    expect(event?.broadcast).toBeNull();
    const refused = parseEvent(
      "neighbour_alert.refused",
      JSON.stringify({ seq: 8, kind: "neighbour_alert.refused", target_id: "a1", payload: {} }),
    );
    expect(refused?.neighbour).toBeNull();
  });
});

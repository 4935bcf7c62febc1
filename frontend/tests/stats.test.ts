/** The statistics page's reading of the summary: durations, rates with their counts. */

import { describe, expect, it } from "vitest";
import { formatDuration, formatRate, toSummary } from "../src/stats/summary";

describe("statistics", () => {
  it("says a duration in minutes and seconds", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(42.4)).toBe("42 s");
    expect(formatDuration(65)).toBe("1 min 05 s");
    expect(formatDuration(3725)).toBe("1 h 02");
  });

  it("never gives a rate without its count, and flags a small sample", () => {
    expect(formatRate({ met: 2, of: 3, pending: 1, smallSample: true })).toBe(
      "2 sur 3 (67 %) — trop peu pour une tendance",
    );
    expect(formatRate({ met: 45, of: 50, pending: 0, smallSample: false })).toBe("45 sur 50 (90 %)");
    expect(formatRate({ met: 0, of: 0, pending: 4, smallSample: true })).toBe("aucun signalement décidé");
  });

  it("reads the server's summary defensively", () => {
    const summary = toSummary({
      period: { start: "2026-11-04", end: "2026-12-03" },
      incidents: 3,
      small_sample_below: 10,
      target: { met: 1, of: 2, pending: 1, small_sample: true },
      steps: [{ step: "taken", label: "prise en charge", reached: 2, median_seconds: 30, p90_seconds: null }],
      by_sector: [{ id: 4, name: "Gare", incidents: 3, target: {}, median_to_taken_seconds: "x" }],
      by_hour: [{ hour: 9, incidents: 3, target: { met: 1, of: 2 } }],
    });
    expect(summary.steps[0]).toEqual({ step: "taken", label: "prise en charge", reached: 2, median: 30, p90: null });
    expect(summary.bySector[0]).toMatchObject({ key: "4", label: "Gare", medianToTaken: null, smallSample: true });
    expect(summary.byCategory).toEqual([]);
    expect(summary.byHour[0].label).toBe("09 h");
  });
});

import { describe, expect, it } from "vitest";
import type { IncidentSummary } from "../src/incidents/api";
import { buildMapModel, outlinePoints } from "../src/police/map";

const square = {
  type: "Polygon",
  coordinates: [[[2.0, 48.0], [2.1, 48.0], [2.1, 48.1], [2.0, 48.1], [2.0, 48.0]]],
};
const report = (shop: string): IncidentSummary => ({
  id: `i-${shop}`,
  commune: "c",
  shop: { id: shop, enseigne: "" },
  reportedBy: "m",
  createdAt: "2026-12-02T10:00:00Z",
  messages: 1,
});

describe("the console map's model", () => {
  it("keeps sector outlines and shops, counts open reports per shop, frames them all", () => {
    const model = buildMapModel(
      [{ id: 1, name: "Centre", geojson: square }, { id: 2, name: "Sans contour", geojson: null }],
      [
        { id: "s1", enseigne: "Boulangerie", latitude: 48.05, longitude: 2.05 },
        { id: "s2", enseigne: "Tabac", latitude: "48.2", longitude: "2.2" },
        { id: "s3", enseigne: "Nulle part", latitude: null, longitude: 2 },
        { id: "s4", enseigne: "Hors du monde", latitude: 123, longitude: 2 },
      ],
      [report("s1"), report("s1"), report("s2")],
    );
    expect(model.sectors.map((s) => s.name)).toEqual(["Centre"]);
    expect(model.shops.map((s) => [s.id, s.openReports])).toEqual([
      ["s1", 2],
      ["s2", 1],
    ]);
    expect(model.bounds).toEqual([
      [48.0, 2.0],
      [48.2, 2.2],
    ]);
  });

  it("shows nothing, and frames nothing, from a malformed answer", () => {
    const model = buildMapModel({ oops: true }, "nope", []);
    expect(model).toEqual({ sectors: [], shops: [], bounds: null });
  });

  it("reads the points of a Feature and of a MultiPolygon", () => {
    expect(outlinePoints({ type: "Feature", geometry: square })).toHaveLength(5);
    expect(outlinePoints({ type: "MultiPolygon", coordinates: [square.coordinates, square.coordinates] })).toHaveLength(10);
    expect(outlinePoints({ type: "Point", coordinates: [1, 2] })).toEqual([]);
  });
});

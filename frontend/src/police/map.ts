/**
 * What the console's map shows, apart from Leaflet: the commune's sector outlines, its
 * shops, and which of them have open reports (no workflow yet: every report is open).
 * Built from GET /territory/sectors and /territory/shops, read defensively; a shop
 * without usable coordinates is left off the map (it stays in the queue).
 */

export { getTerritoryMap as loadTerritory } from "../api";
import type { IncidentSummary } from "../incidents/api";

export interface MapSector {
  id: string;
  name: string;
  geojson: Record<string, unknown>;
}

export interface MapShop {
  id: string;
  enseigne: string;
  lat: number;
  lon: number;
  openReports: number;
}

export interface MapModel {
  sectors: MapSector[];
  shops: MapShop[];
  /** [[south, west], [north, east]] around everything shown; null when nothing is. */
  bounds: [[number, number], [number, number]] | null;
}

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw | null =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Raw) : null;
const finite = (v: unknown): number | null => {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};

/** Every [lon, lat] pair of a GeoJSON Polygon, MultiPolygon or Feature of one. */
export function outlinePoints(geojson: unknown): [number, number][] {
  const g = obj(geojson);
  if (!g) return [];
  if (g.type === "Feature") return outlinePoints(g.geometry);
  const points: [number, number][] = [];
  const walk = (v: unknown) => {
    if (!Array.isArray(v)) return;
    if (v.length >= 2 && typeof v[0] === "number" && typeof v[1] === "number") {
      if (Number.isFinite(v[0]) && Number.isFinite(v[1])) points.push([v[0], v[1]]);
      return;
    }
    v.forEach(walk);
  };
  if (g.type === "Polygon" || g.type === "MultiPolygon") walk(g.coordinates);
  return points;
}

export function buildMapModel(
  rawSectors: unknown,
  rawShops: unknown,
  incidents: readonly IncidentSummary[],
): MapModel {
  const open = new Map<string, number>();
  for (const incident of incidents) open.set(incident.shop.id, (open.get(incident.shop.id) ?? 0) + 1);

  const sectors: MapSector[] = [];
  for (const item of Array.isArray(rawSectors) ? rawSectors : []) {
    const r = obj(item);
    const geojson = obj(r?.geojson);
    if (!r || !geojson || outlinePoints(geojson).length < 3) continue;
    sectors.push({ id: String(r.id ?? ""), name: String(r.name ?? ""), geojson });
  }
  const shops: MapShop[] = [];
  for (const item of Array.isArray(rawShops) ? rawShops : []) {
    const r = obj(item);
    const lat = finite(r?.latitude);
    const lon = finite(r?.longitude);
    if (!r || lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) continue;
    const id = String(r.id ?? "");
    shops.push({ id, enseigne: String(r.enseigne ?? ""), lat, lon, openReports: open.get(id) ?? 0 });
  }

  const lats: number[] = shops.map((s) => s.lat);
  const lons: number[] = shops.map((s) => s.lon);
  for (const sector of sectors) {
    for (const [lon, lat] of outlinePoints(sector.geojson)) {
      lats.push(lat);
      lons.push(lon);
    }
  }
  const bounds: MapModel["bounds"] =
    lats.length === 0
      ? null
      : [
          [Math.min(...lats), Math.min(...lons)],
          [Math.max(...lats), Math.max(...lons)],
        ];
  return { sectors, shops, bounds };
}

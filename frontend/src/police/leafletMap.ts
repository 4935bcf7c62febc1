/**
 * Drawing the console's map with Leaflet (bundled from npm, loaded with the console only).
 * Vector layers for everything we own (sector outlines, shops as circles: no marker images,
 * nothing fetched); tiles only from the configured server, and when there is none, or it
 * cannot be reached, the same map on a plain background. Names go in as text nodes, never
 * as HTML.
 */

import L from "leaflet";
import "leaflet/dist/leaflet.css";
import type { MapModel } from "./map";

export interface MapLabels {
  /** « Boulangerie Martin — 2 signalement(s) ouvert(s) » */
  shop: (enseigne: string, openReports: number) => string;
  tilesFailed: () => void;
}

export interface DrawnMap {
  update(model: MapModel): void;
  destroy(): void;
}

function textNode(text: string): HTMLElement {
  const span = document.createElement("span");
  span.textContent = text;
  return span;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function drawMap(
  container: HTMLElement,
  tiles: { url: string; attribution: string } | null,
  labels: MapLabels,
): DrawnMap {
  const map = L.map(container, { zoomSnap: 0.5, attributionControl: true });
  map.attributionControl.setPrefix("Leaflet");
  if (tiles?.url) {
    let failures = 0;
    L.tileLayer(tiles.url, {
      attribution: escapeHtml(tiles.attribution),
      maxZoom: 19,
    })
      .on("tileerror", () => {
        failures += 1;
        if (failures === 1) labels.tilesFailed();
      })
      .addTo(map);
  }
  const layers = L.layerGroup().addTo(map);
  let fitted = false;

  function update(model: MapModel): void {
    layers.clearLayers();
    for (const sector of model.sectors) {
      L.geoJSON(sector.geojson as unknown as GeoJSON.GeoJsonObject, {
        style: { color: "#1d3557", weight: 2, fillOpacity: 0.06 },
      })
        .bindTooltip(textNode(sector.name), { sticky: true })
        .addTo(layers);
    }
    for (const shop of model.shops) {
      const alert = shop.openReports > 0;
      L.circleMarker([shop.lat, shop.lon], {
        radius: alert ? 9 : 5,
        color: alert ? "#a4161a" : "#3d4450",
        weight: alert ? 3 : 1,
        fillColor: alert ? "#a4161a" : "#ffffff",
        fillOpacity: alert ? 0.7 : 0.9,
      })
        .bindTooltip(textNode(labels.shop(shop.enseigne, shop.openReports)))
        .addTo(layers);
    }
    if (!fitted && model.bounds) {
      map.fitBounds(model.bounds, { padding: [16, 16] });
      fitted = true;
    } else if (!fitted) {
      map.setView([46.6, 2.4], 5);
    }
  }

  return {
    update,
    destroy: () => map.remove(),
  };
}

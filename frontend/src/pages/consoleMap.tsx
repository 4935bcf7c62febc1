/**
 * The console's map of the commune: sector outlines, shops, and in red those with open
 * reports, updated as reports arrive. Supplementary to the queue (which stays the
 * accessible way in): a labelled region with a one-line text summary. Leaflet loads with
 * this component only.
 */

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { IncidentSummary } from "../incidents/api";
import { t } from "../i18n";
import { useMeta } from "../meta";
import { buildMapModel, loadTerritory } from "../police/map";
import type { DrawnMap } from "../police/leafletMap";

export function ConsoleMap({ incidents }: { incidents: readonly IncidentSummary[] }) {
  const meta = useMeta();
  const container = useRef<HTMLDivElement>(null);
  const drawn = useRef<DrawnMap | null>(null);
  const [territory, setTerritory] = useState<{ sectors: unknown; shops: unknown } | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const model = useMemo(
    () => (territory ? buildMapModel(territory.sectors, territory.shops, incidents) : null),
    [territory, incidents],
  );

  useEffect(() => {
    loadTerritory()
      .then(setTerritory)
      .catch(() => setError(t("console.mapError")));
  }, []);

  const tiles = meta?.map?.tile_url ? meta.map : null;
  const ready = !!meta && !!territory;
  useEffect(() => {
    if (!ready || !container.current) return;
    let cancelled = false;
    setNote(tiles ? null : t("console.mapPlain"));
    import("../police/leafletMap")
      .then(({ drawMap }) => {
        if (cancelled || !container.current) return;
        drawn.current = drawMap(
          container.current,
          tiles ? { url: tiles.tile_url, attribution: tiles.attribution } : null,
          {
            shop: (shop, count) =>
              count > 0 ? t("console.mapShopAlert", { shop, count }) : shop,
            tilesFailed: () => setNote(t("console.mapTilesFailed")),
          },
        );
        if (model) drawn.current.update(model);
      })
      .catch(() => setError(t("console.mapError")));
    return () => {
      cancelled = true;
      drawn.current?.destroy();
      drawn.current = null;
    };
  }, [ready, tiles?.tile_url]);

  useEffect(() => {
    if (model) drawn.current?.update(model);
  }, [model]);

  const alerts = model?.shops.filter((s) => s.openReports > 0).length ?? 0;
  return (
    <section class="stack" aria-labelledby="map-title">
      <h2 id="map-title">{t("console.mapTitle")}</h2>
      {error ? <p class="hint">{error}</p> : null}
      <div
        ref={container}
        class="console-map"
        role="region"
        aria-label={t("console.mapLabel")}
      />
      {model ? (
        <p class="hint">
          {t("console.mapSummary", { shops: model.shops.length, alerts })}
          {note ? ` ${note}` : ""}
        </p>
      ) : null}
    </section>
  );
}

/**
 * The shop of the report an agent is sent to, on a small map (the console's Leaflet
 * drawing, police/leafletMap.ts, with this one shop): supplementary to the shop's address,
 * given as text beside it. Leaflet loads with this component only.
 */

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { IncidentSummary } from "../incidents/api";
import { t } from "../i18n";
import { useMeta } from "../meta";
import { buildMapModel, loadTerritory } from "../police/map";
import type { DrawnMap } from "../police/leafletMap";

type Raw = Record<string, unknown>;

/** The shop's address as the territory lists it, if it does. */
function addressOf(shops: unknown, id: string): string | null {
  const found = (Array.isArray(shops) ? shops : []).find(
    (item) => String((item as Raw | null)?.id ?? "") === id,
  ) as Raw | undefined;
  return typeof found?.address === "string" && found.address ? found.address : null;
}

export function ShopMap({ incident }: { incident: IncidentSummary }) {
  const meta = useMeta();
  const container = useRef<HTMLDivElement>(null);
  const [territory, setTerritory] = useState<{ sectors: unknown; shops: unknown } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const shopId = incident.shop.id;
  const model = useMemo(() => {
    if (!territory) return null;
    const shops = (Array.isArray(territory.shops) ? territory.shops : []).filter(
      (item) => String((item as Raw | null)?.id ?? "") === shopId,
    );
    return buildMapModel([], shops, [incident]);
  }, [territory, shopId]);

  useEffect(() => {
    loadTerritory()
      .then(setTerritory)
      .catch(() => setError(t("console.mapError")));
  }, []);

  const tiles = meta?.map?.tile_url ? meta.map : null;
  const located = !!model && model.shops.length > 0;
  useEffect(() => {
    if (!meta || !located || !container.current || !model) return;
    let cancelled = false;
    let drawn: DrawnMap | null = null;
    import("../police/leafletMap")
      .then(({ drawMap }) => {
        if (cancelled || !container.current) return;
        drawn = drawMap(
          container.current,
          tiles ? { url: tiles.tile_url, attribution: tiles.attribution } : null,
          { shop: (shop) => shop, tilesFailed: () => setError(t("console.mapTilesFailed")) },
        );
        drawn.update({
          ...model,
          // One point: a small box around it, at street level.
          bounds: [
            [model.shops[0].lat - 0.002, model.shops[0].lon - 0.003],
            [model.shops[0].lat + 0.002, model.shops[0].lon + 0.003],
          ],
        });
      })
      .catch(() => setError(t("console.mapError")));
    return () => {
      cancelled = true;
      drawn?.destroy();
    };
  }, [!!meta, located, tiles?.tile_url, shopId]);

  const address = territory ? addressOf(territory.shops, shopId) : null;
  return (
    <section class="stack" aria-labelledby="agent-map-title">
      <h3 id="agent-map-title">{t("agent.mapTitle")}</h3>
      <p>
        <strong>{incident.shop.enseigne}</strong>
        {address ? <> — {address}</> : null}
      </p>
      {error ? <p class="hint">{error}</p> : null}
      {located ? (
        <div
          ref={container}
          class="console-map agent-map"
          role="region"
          aria-label={t("agent.mapLabel", { shop: incident.shop.enseigne })}
        />
      ) : territory ? (
        <p class="hint">{t("agent.mapNone")}</p>
      ) : null}
    </section>
  );
}

/**
 * /coordination/commerces: the commune's shops in a table, searched as one types and
 * filtered by sector, with the count in a live region; each row opens its edit form.
 */

import { useEffect, useMemo, useState } from "preact/hooks";
import { describeError } from "../../api";
import { ErrorMessage, Field, LiveStatus, Loading } from "../../components/ui";
import { listSectors, listShopRows } from "../../coordination/api";
import {
  countLabel,
  filterShops,
  shopFlash,
  type SectorRow,
  type ShopRow,
} from "../../coordination/shops";
import { t } from "../../i18n";
import { useStreamEvent, useStreamResync } from "../../live/browser";
import { Link } from "../../router";
import { MairieScreen } from "./frame";

export function ShopsPage() {
  return <MairieScreen title={t("mairie.shops.title")}>{() => <ShopList />}</MairieScreen>;
}

function ShopList() {
  const [shops, setShops] = useState<ShopRow[] | null>(null);
  const [sectors, setSectors] = useState<SectorRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState("");
  const [sector, setSector] = useState("");
  // Said once the page is there, so the live region announces it (a region born with
  // its text is not read out).
  const [flash, setFlash] = useState<string | null>(null);

  const load = async () => {
    try {
      const [rows, found] = await Promise.all([listShopRows(), listSectors()]);
      setShops(rows);
      setSectors(found);
      setError(null);
    } catch (err) {
      setError(describeError(err));
    }
  };
  useEffect(() => {
    void load();
    const message = shopFlash.get();
    shopFlash.set(null);
    if (!message) return;
    const timer = window.setTimeout(() => setFlash(message), 100);
    return () => window.clearTimeout(timer);
  }, []);
  useStreamEvent(["shop.created", "shop.updated", "shops.imported", "sector.created"], () => {
    void load();
  });
  useStreamResync(() => void load());

  const shown = useMemo(
    () => (shops ? filterShops(shops, query, sector) : []),
    [shops, query, sector],
  );

  return (
    <>
      <LiveStatus message={flash} />
      <p class="row-actions">
        <Link href="/coordination/commerces/nouveau" class="button button-primary">
          {t("mairie.shops.add")}
        </Link>
        <Link href="/coordination/commerces/import" class="button button-secondary">
          {t("mairie.shops.importLink")}
        </Link>
      </p>
      <ErrorMessage message={error} />
      <div class="filters" role="search" aria-label={t("mairie.shops.filtersLabel")}>
        <Field id="shops-search" label={t("mairie.shops.search")} hint={t("mairie.shops.searchHint")}>
          {({ id, describedBy }) => (
            <input
              id={id}
              type="search"
              name="q"
              autoComplete="off"
              value={query}
              aria-describedby={describedBy}
              aria-controls="shops-table"
              onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
            />
          )}
        </Field>
        <Field id="shops-sector" label={t("mairie.shops.sector")}>
          {({ id }) => (
            <select
              id={id}
              name="sector"
              value={sector}
              aria-controls="shops-table"
              onChange={(e) => setSector((e.target as HTMLSelectElement).value)}
            >
              <option value="">{t("mairie.shops.allSectors")}</option>
              {sectors.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      {shops === null && !error ? <Loading /> : null}
      <div class="status" role="status" aria-live="polite" id="shops-count">
        {shops ? <p>{countLabel(shown.length, shops.length)}</p> : null}
      </div>
      {shops ? (
        <div
          class="table-scroll"
          role="region"
          aria-labelledby="shops-caption"
          tabIndex={0}
        >
          <table class="data-table" id="shops-table">
            <caption id="shops-caption">{t("mairie.shops.caption")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("mairie.shops.colEnseigne")}</th>
                <th scope="col">{t("mairie.shops.colSector")}</th>
                <th scope="col">{t("mairie.shops.colAddress")}</th>
                <th scope="col">{t("mairie.shops.colSiret")}</th>
                <th scope="col">{t("mairie.shops.colActivity")}</th>
                <th scope="col">{t("mairie.shops.colActions")}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((shop) => (
                <tr key={shop.id}>
                  <th scope="row">{shop.enseigne}</th>
                  <td>{shop.sector?.name ?? ""}</td>
                  <td>{shop.address}</td>
                  <td class="nowrap">{shop.siret}</td>
                  <td>{shop.activity}</td>
                  <td>
                    <Link
                      href={`/coordination/commerces/${encodeURIComponent(shop.id)}`}
                      class="button button-secondary"
                      aria-label={t("mairie.shops.editFor", { name: shop.enseigne })}
                    >
                      {t("mairie.shops.edit")}
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {shown.length === 0 ? <p>{t("mairie.shops.none")}</p> : null}
        </div>
      ) : null}
    </>
  );
}

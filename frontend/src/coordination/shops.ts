/**
 * The mairie's shop screens, apart from their layout: the shops and sectors as the
 * coordinator sees them (every field), the search that both the shop list and the
 * invitation form's picker use, the form checks before asking the server, and the calls
 * (create, edit, CSV import with its line-by-line report: coordination/api.ts). SIRET, coordinates and sectors
 * are checked by the server (territory/fields.py, siret.py): its French message is shown.
 */

import { t } from "../i18n";
import { createStore } from "../store";

type Raw = Record<string, unknown>;
const str = (v: unknown) => (typeof v === "string" ? v : v == null ? "" : String(v));
const rec = (v: unknown): Raw => (typeof v === "object" && v !== null ? (v as Raw) : {});

/** What the list says after a form or an import sent the coordinator back to it. */
export const shopFlash = createStore<string | null>(null);

export interface SectorRow {
  id: string;
  name: string;
  slug: string;
  shopCount: number;
  /** The sectors declared its neighbours (ids): their shops receive its alerts. */
  neighbours: string[];
}

export interface ShopRow {
  id: string;
  enseigne: string;
  raisonSociale: string;
  siret: string;
  address: string;
  latitude: string;
  longitude: string;
  activity: string;
  sector: { id: string; name: string; slug: string } | null;
}

export function toSector(r: Raw): SectorRow {
  return {
    id: str(r.id),
    name: str(r.name),
    slug: str(r.slug),
    shopCount: typeof r.shop_count === "number" ? r.shop_count : 0,
    neighbours: Array.isArray(r.neighbours) ? r.neighbours.map((n) => str(n)) : [],
  };
}

export function toShopRow(r: Raw): ShopRow {
  const sector = rec(r.sector);
  return {
    id: str(r.id ?? r.public_id),
    enseigne: str(r.enseigne),
    raisonSociale: str(r.raison_sociale),
    siret: str(r.siret),
    address: str(r.address),
    latitude: r.latitude == null ? "" : str(r.latitude),
    longitude: r.longitude == null ? "" : str(r.longitude),
    activity: str(r.activity),
    sector: r.sector
      ? { id: str(sector.id), name: str(sector.name), slug: str(sector.slug) }
      : null,
  };
}

/** Lower case, accents off, spaces collapsed: « Marché » matches « marche ». */
export function fold(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

interface Searchable {
  enseigne: string;
  address: string;
  activity?: string;
  raisonSociale?: string;
  siret?: string;
  sector: { name: string } | null;
}

const WORD_BREAK = /[\s,;:.'’"()/«»-]+/;

/**
 * Every word of the query starts a word of the shop's name, company name, address,
 * activity or sector (« boulang marc » finds « Boulangerie du Marché »), accents and case
 * aside; a query of digits (spaces allowed) also finds the SIRET it starts.
 */
export function matchesShop(shop: Searchable, query: string): boolean {
  const words = fold(query).split(WORD_BREAK).filter(Boolean);
  if (words.length === 0) return true;
  const digits = query.replace(/\s/g, "");
  if (/^\d{3,}$/.test(digits) && (shop.siret ?? "").replace(/\s/g, "").startsWith(digits))
    return true;
  const own = fold(
    [shop.enseigne, shop.raisonSociale ?? "", shop.address, shop.activity ?? "", shop.sector?.name ?? ""].join(" "),
  )
    .split(WORD_BREAK)
    .filter(Boolean);
  return words.every((word) => own.some((candidate) => candidate.startsWith(word)));
}

export function filterShops<T extends Searchable & { sector: { id?: string; name: string } | null }>(
  shops: readonly T[],
  query: string,
  sectorId = "",
): T[] {
  return shops.filter(
    (shop) => (!sectorId || shop.sector?.id === sectorId) && matchesShop(shop, query),
  );
}

/** « 3 commerces sur 140 » (or « 1 commerce »), for the live region. */
export function countLabel(shown: number, total: number): string {
  if (shown === total)
    return shown === 1 ? t("mairie.shops.countOne") : t("mairie.shops.countAll", { count: shown });
  if (shown === 0) return t("mairie.shops.countNone", { total });
  return shown === 1
    ? t("mairie.shops.countFilteredOne", { total })
    : t("mairie.shops.countFiltered", { count: shown, total });
}

export interface ShopDraft {
  enseigne: string;
  raisonSociale: string;
  siret: string;
  address: string;
  latitude: string;
  longitude: string;
  sector: string;
  activity: string;
}

export const EMPTY_DRAFT: ShopDraft = {
  enseigne: "",
  raisonSociale: "",
  siret: "",
  address: "",
  latitude: "",
  longitude: "",
  sector: "",
  activity: "",
};

export function draftOf(shop: ShopRow): ShopDraft {
  return {
    enseigne: shop.enseigne,
    raisonSociale: shop.raisonSociale,
    siret: shop.siret,
    address: shop.address,
    latitude: shop.latitude,
    longitude: shop.longitude,
    sector: shop.sector?.id ?? "",
    activity: shop.activity,
  };
}

/** Presence checks only; the server checks the SIRET key, ranges and lengths. Keys are
 * the API's field names, as the server's `field` names them. */
export function checkShop(draft: ShopDraft): Record<string, string> {
  const found: Record<string, string> = {};
  if (!draft.enseigne.trim()) found.enseigne = t("mairie.shops.enseigneRequired");
  if (!draft.siret.trim()) found.siret = t("mairie.shops.siretRequired");
  if (!draft.address.trim()) found.address = t("mairie.shops.addressRequired");
  if (!draft.latitude.trim()) found.latitude = t("mairie.shops.latitudeRequired");
  if (!draft.longitude.trim()) found.longitude = t("mairie.shops.longitudeRequired");
  if (!draft.sector) found.sector = t("mairie.shops.sectorRequired");
  return found;
}

const coordinate = (value: string) => value.trim().replace(",", ".");

/** The body of POST /territory/shops and PATCH /territory/shops/{id}. */
export function shopPayload(draft: ShopDraft): Record<string, unknown> {
  return {
    enseigne: draft.enseigne,
    raison_sociale: draft.raisonSociale,
    siret: draft.siret,
    address: draft.address,
    latitude: coordinate(draft.latitude),
    longitude: coordinate(draft.longitude),
    sector: draft.sector ? Number(draft.sector) : null,
    activity: draft.activity,
  };
}

export interface ImportLine {
  line: number | null;
  field: string | null;
  message: string;
}

export type ImportOutcome =
  | { ok: true; created: number; message: string }
  | { ok: false; message: string; errors: ImportLine[] };

/** A refused file's report, from the 422 body: the summary and one French line per problem. */
export function importReport(body: unknown): ImportOutcome {
  const r = rec(body);
  const errors = Array.isArray(r.errors) ? (r.errors as Raw[]) : [];
  return {
    ok: false,
    message: str(r.message),
    errors: errors.map((e) => ({
      line: typeof e.line === "number" ? e.line : null,
      field: e.field == null ? null : str(e.field),
      message: str(e.message),
    })),
  };
}

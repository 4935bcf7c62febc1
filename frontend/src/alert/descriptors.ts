/**
 * The sealed descriptors of a report (docs/envelope.md, "Report descriptors"): fixed lists,
 * chosen by tapping, sealed inside the content object as `fields.report`, never clear.
 * Twin in Python: src/maillage/wire/report_fields.py (the same slugs, the same checks;
 * its tests read this file to hold the two in step).
 *
 * No list invites sensitive data: nothing about supposed origin, skin, religion, health,
 * disability or the like exists here, « couleurs » are the colours of clothes, and a
 * commune cannot add a descriptor (the lists are code, not settings).
 */

import { t, type MessageKey } from "../i18n";

export const REPORT_FIELDS_VERSION = 1;

export const PEOPLE = ["1", "2", "3", "4+"] as const;
export const CLOTHING = [
  "capuche",
  "casquette",
  "bonnet",
  "blouson",
  "manteau",
  "survetement",
  "tee_shirt",
  "chemise",
  "pantalon",
  "jean",
  "short",
  "jupe_robe",
] as const;
export const COLOURS = [
  "noir",
  "blanc",
  "gris",
  "bleu",
  "rouge",
  "vert",
  "jaune",
  "orange",
  "marron",
  "beige",
  "rose",
  "violet",
] as const;
export const SIGNS = [
  "visage_couvert",
  "lunettes",
  "casque",
  "gants",
  "sac_a_dos",
  "sac",
  "tatouage_visible",
  "barbe",
  "arme_visible",
] as const;
export const DIRECTIONS = [
  "gauche",
  "droite",
  "en_face",
  "nord",
  "sud",
  "est",
  "ouest",
  "sur_place",
] as const;
export const VEHICLES = [
  "a_pied",
  "velo",
  "trottinette",
  "deux_roues",
  "voiture",
  "utilitaire",
] as const;

export type People = (typeof PEOPLE)[number];

/** `fields.report` of the content object (Contract 2). */
export interface ReportFields {
  v: 1;
  people: People | null;
  clothing: string[];
  colours: string[];
  signs: string[];
  direction: string | null;
  vehicle: string | null;
}

export type MultiKey = "clothing" | "colours" | "signs";
export type SingleKey = "people" | "direction" | "vehicle";
export type DescriptorKey = MultiKey | SingleKey;

export const LISTS: Record<DescriptorKey, readonly string[]> = {
  people: PEOPLE,
  clothing: CLOTHING,
  colours: COLOURS,
  signs: SIGNS,
  direction: DIRECTIONS,
  vehicle: VEHICLES,
};

export const MULTI_KEYS: readonly MultiKey[] = ["clothing", "colours", "signs"];
export const SINGLE_KEYS: readonly SingleKey[] = ["people", "direction", "vehicle"];
/** The order the confirmation screen and the console show them in. */
export const DESCRIPTOR_ORDER: readonly DescriptorKey[] = [
  "people",
  "clothing",
  "colours",
  "signs",
  "direction",
  "vehicle",
];
const KEYS = ["v", ...DESCRIPTOR_ORDER].sort();

export function emptyReport(): ReportFields {
  return {
    v: 1,
    people: null,
    clothing: [],
    colours: [],
    signs: [],
    direction: null,
    vehicle: null,
  };
}

/** Nothing chosen: the content object's `fields` stays `{}` (a category-only report). */
export function isEmptyReport(report: ReportFields): boolean {
  return (
    SINGLE_KEYS.every((key) => report[key] === null) &&
    MULTI_KEYS.every((key) => report[key].length === 0)
  );
}

/** A refusal of a descriptor object; the field names the offending key. */
export class ReportFieldsError extends Error {
  readonly field: string;
  constructor(field: string) {
    super(`fields.report.${field}`);
    this.name = "ReportFieldsError";
    this.field = field;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The checked descriptor object, or ReportFieldsError: exactly the keys of Contract 2,
 * `v` = 1, single choices a slug of their list or null, multiple choices slugs of their
 * list, each once, kept in the list's order (so one choice has one sealed form).
 */
export function validateReport(value: unknown): ReportFields {
  if (!isRecord(value)) throw new ReportFieldsError("report");
  const keys = Object.keys(value).sort();
  if (keys.length !== KEYS.length || keys.some((key, i) => key !== KEYS[i])) {
    const odd = keys.find((key) => !KEYS.includes(key)) ?? KEYS.find((k) => !keys.includes(k));
    throw new ReportFieldsError(odd ?? "report");
  }
  if (value.v !== REPORT_FIELDS_VERSION) throw new ReportFieldsError("v");
  const out = emptyReport();
  for (const key of SINGLE_KEYS) {
    const item = value[key];
    if (item === null) continue;
    if (typeof item !== "string" || !LISTS[key].includes(item)) throw new ReportFieldsError(key);
    (out as unknown as Record<SingleKey, string | null>)[key] = item;
  }
  for (const key of MULTI_KEYS) {
    const items = value[key];
    if (!Array.isArray(items)) throw new ReportFieldsError(key);
    const list = LISTS[key];
    let last = -1;
    for (const item of items) {
      const index = typeof item === "string" ? list.indexOf(item) : -1;
      // In the list's order and each once: a duplicate or a shuffled list is refused.
      if (index <= last) throw new ReportFieldsError(key);
      last = index;
    }
    out[key] = [...(items as string[])];
  }
  return out;
}

/** Keeps only known slugs, in list order: what a draft read back from storage becomes. */
export function cleanReport(value: unknown): ReportFields {
  const raw = isRecord(value) ? value : {};
  const out = emptyReport();
  for (const key of SINGLE_KEYS) {
    const item = raw[key];
    if (typeof item === "string" && LISTS[key].includes(item)) {
      (out as unknown as Record<SingleKey, string | null>)[key] = item;
    }
  }
  for (const key of MULTI_KEYS) {
    const items = Array.isArray(raw[key]) ? (raw[key] as unknown[]) : [];
    out[key] = LISTS[key].filter((slug) => items.includes(slug));
  }
  return out;
}

/** Taps a chip: a multiple choice toggles `slug`, a single choice takes it or lets it go. */
export function toggle(report: ReportFields, key: DescriptorKey, slug: string): ReportFields {
  if (!LISTS[key].includes(slug)) return report;
  if ((MULTI_KEYS as readonly string[]).includes(key)) {
    const k = key as MultiKey;
    const has = report[k].includes(slug);
    const next = has ? report[k].filter((s) => s !== slug) : [...report[k], slug];
    return { ...report, [k]: LISTS[k].filter((s) => next.includes(s)) };
  }
  const k = key as SingleKey;
  return { ...report, [k]: report[k] === slug ? null : slug };
}

export function isChosen(report: ReportFields, key: DescriptorKey, slug: string): boolean {
  const value = report[key];
  return Array.isArray(value) ? value.includes(slug) : value === slug;
}

/** The content object's `fields`: `{report: …}` once something is chosen, else `{}`. */
export function sealedFields(report: ReportFields): Record<string, unknown> {
  if (isEmptyReport(report)) return {};
  return { report: validateReport(report) };
}

const slugKey = (slug: string) => slug.replace(/\+/g, "plus");

export function descriptorTitle(key: DescriptorKey): string {
  return t(`alert.d.${key}` as MessageKey);
}

export function descriptorLabel(key: DescriptorKey, slug: string): string {
  const id = `alert.d.${key}.${slugKey(slug)}`;
  return t(id as MessageKey);
}

export interface DescribedLine {
  key: DescriptorKey;
  title: string;
  values: string[];
}

/**
 * A decrypted `fields` object in words, for the console and the shop's thread: the lines
 * with something chosen, or null when there is no report object. A report object that
 * breaks the contract is `invalid` (shown as such, never half-read).
 */
export function describeFields(
  fields: Record<string, unknown>,
): { lines: DescribedLine[]; invalid: boolean } | null {
  if (!("report" in fields)) return null;
  let report: ReportFields;
  try {
    report = validateReport(fields.report);
  } catch {
    return { lines: [], invalid: true };
  }
  const lines: DescribedLine[] = [];
  for (const key of DESCRIPTOR_ORDER) {
    const value = report[key];
    const values = Array.isArray(value) ? value : value === null ? [] : [value];
    if (values.length === 0) continue;
    lines.push({
      key,
      title: descriptorTitle(key),
      values: values.map((slug) => descriptorLabel(key, slug)),
    });
  }
  return { lines, invalid: false };
}

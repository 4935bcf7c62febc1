/**
 * The commune's alert settings (GET/PUT /api/v1/incidents/settings, Contract 1 of the
 * issue 9 plan): the categories (label, severity, « appelez le 17 », enabled, in the
 * commune's order), the neighbour-alert policy (an operator validates first, or it goes out
 * at once) and its expiry, and the named limits. The page edits a draft of these; the
 * draft is checked here before the server checks it again and answers in French.
 */

import { fold } from "./shops";
import { t, type MessageKey } from "../i18n";

type Raw = Record<string, unknown>;
const str = (v: unknown) => (typeof v === "string" ? v : v == null ? "" : String(v));
const rec = (v: unknown): Raw => (typeof v === "object" && v !== null ? (v as Raw) : {});

export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const LIMIT_NAMES = [
  "report_device",
  "report_shop",
  "neighbour_device",
  "neighbour_shop",
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

export interface CategorySetting {
  slug: string;
  label: string;
  severity: Severity;
  call17: boolean;
  enabled: boolean;
  /** Minutes from the report for the doubt lifted and an intervention engaged (as typed). */
  targetMinutes: string;
}

export interface Limit {
  count: number;
  minutes: number;
}

export interface AlertSettings {
  categories: CategorySetting[];
  neighbourValidation: boolean;
  neighbourExpiryMinutes: number;
  limits: Record<LimitName, Limit>;
  /** Seconds after a report nobody took: first, then second escalation. */
  escalationFirst: number;
  escalationSecond: number;
  /** Public ids of the police members alerted when an incident escalates. */
  supervisors: string[];
  /** Reports of one sector and category, each within this of the previous: one cluster. */
  clusterWindowMinutes: number;
}

/** What the form holds: numbers as typed, so a half-typed value is not lost. */
export interface SettingsDraft {
  categories: CategorySetting[];
  neighbourValidation: boolean;
  neighbourExpiry: string;
  limits: Record<LimitName, { count: string; minutes: string }>;
  escalationFirst: string;
  escalationSecond: string;
  supervisors: string[];
  clusterWindow: string;
}

const asSeverity = (v: unknown): Severity =>
  (SEVERITIES as readonly string[]).includes(str(v)) ? (str(v) as Severity) : "medium";
const asInt = (v: unknown, fallback: number): number => {
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : fallback;
};

export function toSettings(raw: unknown): AlertSettings {
  const r = rec(raw);
  const categories = Array.isArray(r.categories) ? (r.categories as Raw[]) : [];
  const limits = rec(r.limits);
  const limit = (name: LimitName): Limit => {
    const l = rec(limits[name]);
    return { count: asInt(l.count, 0), minutes: asInt(l.minutes, 0) };
  };
  return {
    categories: categories.map((c) => ({
      slug: str(c.slug),
      label: str(c.label),
      severity: asSeverity(c.severity),
      call17: c.call_17 === true,
      enabled: c.enabled !== false,
      targetMinutes: String(asInt(c.target_minutes, DEFAULT_TARGET_MINUTES)),
    })),
    neighbourValidation: r.neighbour_validation !== false,
    neighbourExpiryMinutes: asInt(r.neighbour_expiry_minutes, 120),
    limits: Object.fromEntries(LIMIT_NAMES.map((name) => [name, limit(name)])) as Record<
      LimitName,
      Limit
    >,
    escalationFirst: asInt(r.escalation_first_seconds, 60),
    escalationSecond: asInt(r.escalation_second_seconds, 180),
    supervisors: Array.isArray(r.supervisors) ? r.supervisors.map((s) => str(s)) : [],
    clusterWindowMinutes: asInt(r.cluster_window_minutes, 10),
  };
}

export function draftOf(settings: AlertSettings): SettingsDraft {
  return {
    categories: settings.categories.map((c) => ({ ...c })),
    neighbourValidation: settings.neighbourValidation,
    neighbourExpiry: String(settings.neighbourExpiryMinutes),
    limits: Object.fromEntries(
      LIMIT_NAMES.map((name) => [
        name,
        {
          count: String(settings.limits[name].count),
          minutes: String(settings.limits[name].minutes),
        },
      ]),
    ) as SettingsDraft["limits"],
    escalationFirst: String(settings.escalationFirst),
    escalationSecond: String(settings.escalationSecond),
    supervisors: [...settings.supervisors],
    clusterWindow: String(settings.clusterWindowMinutes),
  };
}

/** The category moved one place up (-1) or down (+1); the same list at either end. */
export function moveCategory(
  categories: readonly CategorySetting[],
  index: number,
  step: -1 | 1,
): CategorySetting[] {
  const target = index + step;
  const next = [...categories];
  if (index < 0 || index >= next.length || target < 0 || target >= next.length) return next;
  [next[index], next[target]] = [next[target], next[index]];
  return next;
}

// The server's bounds (incidents/alert_settings.py, catalogue.py, schemas.py).
export const MAX_CATEGORIES = 20;
export const MAX_LABEL = 60;
export const MIN_EXPIRY_MINUTES = 5;
export const MAX_EXPIRY_MINUTES = 24 * 60;
export const MAX_LIMIT_COUNT = 1000;
export const MAX_LIMIT_MINUTES = 24 * 60;
export const DEFAULT_TARGET_MINUTES = 5;
export const MAX_TARGET_MINUTES = 120;
export const MAX_CLUSTER_WINDOW = 120;
export const MIN_ESCALATION_SECONDS = 15;
export const MAX_ESCALATION_SECONDS = 3600;

const whole = (text: string): number | null => (/^\s*\d+\s*$/.test(text) ? Number(text) : null);

/**
 * Problems keyed by the form's control ids (`category-<slug>-label`, `neighbour-expiry`,
 * `limit-<name>-count`…), each a French sentence; empty when the draft may be sent.
 */
export function checkSettings(draft: SettingsDraft): Record<string, string> {
  const found: Record<string, string> = {};
  for (const c of draft.categories) {
    const label = c.label.trim();
    if (!label) found[`category-${c.slug}-label`] = t("mairie.settings.labelRequired");
    else if (label.length > MAX_LABEL)
      found[`category-${c.slug}-label`] = t("mairie.settings.labelTooLong", { max: MAX_LABEL });
  }
  for (const c of draft.categories) {
    const target = whole(c.targetMinutes);
    if (target === null || target < 1 || target > MAX_TARGET_MINUTES)
      found[`category-${c.slug}-target`] = t("mairie.settings.targetRange", { max: MAX_TARGET_MINUTES });
  }
  if (!draft.categories.some((c) => c.enabled))
    found["categories"] = t("mairie.settings.oneEnabled");
  const expiry = whole(draft.neighbourExpiry);
  if (expiry === null || expiry < MIN_EXPIRY_MINUTES || expiry > MAX_EXPIRY_MINUTES)
    found["neighbour-expiry"] = t("mairie.settings.expiryRange", {
      min: MIN_EXPIRY_MINUTES,
      max: MAX_EXPIRY_MINUTES,
    });
  const first = whole(draft.escalationFirst);
  const second = whole(draft.escalationSecond);
  const range = { min: MIN_ESCALATION_SECONDS, max: MAX_ESCALATION_SECONDS };
  if (first === null || first < MIN_ESCALATION_SECONDS || first > MAX_ESCALATION_SECONDS)
    found["escalation-first"] = t("mairie.settings.escalationRange", range);
  if (second === null || second < MIN_ESCALATION_SECONDS || second > MAX_ESCALATION_SECONDS)
    found["escalation-second"] = t("mairie.settings.escalationRange", range);
  else if (first !== null && second <= first)
    found["escalation-second"] = t("mairie.settings.escalationOrder");
  const window = whole(draft.clusterWindow);
  if (window === null || window < 1 || window > MAX_CLUSTER_WINDOW)
    found["cluster-window"] = t("mairie.settings.clusterWindowRange", { max: MAX_CLUSTER_WINDOW });
  for (const name of LIMIT_NAMES) {
    const count = whole(draft.limits[name].count);
    const minutes = whole(draft.limits[name].minutes);
    if (count === null || count > MAX_LIMIT_COUNT)
      found[`limit-${name}-count`] = t("mairie.settings.countRange", { max: MAX_LIMIT_COUNT });
    if (minutes === null || minutes < 1 || minutes > MAX_LIMIT_MINUTES)
      found[`limit-${name}-minutes`] = t("mairie.settings.minutesRange", { max: MAX_LIMIT_MINUTES });
  }
  return found;
}

/** A slug the server accepts (`^[a-z][a-z0-9_]{0,39}$`), from a label, unused in `taken`. */
export function slugFor(label: string, taken: ReadonlySet<string>): string {
  let base = fold(label)
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (!/^[a-z]/.test(base)) base = `categorie_${base}`.replace(/_+$/, "");
  base = base.slice(0, 36).replace(/_+$/, "");
  let slug = base;
  for (let n = 2; taken.has(slug); n++) slug = `${base}_${n}`;
  return slug;
}

/**
 * The list with a new category at its end (severity « moyenne », offered, no 17), or the
 * French reason it cannot be added. It is stored with the rest by « Enregistrer ».
 */
export function addCategory(
  categories: readonly CategorySetting[],
  label: string,
): { categories: CategorySetting[] } | { error: string } {
  const clean = label.trim().replace(/\s+/g, " ");
  if (!clean) return { error: t("mairie.settings.labelRequired") };
  if (clean.length > MAX_LABEL) return { error: t("mairie.settings.labelTooLong", { max: MAX_LABEL }) };
  if (categories.length >= MAX_CATEGORIES)
    return { error: t("mairie.settings.tooMany", { max: MAX_CATEGORIES }) };
  if (categories.some((c) => fold(c.label) === fold(clean)))
    return { error: t("mairie.settings.duplicate") };
  const slug = slugFor(clean, new Set(categories.map((c) => c.slug)));
  return {
    categories: [
      ...categories,
      { slug, label: clean, severity: "medium", call17: false, enabled: true, targetMinutes: String(DEFAULT_TARGET_MINUTES) },
    ],
  };
}

/**
 * The form control a server refusal names (its `field`: `categories.2.label`,
 * `neighbour_expiry_minutes`, `limits.report_shop.count`…), or null for the form as a whole.
 */
export function controlOf(field: string | null | undefined, draft: SettingsDraft): string | null {
  if (!field) return null;
  if (field === "neighbour_expiry_minutes") return "neighbour-expiry";
  if (field === "neighbour_validation") return "neighbour-validation";
  if (field === "escalation_first_seconds") return "escalation-first";
  if (field === "escalation_second_seconds") return "escalation-second";
  if (field === "supervisors" || field.startsWith("supervisors.")) return "supervisors";
  if (field === "cluster_window_minutes") return "cluster-window";
  if (field === "categories") return "categories";
  const category = /^categories\.(\d+)(?:\.(label|severity|call_17|enabled|target_minutes))?$/.exec(field);
  if (category) {
    const slug = draft.categories[Number(category[1])]?.slug;
    if (!slug) return "categories";
    const part = { label: "label", severity: "severity", call_17: "call17", enabled: "enabled", target_minutes: "target" }[
      category[2] ?? "label"
    ];
    return `category-${slug}-${part}`;
  }
  const limit = /^limits\.(\w+)\.(count|minutes)$/.exec(field);
  if (limit) return `limit-${limit[1]}-${limit[2]}`;
  return null;
}

/** The PUT body, in Contract 1's shape; categories in the commune's order. */
export function payloadOf(draft: SettingsDraft): Record<string, unknown> {
  return {
    categories: draft.categories.map((c) => ({
      slug: c.slug,
      label: c.label.trim(),
      severity: c.severity,
      call_17: c.call17,
      enabled: c.enabled,
      target_minutes: Number(c.targetMinutes),
    })),
    neighbour_validation: draft.neighbourValidation,
    neighbour_expiry_minutes: Number(draft.neighbourExpiry),
    limits: Object.fromEntries(
      LIMIT_NAMES.map((name) => [
        name,
        { count: Number(draft.limits[name].count), minutes: Number(draft.limits[name].minutes) },
      ]),
    ),
    escalation_first_seconds: Number(draft.escalationFirst),
    escalation_second_seconds: Number(draft.escalationSecond),
    supervisors: [...draft.supervisors],
    cluster_window_minutes: Number(draft.clusterWindow),
  };
}


export const severityLabel = (severity: Severity): string =>
  t(`mairie.settings.severity.${severity}` as MessageKey);

export const limitLabel = (name: LimitName): string => t(`mairie.settings.limit.${name}` as MessageKey);

/**
 * The first statistics page's data (GET /api/v1/stats/summary), read defensively, and how
 * it reads aloud: a duration in minutes and seconds, a rate always with its count, and
 * « trop peu pour une tendance » under the server's small-sample bound.
 */

import { t } from "../i18n";

type Raw = Record<string, unknown>;
const rec = (v: unknown): Raw => (typeof v === "object" && v !== null ? (v as Raw) : {});
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const int = (v: unknown): number => Math.max(0, Math.trunc(num(v) ?? 0));
const str = (v: unknown) => (typeof v === "string" ? v : v == null ? "" : String(v));

export interface Rate {
  met: number;
  of: number;
  pending: number;
  smallSample: boolean;
}

export interface Step {
  step: string;
  label: string;
  reached: number;
  median: number | null;
  p90: number | null;
}

export interface Group {
  key: string;
  label: string;
  incidents: number;
  target: Rate;
  medianToTaken: number | null;
  smallSample: boolean;
}

export interface Summary {
  start: string;
  end: string;
  incidents: number;
  smallSampleBelow: number;
  target: Rate;
  steps: Step[];
  bySector: Group[];
  byCategory: Group[];
  byHour: Group[];
}

export interface SummaryFilters {
  start?: string;
  end?: string;
  sector?: string;
  category?: string;
}

const rate = (v: unknown): Rate => {
  const r = rec(v);
  return { met: int(r.met), of: int(r.of), pending: int(r.pending), smallSample: r.small_sample !== false };
};

const group = (key: (r: Raw) => string, label: (r: Raw) => string) => (v: unknown): Group => {
  const r = rec(v);
  return {
    key: key(r),
    label: label(r),
    incidents: int(r.incidents),
    target: rate(r.target),
    medianToTaken: num(r.median_to_taken_seconds),
    smallSample: r.small_sample !== false,
  };
};

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function toSummary(raw: unknown): Summary {
  const r = rec(raw);
  const period = rec(r.period);
  return {
    start: str(period.start),
    end: str(period.end),
    incidents: int(r.incidents),
    smallSampleBelow: int(r.small_sample_below) || 10,
    target: rate(r.target),
    steps: list(r.steps).map((s) => {
      const x = rec(s);
      return { step: str(x.step), label: str(x.label), reached: int(x.reached), median: num(x.median_seconds), p90: num(x.p90_seconds) };
    }),
    bySector: list(r.by_sector).map(group((x) => str(x.id), (x) => str(x.name))),
    byCategory: list(r.by_category).map(group((x) => str(x.slug), (x) => str(x.label))),
    byHour: list(r.by_hour).map(group((x) => str(x.hour), (x) => t("stats.hourLabel", { hour: String(int(x.hour)).padStart(2, "0") }))),
  };
}

/** 65 → « 1 min 05 s »; 42 → « 42 s »; null → « — ». */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return "—";
  const whole = Math.round(seconds);
  if (whole < 60) return t("stats.seconds", { s: whole });
  const minutes = Math.floor(whole / 60);
  if (minutes >= 60) return t("stats.hours", { h: Math.floor(minutes / 60), m: String(minutes % 60).padStart(2, "0") });
  return t("stats.minutes", { m: minutes, s: String(whole % 60).padStart(2, "0") });
}

/** « 2 sur 3 (67 %) », with « trop peu pour une tendance » under the bound; never a bare %. */
export function formatRate(r: Rate): string {
  if (r.of === 0) return t("stats.rateNone");
  const percent = Math.round((100 * r.met) / r.of);
  const text = t("stats.rate", { met: r.met, of: r.of, percent });
  return r.smallSample ? `${text} — ${t("stats.smallSample")}` : text;
}

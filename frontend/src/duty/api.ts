/**
 * The duty endpoints (/api/v1/duty, docs/architecture.md): the police municipale's duty
 * hours, the fallback recipients, and whether the police can be reached now. Answers are
 * read defensively here, so pages only see these shapes.
 */

import { request } from "../api";

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface TimeRange {
  start: string;
  end: string;
}

export interface DutyException {
  date: string;
  closed: boolean;
  ranges: TimeRange[];
  label: string;
}

export interface Schedule {
  weekly: Record<Weekday, TimeRange[]>;
  exceptions: DutyException[];
  /** Still the default hours (Mon–Sat 08:00–20:00): the commune never set its own. */
  isDefault: boolean;
  onDuty: boolean;
}

export interface Partner {
  membership: string;
  name: string;
  status: string;
}

export interface Fallback {
  recipients: Partner[];
  candidates: Partner[];
}

export interface Reachability {
  reachable: boolean;
  onDuty: boolean;
  operatorsConnected: boolean;
  fallback: boolean;
}

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Raw) : {};
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function range(raw: unknown): TimeRange {
  const r = obj(raw);
  return { start: str(r.start), end: str(r.end) };
}

export function normaliseSchedule(raw: unknown): Schedule {
  const r = obj(raw);
  const weekly = obj(r.weekly);
  return {
    weekly: Object.fromEntries(
      WEEKDAYS.map((day) => [day, list(weekly[day]).map(range)]),
    ) as Record<Weekday, TimeRange[]>,
    exceptions: list(r.exceptions).map((item) => {
      const e = obj(item);
      return {
        date: str(e.date),
        closed: e.closed === true,
        ranges: list(e.ranges).map(range),
        label: str(e.label),
      };
    }),
    isDefault: r.default === true,
    onDuty: r.on_duty === true,
  };
}

function partner(raw: unknown): Partner {
  const r = obj(raw);
  return { membership: str(r.membership), name: str(r.name), status: str(r.status) };
}

export function normaliseFallback(raw: unknown): Fallback {
  const r = obj(raw);
  return { recipients: list(r.recipients).map(partner), candidates: list(r.candidates).map(partner) };
}

/** Unknown or missing answers read as « not reachable »: the safe side is to call 17. */
export function normaliseReachability(raw: unknown): Reachability {
  const r = obj(raw);
  return {
    reachable: r.reachable === true,
    onDuty: r.on_duty === true,
    operatorsConnected: r.operators_connected === true,
    fallback: r.fallback === true,
  };
}

export async function getSchedule(): Promise<Schedule> {
  return normaliseSchedule(await request("GET", "/duty/schedule"));
}

export async function putSchedule(
  weekly: Record<Weekday, TimeRange[]>,
  exceptions: DutyException[],
): Promise<Schedule> {
  return normaliseSchedule(await request("PUT", "/duty/schedule", { weekly, exceptions }));
}

export async function getFallback(): Promise<Fallback> {
  return normaliseFallback(await request("GET", "/duty/fallback"));
}

export async function putFallback(recipients: string[]): Promise<Fallback> {
  return normaliseFallback(await request("PUT", "/duty/fallback", { recipients }));
}

export async function getReachability(): Promise<Reachability> {
  return normaliseReachability(await request("GET", "/duty/reachability"));
}

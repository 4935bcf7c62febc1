/**
 * Whether an open report is past its category's target (the server's rule,
 * stats/timings.py): the server says « missed » when the list is read; a report still
 * « pending » becomes overdue as the minutes pass, which this re-reads on the console's
 * clock without a new request.
 */

import { useEffect, useState } from "preact/hooks";
import type { IncidentSummary } from "../incidents/api";

const TICK_MS = 15_000;
const listeners = new Set<(now: number) => void>();
let timer: ReturnType<typeof setInterval> | null = null;

/** The console's clock for targets: one timer for every row, stopped when none listens. */
export function useTargetClock(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    listeners.add(setNow);
    timer ??= setInterval(() => {
      const at = Date.now();
      for (const listener of listeners) listener(at);
    }, TICK_MS);
    return () => {
      listeners.delete(setNow);
      if (listeners.size === 0 && timer !== null) {
        clearInterval(timer);
        timer = null;
      }
    };
  }, []);
  return now;
}

export function isOverdue(incident: IncidentSummary, now: number): boolean {
  const target = incident.target;
  if (!target) return false;
  const state = incident.lifecycle?.state ?? "reported";
  if (state === "closed") return false;
  if (target.state === "missed") return target.overdue;
  if (target.state !== "pending") return false;
  const created = Date.parse(incident.createdAt);
  return !Number.isNaN(created) && now - created > target.minutes * 60_000;
}

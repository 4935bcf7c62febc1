/**
 * Whether an open report is past its category's target (the server's rule,
 * stats/timings.py): the server says « missed » when the list is read; a report still
 * « pending » becomes overdue as the minutes pass, which this re-reads on the console's
 * clock without a new request.
 */

import type { IncidentSummary } from "../incidents/api";

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

/**
 * The console's queue rules, apart from the screen so they are tested once: which reports
 * come first, which are unread, and what the tab title says. There is no priority field
 * yet (the workflow issue brings it): unread first, then newest first.
 */

import type { IncidentSummary } from "../incidents/api";

/** Unread first, then open before closed, then newest first; the id breaks ties so the
 * order never flickers. */
export function orderQueue(
  items: readonly IncidentSummary[],
  unread: ReadonlySet<string>,
): IncidentSummary[] {
  return [...items].sort((a, b) => {
    const ua = unread.has(a.id) ? 0 : 1;
    const ub = unread.has(b.id) ? 0 : 1;
    if (ua !== ub) return ua - ub;
    const ca = a.lifecycle?.state === "closed" ? 1 : 0;
    const cb = b.lifecycle?.state === "closed" ? 1 : 0;
    if (ca !== cb) return ca - cb;
    const ta = Date.parse(a.createdAt) || 0;
    const tb = Date.parse(b.createdAt) || 0;
    if (ta !== tb) return tb - ta;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/** « (3) Maillage — console »; the bare title when nothing is unread. */
export function queueTitle(base: string, unread: number): string {
  return unread > 0 ? `(${unread}) ${base}` : base;
}

export function markUnread(unread: ReadonlySet<string>, id: string): Set<string> {
  const next = new Set(unread);
  next.add(id);
  return next;
}

export function markRead(unread: ReadonlySet<string>, id: string): Set<string> {
  const next = new Set(unread);
  next.delete(id);
  return next;
}

/**
 * Whether an event about an incident should ring and mark it unread on this device: a new
 * report, or a message posted by someone else (our own reply is not news: we know the
 * message ids we sent, and a carried envelope names its sender device), unless the report
 * is the one on screen.
 */
export function isNews(
  event: { kind: string; targetId: string; message: string | null; senderDevice: string | null },
  own: { device: string | null; sent: ReadonlySet<string> },
  openIncident: string | null,
): boolean {
  if (event.kind !== "incident.reported" && event.kind !== "message.posted") return false;
  if (event.message !== null && own.sent.has(event.message)) return false;
  if (own.device !== null && event.senderDevice === own.device) return false;
  return event.targetId !== openIncident;
}

/** New reports announced within this window are told as one sentence with their count. */
export const ALERT_GROUP_MS = 10000;

export interface AlertTally {
  count: number;
  at: number;
}

/** The burst a new report belongs to: one more in the current one, or a fresh one. */
export function tallyReport(previous: AlertTally | null, now: number): AlertTally {
  return previous && now - previous.at < ALERT_GROUP_MS
    ? { count: previous.count + 1, at: now }
    : { count: 1, at: now };
}

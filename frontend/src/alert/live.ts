/**
 * Which reports the live stream has carried back to this page (`incident.reported` for
 * the shop's own incidents). The event may come before the POST's answer, or while the
 * confirmation screen is on (the home is not mounted): both screens note it here, and the
 * status record asks here when it is written.
 */

import { useStreamEvent } from "../live/browser";
import type { DraftStore } from "./draft";

const seen = new Set<string>();

export function noteLive(incident: string): void {
  seen.add(incident);
  if (seen.size > 200) seen.delete(seen.values().next().value as string);
}

export function wasLive(incident: string): boolean {
  return seen.has(incident);
}

/** Notes every report the stream brings and marks the remembered one; `onChange` re-reads. */
export function useLiveReports(drafts: DraftStore | null, onChange: () => void = () => undefined) {
  useStreamEvent(["incident.reported"], (event) => {
    noteLive(event.targetId);
    if (drafts?.confirm(event.targetId)) onChange();
  });
}

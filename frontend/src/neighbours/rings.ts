/**
 * The sector group keys this page holds, one lifecycle run at a time per scope
 * (broadcasts/groupKeyFlow.ts, parameterised by scope): a merchant receives its own
 * sector's key, an operator device creates, grants and rotates every sector's. Shared by
 * the alert views and `sendNeighbourAlert`, so a page runs each scope's flow once.
 */

import { runGroupKeyFlow, type GroupKeyOutcome, type KeyRing } from "../broadcasts/groupKeyFlow";
import { SECTOR_PREFIX } from "../envelope/groupKey";

export interface HeldScope {
  ring: KeyRing;
  outcome: GroupKeyOutcome;
}

const runs = new Map<string, Promise<HeldScope>>();

export const sectorScope = (sectorId: string): string => `${SECTOR_PREFIX}${sectorId}`;

/** The scope's ring: the last run's, or a new run when `fresh` (or none succeeded yet). */
export function ringFor(commune: string, scope: string, fresh = false): Promise<HeldScope> {
  const key = `${commune}|${scope}`;
  const known = runs.get(key);
  if (known && !fresh) return known;
  const previous = known?.catch(() => undefined) ?? Promise.resolve(undefined);
  const run = previous.then(() => runGroupKeyFlow(commune, scope));
  runs.set(key, run);
  // A failed run is not kept: the next caller tries again.
  run.catch(() => {
    if (runs.get(key) === run) runs.delete(key);
  });
  return run;
}

/** Forget every ring (sign-out, tests). */
export function forgetRings(): void {
  runs.clear();
}

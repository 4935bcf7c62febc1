/**
 * Calls to the « mode crise » endpoints (/api/v1/crisis; docs/architecture.md): the state
 * every member reads, and the police's switch, whose instructions go up as a broadcast
 * sealed to the commune (multipart like POST /broadcasts). Typed, never trusted: the
 * sealed instructions are opened and verified on this device (model.ts).
 */

import { postForm, request } from "../api";
import { normaliseBroadcast, type StoredBroadcast } from "../broadcasts/api";
import type { WireEnvelope } from "../envelope/envelope";

export interface CrisisOut {
  active: boolean;
  startedAt: string | null;
  instructionsChangedAt: string | null;
  endedAt: string | null;
  /** Sealed to the commune: present for the holders of its key (police, shops). */
  instructions: StoredBroadcast | null;
  endMessage: StoredBroadcast | null;
}

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Raw) : {};
const when = (v: unknown): string | null => (typeof v === "string" && v ? v : null);
const sealed = (v: unknown): StoredBroadcast | null =>
  typeof v === "object" && v !== null ? normaliseBroadcast(v) : null;

export function normaliseCrisis(raw: unknown): CrisisOut {
  const r = obj(raw);
  return {
    active: r.active === true,
    startedAt: when(r.started_at),
    instructionsChangedAt: when(r.instructions_changed_at),
    endedAt: when(r.ended_at),
    instructions: sealed(r.instructions),
    endMessage: sealed(r.end_message),
  };
}

export const getCrisis = async (): Promise<CrisisOut> =>
  normaliseCrisis(await request<unknown>("GET", "/crisis"));

export type CrisisSwitch = "start" | "instructions" | "end";

/** Starts, changes the instructions or ends; `envelope` null: an end without message. */
export async function postCrisis(
  action: CrisisSwitch,
  envelope: WireEnvelope | null,
): Promise<CrisisOut> {
  const form = new FormData();
  if (envelope) form.append("envelope", JSON.stringify(envelope));
  return normaliseCrisis(await postForm<unknown>(`/crisis/${action}`, form));
}

/**
 * Calls to the neighbour-alert endpoints (/api/v1/neighbours, docs/decisions.md « Neighbour
 * alerts »). The alert's clear record (who, sector, status, expiry) is the server's; its
 * text is a sector broadcast, opened on this device (envelope/broadcast.ts), never trusted
 * as served. Transport: api.ts.
 */

import { getBytes, postForm, request, seg } from "../api";
import { normaliseBroadcast, type StoredBroadcast } from "../broadcasts/api";
import type { WireEnvelope } from "../envelope/envelope";

export type AlertStatus = "pending" | "active" | "ended";

export interface NeighbourAlert {
  id: string;
  scope: string;
  sector: { id: string; name: string };
  status: AlertStatus;
  sender: { kind: "shop" | "police"; label: string; shop: string | null };
  incident: string | null;
  createdAt: string;
  activatedAt: string | null;
  expiresAt: string | null;
  endedAt: string | null;
  endReason: "operator" | "expired" | null;
  broadcast: StoredBroadcast;
  endMessage: StoredBroadcast | null;
}

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Raw) : {};
const str = (v: unknown): string => (typeof v === "string" ? v : v == null ? "" : String(v));
const optional = (v: unknown): string | null => (v == null || v === "" ? null : str(v));

const STATUSES: readonly AlertStatus[] = ["pending", "active", "ended"];

export function normaliseAlert(raw: unknown): NeighbourAlert {
  const r = obj(raw);
  const sector = obj(r.sector);
  const sender = obj(r.sender);
  const status = STATUSES.includes(r.status as AlertStatus) ? (r.status as AlertStatus) : "active";
  const reason = r.end_reason === "operator" || r.end_reason === "expired" ? r.end_reason : null;
  return {
    id: str(r.id),
    scope: str(r.scope),
    sector: { id: str(sector.id), name: str(sector.name) },
    status,
    sender: {
      kind: sender.kind === "police" ? "police" : "shop",
      label: str(sender.label),
      shop: optional(sender.shop),
    },
    incident: optional(r.incident),
    createdAt: str(r.created_at),
    activatedAt: optional(r.activated_at),
    expiresAt: optional(r.expires_at),
    endedAt: optional(r.ended_at),
    endReason: reason,
    broadcast: normaliseBroadcast(r.broadcast),
    endMessage: r.end_message ? normaliseBroadcast(r.end_message) : null,
  };
}

const BASE = "/neighbours/alerts";

/** Awaiting validation (for the police and the reporting shop) first, then active ones. */
export async function listAlerts(): Promise<NeighbourAlert[]> {
  const raw = await request<unknown>("GET", BASE);
  return Array.isArray(raw) ? raw.map(normaliseAlert) : [];
}

export const getAlert = async (id: string) =>
  normaliseAlert(await request<unknown>("GET", `${BASE}/${seg(id)}`));

function sealedForm(envelope: WireEnvelope, attachments: readonly Uint8Array[]): FormData {
  const form = new FormData();
  form.append("envelope", JSON.stringify(envelope));
  attachments.forEach((bytes, i) => {
    const blob = new Blob([new Uint8Array(bytes)], { type: "application/octet-stream" });
    form.append(`attachment_${i}`, blob, `part-${i + 1}.bin`);
  });
  return form;
}

/** Posts a sealed alert; an identical retry gets the same answer. */
export async function postAlert(
  envelope: WireEnvelope,
  attachments: readonly Uint8Array[],
  incident: string | null,
): Promise<NeighbourAlert> {
  const form = sealedForm(envelope, attachments);
  if (incident) form.append("incident", incident);
  return normaliseAlert(await postForm<unknown>(BASE, form));
}

export const validateAlert = async (id: string) =>
  normaliseAlert(await request<unknown>("POST", `${BASE}/${seg(id)}/validate`, {}));

export const refuseAlert = (id: string) =>
  request<{ id: string; status: "refused" }>("POST", `${BASE}/${seg(id)}/refuse`, {});

/** « Fin d'alerte », optionally with a message sealed to the same sector. */
export async function endAlert(id: string, message: WireEnvelope | null): Promise<NeighbourAlert> {
  const path = `${BASE}/${seg(id)}/end`;
  const raw = message
    ? await postForm<unknown>(path, sealedForm(message, []))
    : await request<unknown>("POST", path, {});
  return normaliseAlert(raw);
}

export const fetchAlertAttachment = (id: string, index: number) =>
  getBytes(`${BASE}/${seg(id)}/attachments/${seg(index)}`);

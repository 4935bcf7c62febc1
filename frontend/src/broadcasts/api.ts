/**
 * Calls to the group-key and broadcast endpoints (/broadcast-contract.md, issue 8 item 6).
 * Every answer is typed, never trusted: generations, grants and broadcasts are verified on
 * this device (envelope/groupKey.ts, envelope/broadcast.ts) before anything is used. A
 * broadcast goes up as multipart like an incident message: the JSON wire object as the
 * `envelope` field, each sealed attachment as `attachment_<i>`. Transport: api.ts.
 */

import { getBytes, postForm, request, seg } from "../api";
import type { WireEnvelope } from "../envelope/envelope";
import type { SignedDocument } from "../trust/chain";

/** A generation as served: the signed body and its signer's chain. */
export interface GenerationOut {
  number: number;
  body: string;
  signature: string;
  chain: unknown;
}

export interface LatestGenerationOut extends GenerationOut {
  rotation_needed: boolean;
  /** Merchant devices entitled today that hold a grant of it (what a broadcast reaches). */
  merchant_holders?: unknown;
}

export interface GroupGrantOut {
  number: number;
  grant: unknown;
  granter_chain: unknown;
}

export interface PendingHolder {
  device: string;
  enc_public_key?: string;
  chain: unknown;
  member?: string;
  role?: string;
}

export interface PendingHoldersOut {
  number: number;
  devices: PendingHolder[];
}

export interface StoredBroadcast {
  broadcast: string;
  scope: string;
  number: number;
  sentAt: number;
  createdAt: string;
  senderDevice: string;
  senderLabel: string;
  /** Kept exactly as served: the opener checks it, the UI never trusts it. */
  envelope: WireEnvelope;
  attachments: { index: number; size: number }[];
}

export interface PostedBroadcast {
  broadcast: string;
  scope: string;
  number: number;
  sentAt: string;
}

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Raw) : {};
const str = (v: unknown): string => (typeof v === "string" ? v : v == null ? "" : String(v));
const num = (v: unknown): number => (typeof v === "number" ? v : Number(v) || 0);

/** `sent_at` may come as seconds or as an ISO date; the header's own value is authoritative. */
function seconds(v: unknown): number {
  if (typeof v === "number") return v;
  const parsed = Date.parse(str(v));
  return Number.isNaN(parsed) ? 0 : Math.floor(parsed / 1000);
}

export function normaliseBroadcast(raw: unknown): StoredBroadcast {
  const r = obj(raw);
  const sender = obj(r.sender);
  const attachments = Array.isArray(r.attachments) ? r.attachments : [];
  return {
    broadcast: str(r.broadcast ?? r.id),
    scope: str(r.scope),
    number: num(r.number),
    sentAt: seconds(r.sent_at),
    createdAt: str(r.created_at),
    senderDevice: str(sender.device ?? r.sender_device),
    senderLabel: str(sender.member_label),
    envelope: r.envelope as WireEnvelope,
    attachments: attachments.map((a) => ({ index: num(obj(a).index), size: num(obj(a).size) })),
  };
}

function normaliseGeneration(raw: unknown): GenerationOut {
  const r = obj(raw);
  return { number: num(r.number), body: str(r.body), signature: str(r.signature), chain: r.chain };
}

const scopePath = (scope: string) => `/group-keys/${seg(scope)}`;

/** The latest generation of `scope` (or generation `number`); 404 `no_group_key` if none. */
export async function getGroupKey(scope: string, number?: number): Promise<LatestGenerationOut> {
  const raw = await request<unknown>(
    "GET",
    number === undefined ? scopePath(scope) : `${scopePath(scope)}?number=${seg(number)}`,
  );
  const r = obj(raw);
  return {
    ...normaliseGeneration(r),
    rotation_needed: r.rotation_needed === true,
    merchant_holders: r.merchant_holders,
  };
}

/** Every generation of `scope`, oldest first (a device verifies 1..n in order). */
export async function getGroupKeyGenerations(scope: string): Promise<GenerationOut[]> {
  const raw = await request<unknown>("GET", `${scopePath(scope)}/generations`);
  const items = Array.isArray(raw) ? raw : obj(raw).generations;
  return Array.isArray(items) ? items.map(normaliseGeneration) : [];
}

export const postGroupKey = (document: SignedDocument, grants: SignedDocument[]) =>
  request<{ number: number; grants: number }>("POST", "/group-keys", { document, grants });

/** This device's grant for generation `number` of `scope`; 404 `no_grant` if none. */
export const getGroupKeyGrant = (scope: string, number: number) =>
  request<GroupGrantOut>("GET", `${scopePath(scope)}/grant?number=${seg(number)}`);

/** Entitled devices of `scope` without a grant for generation `number` (operators). */
export async function getGroupKeyPending(scope: string, number: number): Promise<PendingHoldersOut> {
  const raw = obj(await request<unknown>("GET", `${scopePath(scope)}/pending?number=${seg(number)}`));
  const devices = Array.isArray(raw.devices) ? raw.devices : [];
  return {
    number: num(raw.number),
    devices: devices.map((d) => {
      const r = obj(d);
      return {
        device: str(r.device),
        enc_public_key: str(r.enc_public_key),
        chain: r.chain,
        member: str(r.member),
        role: str(r.role),
      };
    }),
  };
}

export const postGroupKeyGrants = (grants: SignedDocument[]) =>
  request<{ number: number; grants: number }>("POST", "/group-keys/grants", { grants });

/** Posts a sealed broadcast; a retry with identical bytes gets the same answer. */
export async function postBroadcast(
  envelope: WireEnvelope,
  attachments: Uint8Array[],
): Promise<PostedBroadcast> {
  const form = new FormData();
  form.append("envelope", JSON.stringify(envelope));
  attachments.forEach((bytes, i) => {
    const blob = new Blob([new Uint8Array(bytes)], { type: "application/octet-stream" });
    form.append(`attachment_${i}`, blob, `part-${i + 1}.bin`);
  });
  const r = obj(await postForm<unknown>("/broadcasts", form));
  return {
    broadcast: str(r.broadcast),
    scope: str(r.scope),
    number: num(r.number),
    sentAt: str(r.sent_at),
  };
}

/** The scope's broadcasts visible to this device, newest first. */
export async function listBroadcasts(scope: string, limit = 50): Promise<StoredBroadcast[]> {
  const query = new URLSearchParams({ scope, limit: String(limit) });
  const raw = await request<unknown>("GET", `/broadcasts?${query}`);
  const items = Array.isArray(raw) ? raw : (obj(raw).items ?? obj(raw).broadcasts);
  return Array.isArray(items) ? items.map(normaliseBroadcast) : [];
}

/** One sealed attachment's bytes, `index` as the listing gives it. */
export const fetchBroadcastAttachment = (broadcast: string, index: number) =>
  getBytes(`/broadcasts/${seg(broadcast)}/attachments/${seg(index)}`);

/**
 * The Web Push endpoints (/api/v1/push, docs/decisions.md « Web Push »): this device's own
 * subscriptions (the server's key, made with consent, withdrawn), and for the police and
 * the coordinator how each certified device can be reached now and the delivery attempt
 * log. Answers are read defensively here, so pages only see these shapes.
 */

import { request, seg } from "../api";

/** One certified device and its channels (push/channels.py `DeviceChannels`). */
export interface DeviceChannel {
  device: string;
  member: string;
  name: string;
  role: string;
  shop: string | null;
  reachable: boolean;
  /** Live (not disabled) push subscriptions. */
  pushLive: number;
  /** A live subscription whose last try did not fail (or was never tried). */
  pushWorking: boolean;
  /** Why the last subscription was disabled, when none is live (`withdrawn`, `HTTP 410…`). */
  pushDisabledReason: string | null;
  lastPushSuccess: string | null;
  lastPushFailure: string | null;
  /** A police device with its live stream open now. */
  streamConnected: boolean;
}

export interface Channels {
  devices: DeviceChannel[];
  unreachable: number;
}

/** One try of one transport for one device (push.Attempt). */
export interface DeliveryAttempt {
  at: string;
  transport: string;
  device: string;
  seq: number;
  /** 1 for the first try. */
  number: number;
  /** `ok`, `temporary` or `permanent`. */
  result: string;
  /** The push service's HTTP status; null when it did not answer. */
  status: number | null;
  durationMs: number;
  detail: string;
}

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Raw) : {};
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const strOrNull = (v: unknown): string | null => (typeof v === "string" && v ? v : null);
const int = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A missing or odd field reads as « not reachable »: the safe side is to show the device. */
export function normaliseChannel(raw: unknown): DeviceChannel {
  const r = obj(raw);
  return {
    device: str(r.device),
    member: str(r.member),
    name: str(r.name),
    role: str(r.role),
    shop: strOrNull(r.shop),
    reachable: r.reachable === true,
    pushLive: int(r.push_live),
    pushWorking: r.push_working === true,
    pushDisabledReason: strOrNull(r.push_disabled_reason),
    lastPushSuccess: strOrNull(r.last_push_success),
    lastPushFailure: strOrNull(r.last_push_failure),
    streamConnected: r.stream_connected === true,
  };
}

export function normaliseChannels(raw: unknown): Channels {
  const r = obj(raw);
  const devices = list(r.devices)
    .map(normaliseChannel)
    .filter((d) => d.device);
  return { devices, unreachable: devices.filter((d) => !d.reachable).length };
}

export function normaliseAttempt(raw: unknown): DeliveryAttempt {
  const r = obj(raw);
  return {
    at: str(r.at),
    transport: str(r.transport),
    device: str(r.device),
    seq: int(r.seq),
    number: int(r.number),
    result: str(r.result),
    status: typeof r.status === "number" ? r.status : null,
    durationMs: int(r.duration_ms),
    detail: str(r.detail),
  };
}

export async function getChannels(): Promise<Channels> {
  return normaliseChannels(await request("GET", "/push/channels"));
}

/** The last 100 attempts, of one device when given. */
export async function getAttempts(device?: string): Promise<DeliveryAttempt[]> {
  const query = device ? `?${new URLSearchParams({ device })}` : "";
  return list(await request("GET", `/push/attempts${query}`)).map(normaliseAttempt);
}

/** One push subscription of this device, as the server keeps it (push.PushSubscription). */
export interface DeviceSubscription {
  id: string;
  /** The push service's host, never the whole endpoint. */
  service: string;
  consentedAt: string;
  disabledAt: string | null;
  /** `withdrawn` (the user said no more), `replaced`, `HTTP 410…`; empty while live. */
  disabledReason: string;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
}

/** What the browser's PushSubscription.toJSON() gives, as the server takes it. */
export interface BrowserSubscriptionJson {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export function normaliseSubscription(raw: unknown): DeviceSubscription {
  const r = obj(raw);
  return {
    id: str(r.id),
    service: str(r.service),
    consentedAt: str(r.consented_at),
    disabledAt: strOrNull(r.disabled_at),
    disabledReason: str(r.disabled_reason),
    lastSuccessAt: strOrNull(r.last_success_at),
    lastFailureAt: strOrNull(r.last_failure_at),
  };
}

/** The VAPID public key (base64url) the browser subscribes with. */
export async function getPushKey(): Promise<string> {
  return str(obj(await request("GET", "/push/key")).application_server_key);
}

/** This device's subscriptions, newest first, live and disabled (at most 20). */
export async function getDeviceSubscriptions(): Promise<DeviceSubscription[]> {
  return list(await request("GET", "/push/subscriptions"))
    .map(normaliseSubscription)
    .filter((row) => row.id);
}

/** Only called after the person ticked the consent on this device (or gave it before). */
export async function postDeviceSubscription(
  subscription: BrowserSubscriptionJson,
): Promise<DeviceSubscription> {
  const body = { endpoint: subscription.endpoint, keys: subscription.keys, consent: true };
  return normaliseSubscription(await request("POST", "/push/subscriptions", body));
}

/** Withdraws one subscription of this device (disabled, reason `withdrawn`). */
export async function deleteDeviceSubscription(id: string): Promise<DeviceSubscription> {
  return normaliseSubscription(await request("DELETE", `/push/subscriptions/${seg(id)}`));
}

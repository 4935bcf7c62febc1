/**
 * The Web Push endpoints the police and the coordinator read (/api/v1/push,
 * docs/decisions.md « Web Push »): how each certified device can be reached now, and the
 * delivery attempt log. Answers are read defensively here, so pages only see these shapes.
 */

import { request } from "../api";

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

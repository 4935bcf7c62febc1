/**
 * Calls to the incidents endpoints. Sealed envelopes go up as multipart (the JSON wire
 * envelope as a form field, each sealed attachment as a file) because attachments are raw
 * bytes of up to 3 MiB; everything else goes through api.ts. The server only ever sees
 * sealed bytes here.
 */

import {
  API_BASE,
  api,
  ApiError,
  CSRF_COOKIE,
  CSRF_HEADER,
  parseApiError,
  readCookie,
} from "../api";
import type { WireEnvelope } from "../envelope/envelope";
import { t } from "../i18n";

export interface IncidentSummary {
  id: string;
  commune: string;
  shop: { id: string; enseigne: string };
  reportedBy: string;
  createdAt: string;
  messages: number;
}

export interface StoredMessage {
  id: string;
  senderDevice: string;
  sentAt: number;
  receivedAt: string;
  attachments: { index: number; size: number }[];
  envelope: WireEnvelope;
}

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Raw) : {};
const str = (v: unknown): string => (typeof v === "string" ? v : v == null ? "" : String(v));
const num = (v: unknown): number => (typeof v === "number" ? v : Number(v) || 0);

export function normaliseIncident(raw: unknown): IncidentSummary {
  const r = obj(raw);
  const shop = obj(r.shop);
  return {
    id: str(r.id ?? r.public_id),
    commune: str(r.commune),
    shop: { id: str(shop.id ?? shop.public_id), enseigne: str(shop.enseigne) },
    reportedBy: str(r.reported_by),
    createdAt: str(r.created_at),
    messages: num(r.messages),
  };
}

export function normaliseMessage(raw: unknown): StoredMessage {
  const r = obj(raw);
  const attachments = Array.isArray(r.attachments) ? r.attachments : [];
  return {
    id: str(r.id ?? r.public_id),
    senderDevice: str(r.sender_device),
    sentAt: num(r.sent_at),
    receivedAt: str(r.received_at),
    attachments: attachments.map((a) => ({ index: num(obj(a).index), size: num(obj(a).size) })),
    // Kept exactly as served: the opener checks it, the UI never trusts it.
    envelope: r.envelope as WireEnvelope,
  };
}

/** POST a multipart form with the session cookie and CSRF header; errors as ApiError. */
async function postForm<T>(path: string, form: FormData): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = readCookie(CSRF_COOKIE, document.cookie);
  if (token) headers[CSRF_HEADER] = token;
  let response: Response;
  try {
    response = await fetch(API_BASE + path, {
      method: "POST",
      headers,
      credentials: "same-origin",
      body: form,
    });
  } catch {
    throw parseApiError(0, null);
  }
  const text = await response.text();
  if (!response.ok) throw parseApiError(response.status, text);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(response.status, "bad_response", t("error.bad_response", {}, "fr"));
  }
}

function envelopeForm(envelope: WireEnvelope, attachments: Uint8Array[]): FormData {
  const form = new FormData();
  form.append("envelope", JSON.stringify(envelope));
  attachments.forEach((bytes, i) => {
    const blob = new Blob([new Uint8Array(bytes)], { type: "application/octet-stream" });
    form.append("attachments", blob, `part-${i + 1}.bin`);
  });
  return form;
}

/** Creates the incident and its first sealed message; a retry with identical bytes is safe. */
export async function postReport(
  incident: string,
  envelope: WireEnvelope,
  attachments: Uint8Array[],
): Promise<{ incident: IncidentSummary; message: StoredMessage }> {
  const form = envelopeForm(envelope, attachments);
  form.append("incident", incident);
  const raw = await postForm<Raw>("/incidents", form);
  return { incident: normaliseIncident(raw.incident), message: normaliseMessage(raw.message) };
}

export async function postMessage(
  incident: string,
  envelope: WireEnvelope,
  attachments: Uint8Array[],
): Promise<StoredMessage> {
  const raw = await postForm<Raw>(
    `/incidents/${encodeURIComponent(incident)}/messages`,
    envelopeForm(envelope, attachments),
  );
  return normaliseMessage(raw.message);
}

export async function listIncidents(): Promise<IncidentSummary[]> {
  const raw = await api.get<unknown>("/incidents");
  const items = Array.isArray(raw) ? raw : (obj(raw).items ?? obj(raw).incidents);
  return Array.isArray(items) ? items.map(normaliseIncident) : [];
}

export async function listMessages(incident: string): Promise<StoredMessage[]> {
  const raw = await api.get<unknown>(`/incidents/${encodeURIComponent(incident)}/messages`);
  const items = Array.isArray(raw) ? raw : (obj(raw).items ?? obj(raw).messages);
  return Array.isArray(items) ? items.map(normaliseMessage) : [];
}

/** One sealed attachment's bytes; `index` is 1-based as in the spec's part numbering. */
export async function fetchAttachment(
  incident: string,
  message: string,
  index: number,
): Promise<Uint8Array> {
  const path =
    `/incidents/${encodeURIComponent(incident)}/messages/` +
    `${encodeURIComponent(message)}/attachments/${index}`;
  let response: Response;
  try {
    response = await fetch(API_BASE + path, { credentials: "same-origin" });
  } catch {
    throw parseApiError(0, null);
  }
  if (!response.ok) throw parseApiError(response.status, await response.text());
  return new Uint8Array(await response.arrayBuffer());
}

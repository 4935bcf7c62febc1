/**
 * What a push becomes on a locked phone: the payload the server sends (src/maillage/push/
 * payload.py) read defensively, and the notification made of it — the step or alert with
 * the category as title, the shop or « Police municipale » and the sector, then the
 * opened text cut to 140 characters. Pure: the service worker (sw/push.ts) opens the
 * envelope and shows the result; Vitest checks the wording.
 */

import { hasMessage, t, type Lang } from "../i18n";

export const PUSH_TYPE = "maillage.push";
export const TEXT_LIMIT = 140;

export interface PushPayload {
  seq: number;
  kind: string;
  at: string;
  incident: string | null;
  category: string | null;
  from: string | null;
  sector: string | null;
  /** The message's, broadcast's or alert's id, when this device is a recipient. */
  ref: string | null;
  /** The event's sealed copy, as the stream sends it; null when left out. */
  sealed: unknown;
  /** Too big for a push: the service worker fetches the sealed copy by `ref`. */
  fetch: boolean;
}

export interface Notice {
  title: string;
  body: string;
  /** One notification per incident (or alert): a later step replaces the earlier one. */
  tag: string;
  /** The page a tap opens. */
  url: string;
  urgent: boolean;
  lang: Lang;
}

type Raw = Record<string, unknown>;
const text = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/** The payload, or null for anything else (another sender, a newer format). */
export function parsePushPayload(raw: unknown): PushPayload | null {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return null;
  const r = raw as Raw;
  if (r.type !== PUSH_TYPE || r.v !== 1 || typeof r.kind !== "string") return null;
  return {
    seq: typeof r.seq === "number" ? r.seq : 0,
    kind: r.kind,
    at: text(r.at) ?? "",
    incident: text(r.incident),
    category: text(r.category),
    from: text(r.from),
    sector: text(r.sector),
    ref: text(r.ref),
    sealed: r.sealed ?? null,
    fetch: r.fetch === true,
  };
}

/** Bytes as the payload, or null when they are not our JSON. */
export function decodePushData(data: { text(): string } | null): PushPayload | null {
  if (!data) return null;
  try {
    return parsePushPayload(JSON.parse(data.text()));
  } catch {
    return null;
  }
}

const URGENT = new Set([
  "incident.reported",
  "incident.escalated",
  "incident.dispatched",
  "neighbour_alert.submitted",
  "neighbour_alert.sent",
  "neighbour_alert.validated",
  "crisis.started",
]);

/** At most `limit` characters, whitespace folded, cut on a word when one is near. */
export function clip(value: string, limit = TEXT_LIMIT): string {
  const folded = value.replace(/\s+/g, " ").trim();
  if (folded.length <= limit) return folded;
  const cut = folded.slice(0, limit - 1);
  const space = cut.lastIndexOf(" ");
  return `${(space > limit * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** The page that shows the pushed event to this role. */
export function pageFor(payload: PushPayload, role: string | null): string {
  const incident = payload.incident ? encodeURIComponent(payload.incident) : null;
  if (role === "operateur") return incident ? `/incidents/${incident}` : "/console";
  if (role === "agent") return incident ? `/agent/${incident}` : "/agent";
  return "/";
}

function kindLabel(kind: string, lang: Lang): string {
  const key = `push.notice.kind.${kind}`;
  return t(hasMessage(key) ? key : "push.notice.kind.other", {}, lang);
}

/**
 * The notification: `opened` is the envelope's text when this device opened it, null
 * when it could not (no key yet, signed out, offline), then the metadata alone shows.
 */
export function noticeFor(
  payload: PushPayload,
  opened: string | null,
  role: string | null,
  lang: Lang,
): Notice {
  const kind = kindLabel(payload.kind, lang);
  const title = payload.category
    ? t("push.notice.titleWith", { kind, category: payload.category }, lang)
    : kind;
  const who = [payload.from, payload.sector].filter((part): part is string => !!part);
  const lines = [who.join(" · ")];
  if (opened !== null && opened.trim() !== "") lines.push(clip(opened));
  else if (payload.ref) lines.push(t("push.notice.openToRead", {}, lang));
  return {
    title,
    body: lines.filter((line) => line !== "").join("\n"),
    tag: payload.incident ?? payload.ref ?? `event-${payload.seq}`,
    url: pageFor(payload, role),
    urgent: URGENT.has(payload.kind),
    lang,
  };
}

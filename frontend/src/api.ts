/**
 * The one way the app talks to the server: /api/v1 with the session cookie, the CSRF header
 * on unsafe methods, and every refusal turned into a typed ApiError {status, code, message,
 * field} whose message is French (the server writes French; fallbacks come from the catalogue).
 *
 * `request` is the transport; only the typed endpoint functions call it (here for the
 * session, sign-in, enrolment, demo and trust endpoints; coordination/api.ts and
 * incidents/api.ts for theirs). Pages and flows call those functions, never a path.
 */

import { getLang, hasMessage, t, type MessageKey } from "./i18n";
import { createStore } from "./store";
import type { SignedDocument } from "./trust/chain";
import { normaliseSession, type Session } from "./types";

export const API_BASE = "/api/v1";
export const CSRF_COOKIE = "maillage_csrf";
export const CSRF_HEADER = "X-CSRFToken";

export interface ApiErrorDetail {
  field: string | null;
  type?: string | null;
  msg?: string | null;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;
  readonly details: ApiErrorDetail[];
  /** The refusal's parsed JSON body, for the answers that carry more (an import's lines). */
  readonly body: unknown;

  constructor(
    status: number,
    code: string,
    message: string,
    field: string | null = null,
    details: ApiErrorDetail[] = [],
    body: unknown = null,
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.details = details;
    this.body = body;
  }
}

const STATUS_CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthenticated",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  410: "gone",
  422: "invalid",
  429: "rate_limited",
};

function fallbackCode(status: number): string {
  if (status === 0) return "network";
  return STATUS_CODES[status] ?? (status >= 500 ? "server_error" : "error");
}

/** The French sentence for a code when the server gave none (never shown raw). */
function fallbackMessage(code: string): string {
  const key = `error.${code}`;
  return hasMessage(key) ? t(key as MessageKey, {}, "fr") : t("error.generic", {}, "fr");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Turns any error response body (structured, Ninja's default, HTML, empty) into an ApiError. */
export function parseApiError(status: number, body: unknown): ApiError {
  let code = fallbackCode(status);
  let message = "";
  let field: string | null = null;
  let details: ApiErrorDetail[] = [];
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      body = null;
    }
  }
  if (isRecord(body)) {
    if (typeof body.code === "string" && body.code) code = body.code;
    if (typeof body.message === "string") message = body.message.trim();
    else if (typeof body.detail === "string") message = body.detail.trim();
    if (typeof body.field === "string" && body.field) field = body.field;
    if (Array.isArray(body.details)) {
      details = body.details.filter(isRecord).map((d) => ({
        field: typeof d.field === "string" ? d.field : null,
        type: typeof d.type === "string" ? d.type : null,
        msg: typeof d.msg === "string" ? d.msg : null,
      }));
    }
  }
  if (!message) message = fallbackMessage(code);
  return new ApiError(status, code, message, field, details, isRecord(body) ? body : null);
}

/** The error to show: the catalogue's sentence for known codes outside French, else the server's. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const key = `error.${error.code}`;
    if (hasMessage(key) && getLang() !== "fr") return t(key as MessageKey);
    return error.message;
  }
  if (error instanceof Error && error.message) return error.message;
  return t("error.generic");
}

export function readCookie(name: string, cookies: string): string | null {
  for (const part of cookies.split(";")) {
    const [rawKey, ...rest] = part.trim().split("=");
    if (rawKey === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/** The last 401 of a signed-in request: the session ended on the server (session.ts listens). */
export const unauthenticated = createStore<ApiError | null>(null);

/**
 * Counts the sessions this page has held (session.ts bumps it on each sign-in and sign-out).
 * A request sent under the previous one answers for it: its 401 says nothing of the new.
 */
let sessionEpoch = 0;
export function sessionChanged(): void {
  sessionEpoch += 1;
}
export const currentSessionEpoch = (): number => sessionEpoch;

export interface RequestOptions {
  /** Do not broadcast a 401 (sign-in attempts, the session probe itself). */
  quiet401?: boolean;
  signal?: AbortSignal;
}

type Body = { json: unknown } | { form: FormData } | null;

async function send(
  method: string,
  path: string,
  body: Body,
  options: RequestOptions,
): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body && "json" in body) headers["Content-Type"] = "application/json";
  if (!["GET", "HEAD", "OPTIONS"].includes(method)) {
    const token = readCookie(CSRF_COOKIE, document.cookie);
    if (token) headers[CSRF_HEADER] = token;
  }
  const epoch = sessionEpoch;
  let response: Response;
  try {
    response = await fetch(API_BASE + path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === null ? undefined : "json" in body ? JSON.stringify(body.json) : body.form,
      signal: options.signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
    throw new ApiError(0, "network", fallbackMessage("network"));
  }
  if (!response.ok) {
    const error = parseApiError(response.status, await response.text());
    if (response.status === 401 && !options.quiet401 && epoch === sessionEpoch) {
      unauthenticated.set(error);
    }
    throw error;
  }
  return response;
}

/** A JSON call: the body (if any) as JSON, the answer parsed (undefined when empty). */
export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const response = await send(
    method,
    path,
    body === undefined ? null : { json: body },
    options,
  );
  return parseJson<T>(response);
}

/** A multipart POST (sealed attachments are raw bytes); the answer parsed as JSON. */
export async function postForm<T>(path: string, form: FormData): Promise<T> {
  return parseJson<T>(await send("POST", path, { form }, {}));
}

/** A GET whose answer is raw bytes (a sealed attachment). */
export async function getBytes(path: string): Promise<Uint8Array> {
  const response = await send("GET", path, null, {});
  return new Uint8Array(await response.arrayBuffer());
}

async function parseJson<T>(response: Response): Promise<T> {
  const text = await response.text();
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(response.status, "bad_response", fallbackMessage("bad_response"));
  }
}

/** One path segment, escaped: ids come from the server or the URL, never trusted as paths. */
export const seg = (value: string | number): string => encodeURIComponent(String(value));

const QUIET: RequestOptions = { quiet401: true };

/* ------------------------------------------------------------- meta and session ---- */

export interface Meta {
  version: string;
  demo_mode: boolean;
  languages: string[];
  /** The console map's tile source (MAILLAGE_MAP_TILE_URL); empty: a plain background. */
  map?: { tile_url: string; attribution: string };
}

export const getMeta = () => request<Meta>("GET", "/meta");

/** The commune's sectors (with outlines) and shops, as served; police/map.ts reads them. */
export async function getTerritoryMap(): Promise<{ sectors: unknown; shops: unknown }> {
  const [sectors, shops] = await Promise.all([
    request<unknown>("GET", "/territory/sectors"),
    request<unknown>("GET", "/territory/shops"),
  ]);
  return { sectors, shops };
}

/** Sign-in answers wrap the session or are the session; both become a Session. */
const asSession = (raw: unknown): Session => {
  const wrapped = (raw as { session?: unknown } | null)?.session;
  return normaliseSession(wrapped ?? raw);
};

export const requestSession = async (): Promise<Session> =>
  asSession(await request("GET", "/session", undefined, QUIET));

export const postLogout = () => request<void>("POST", "/session/logout", {}, QUIET);

/** WebAuthn request options, handed as they are to navigator.credentials.get. */
export const postPasskeyOptions = () =>
  request<unknown>("POST", "/auth/passkey/options", {}, QUIET);

export const postPasskeyVerify = async (credential: unknown, device: string | null) =>
  asSession(await request("POST", "/auth/passkey/verify", { credential, device }, QUIET));

/* ------------------------------------------------------------------ enrolment ---- */

export interface DeviceKeysIn {
  label: string;
  enc_key: string;
  sign_key: string;
}

/** POST /enrolment/open: the invitation as the server describes it; the caller checks the root. */
export type EnrolmentOut = {
  commune: unknown;
  role: string;
  role_label: string;
  display_name: string;
  shop: unknown;
  charter: { version: number; text: string; published_at: string };
  root: RootOut;
  expires_at: string;
};

export const postEnrolmentOpen = (token: string) =>
  request<EnrolmentOut>("POST", "/enrolment/open", { token }, QUIET);

/** WebAuthn creation options, handed as they are to navigator.credentials.create. */
export const postEnrolmentPasskeyOptions = (token: string) =>
  request<unknown>("POST", "/enrolment/passkey-options", { token }, QUIET);

export const postEnrolmentComplete = async (payload: {
  token: string;
  charter_version: number;
  credential: unknown;
  device: DeviceKeysIn;
}) => asSession(await request("POST", "/enrolment/complete", payload, QUIET));

/** POST /devices: this browser's public keys; the new device's id. */
export const postDevice = async (keys: DeviceKeysIn): Promise<string> => {
  const raw = await request<{ id?: string; public_id?: string }>("POST", "/devices", keys);
  return String(raw?.public_id ?? raw?.id ?? "");
};

/* ----------------------------------------------------------------------- demo ---- */

export type DemoMemberOut = {
  id: string;
  display_name: string;
  role: string;
  role_label: string;
  /** The shop's enseigne. */
  shop: string | null;
};

export const getDemoMembers = () => request<DemoMemberOut[]>("GET", "/demo/members");

export const postDemoLogin = async (member: string, device: DeviceKeysIn) =>
  asSession(await request("POST", "/demo/login", { member, device }, QUIET));

/* ---------------------------------------------------------------------- trust ---- */
// Every answer below is verified by the caller (trust/chain.ts, envelope/): typed, not trusted.

export interface RootOut {
  public_key: string;
  fingerprint: string;
}

export interface SignedWithChain {
  body: string;
  signature: string;
  chain: SignedDocument[];
}

export interface RevocationListOut extends SignedWithChain {
  number: number;
}

export interface DirectoryDevice {
  device: string;
  chain: unknown;
}

export interface KeyDirectoryOut {
  purpose: "incident" | "report" | "sector";
  shop: string | null;
  revocations: RevocationListOut;
  devices: DirectoryDevice[];
  service_key: SignedWithChain | null;
}

export interface RevocationDraftOut {
  needed: boolean;
  number: number;
  body: string;
  withdrawals: { serial: string; device: string; reason: string }[];
}

export interface ServiceKeyOut extends SignedWithChain {
  number: number;
  rotation_needed: boolean;
}

export interface GrantOut {
  number: number;
  grant: unknown;
  granter_chain: unknown;
}

export interface PendingGrantsOut {
  number: number;
  devices: DirectoryDevice[];
}

export const getRoot = () => request<RootOut>("GET", "/trust/root");

/** A device's chain, leaf first (the endpoint answers `{device, status, chain}`). */
export const getDeviceChain = async (device: string): Promise<unknown> => {
  const raw = await request<unknown>("GET", `/trust/devices/${seg(device)}/chain`);
  return Array.isArray(raw) ? raw : ((raw as { chain?: unknown } | null)?.chain ?? []);
};

export const getRevocations = () => request<RevocationListOut>("GET", "/trust/revocations");

export type DraftQuery = { member: string; action: "suspend" | "revoke" } | { device: string };

export const getRevocationDraft = (query: DraftQuery) =>
  request<RevocationDraftOut>(
    "GET",
    `/trust/revocations/draft?${new URLSearchParams(query as Record<string, string>)}`,
  );

/** Without `incident`: a new report by this shop; with it: a message in that incident. */
export const getRecipients = (incident?: string) =>
  request<KeyDirectoryOut>(
    "GET",
    incident === undefined ? "/trust/recipients" : `/trust/recipients?incident=${seg(incident)}`,
  );

/** The latest police service key generation, or generation `number`. */
export const getServiceKey = (number?: number) =>
  request<ServiceKeyOut>(
    "GET",
    number === undefined ? "/trust/service-key" : `/trust/service-key?number=${seg(number)}`,
  );

export const postServiceKey = (document: SignedDocument, grants: SignedDocument[]) =>
  request<{ number: number; grants: number }>("POST", "/trust/service-keys", {
    document,
    grants,
  });

export const getServiceKeyGrant = (number: number) =>
  request<GrantOut>("GET", `/trust/service-key/grant?number=${seg(number)}`);

export const getServiceKeyPending = (number: number) =>
  request<PendingGrantsOut>("GET", `/trust/service-key/pending?number=${seg(number)}`);

export const postServiceKeyGrants = (grants: SignedDocument[]) =>
  request<{ number: number; grants: number }>("POST", "/trust/service-key/grants", { grants });

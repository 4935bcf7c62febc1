/**
 * The one way the app talks to the server: /api/v1 with the session cookie, the CSRF header
 * on unsafe methods, and every refusal turned into a typed ApiError {status, code, message,
 * field} whose message is French (the server writes French; fallbacks come from the catalogue).
 */

import { getLang, hasMessage, t, type MessageKey } from "./i18n";

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

  constructor(
    status: number,
    code: string,
    message: string,
    field: string | null = null,
    details: ApiErrorDetail[] = [],
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.details = details;
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
  return new ApiError(status, code, message, field, details);
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

type Listener = (error: ApiError) => void;
const unauthenticatedListeners = new Set<Listener>();

/** Called when a signed-in request comes back 401: the session ended on the server. */
export function onUnauthenticated(listener: Listener): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

export interface RequestOptions {
  /** Do not broadcast a 401 (sign-in attempts, the session probe itself). */
  quiet401?: boolean;
  signal?: AbortSignal;
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (!["GET", "HEAD", "OPTIONS"].includes(method)) {
    const token = readCookie(CSRF_COOKIE, document.cookie);
    if (token) headers[CSRF_HEADER] = token;
  }
  let response: Response;
  try {
    response = await fetch(API_BASE + path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: options.signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
    throw new ApiError(0, "network", fallbackMessage("network"));
  }
  const text = await response.text();
  if (!response.ok) {
    const error = parseApiError(response.status, text);
    if (response.status === 401 && !options.quiet401) {
      for (const listener of unauthenticatedListeners) listener(error);
    }
    throw error;
  }
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(response.status, "bad_response", fallbackMessage("bad_response"));
  }
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>("GET", path, undefined, options),
  post: <T>(path: string, body: unknown = {}, options?: RequestOptions) =>
    request<T>("POST", path, body, options),
  delete: <T>(path: string, options?: RequestOptions) =>
    request<T>("DELETE", path, undefined, options),
};

/**
 * What the service worker does with each request, as a pure rule (Vitest checks it): the
 * API is never answered nor cached here (content and session data stay out of Cache
 * Storage); a page is asked of the network first, the shell page kept as its offline
 * answer; the build's hashed files come from the cache. Everything else passes through.
 */

export type Strategy = "shell" | "precached" | "network";

/** The parts of a Request the rule reads (a plain object in tests). */
export interface RequestFacts {
  url: string;
  method: string;
  mode: string;
}

export const CACHE_PREFIX = "maillage-shell-";

export const cacheName = (version: string): string => `${CACHE_PREFIX}${version}`;

/** A shell cache of another version: dropped once this one is active. */
export const isOldShellCache = (name: string, current: string): boolean =>
  name.startsWith(CACHE_PREFIX) && name !== current;

export const isApi = (pathname: string): boolean =>
  pathname === "/api" || pathname.startsWith("/api/");

// What the server answers at these paths is not the shell page (maillage/urls.py).
const SERVER_PATHS = new Set(["/healthz", "/sw.js", "/manifest.webmanifest"]);

/** Whether the server answers this path with the shell page (its catch-all route). */
export const isShellPath = (pathname: string): boolean =>
  !isApi(pathname) && !pathname.startsWith("/static/") && !SERVER_PATHS.has(pathname);

export function strategyFor(
  request: RequestFacts,
  origin: string,
  precached: ReadonlySet<string>,
): Strategy {
  if (request.method !== "GET") return "network";
  const url = new URL(request.url);
  if (url.origin !== origin || isApi(url.pathname)) return "network";
  if (request.mode === "navigate") return isShellPath(url.pathname) ? "shell" : "network";
  return precached.has(url.pathname + url.search) ? "precached" : "network";
}

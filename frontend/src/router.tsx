/** A small router on the history API: paths in, one page out; links stay real <a href>. */

import type { AnchorHTMLAttributes, ComponentChildren, TargetedMouseEvent, VNode } from "preact";
import { createStore, useStore } from "./store";

export function currentPath(): string {
  return window.location.pathname.replace(/\/+$/, "") || "/";
}

/** The path shown in the address bar; navigation and the back button write it. */
export const pathStore = createStore<string>(
  typeof window === "undefined" ? "/" : currentPath(),
);

if (typeof window !== "undefined") {
  window.addEventListener("popstate", () => pathStore.set(currentPath()));
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  window.scrollTo(0, 0);
  pathStore.set(currentPath());
}

export function useRoute(): string {
  return useStore(pathStore);
}

/* ------------------------------------------------------------ parameterised routes ---- */

/** `"/incidents/:id"` → `{ id: string }`; a pattern without `:name` segments → `{}`. */
export type RouteParams<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? { [K in Name]: string } & RouteParams<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? { [K in Name]: string }
    : Record<never, never>;

const segments = (path: string): string[] => path.split("/").filter(Boolean);

/**
 * The params of `path` under `pattern`, or null when it does not match. A parameter is one
 * whole, non-empty segment, percent-decoded; a malformed escape matches nothing.
 */
export function matchPath<P extends string>(pattern: P, path: string): RouteParams<P> | null {
  const want = segments(pattern);
  const got = segments(path);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(":")) {
      let value: string;
      try {
        value = decodeURIComponent(got[i]);
      } catch {
        return null;
      }
      if (!value) return null;
      params[want[i].slice(1)] = value;
    } else if (want[i] !== got[i]) {
      return null;
    }
  }
  return params as RouteParams<P>;
}

/** The path for `pattern` with its params filled in and escaped: the inverse of matchPath. */
export function buildPath<P extends string>(pattern: P, params: RouteParams<P>): string {
  const values = params as Record<string, string>;
  const path = segments(pattern)
    .map((part) => (part.startsWith(":") ? encodeURIComponent(values[part.slice(1)]) : part))
    .join("/");
  return `/${path}`;
}

export interface Route {
  pattern: string;
  /** Routes sharing a page keep focus where the page puts it when moving between them. */
  page: string;
  render: (params: Record<string, string>) => VNode;
}

/** One route; `render` receives the params typed from the pattern itself. */
export function route<P extends string>(
  pattern: P,
  render: (params: RouteParams<P>) => VNode,
  page: string = pattern,
): Route {
  return { pattern, page, render: render as (params: Record<string, string>) => VNode };
}

/** The first route matching `path`, with its params; null when none does. */
export function resolveRoute(
  routes: readonly Route[],
  path: string,
): { route: Route; params: Record<string, string> } | null {
  for (const candidate of routes) {
    const params = matchPath(candidate.pattern, path);
    if (params) return { route: candidate, params };
  }
  return null;
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & {
  href: string;
  children?: ComponentChildren;
};

export function Link({ href, children, onClick, ...rest }: LinkProps) {
  const handle = (event: TargetedMouseEvent<HTMLAnchorElement>) => {
    if (onClick) (onClick as (e: typeof event) => void)(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey ||
      !href.startsWith("/")
    )
      return;
    event.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={handle} {...rest}>
      {children}
    </a>
  );
}

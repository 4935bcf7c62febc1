/**
 * The installed app opens at the manifest's start URL, `/?source=pwa`, for every role (one
 * manifest per origin; docs/decisions.md, « Installable app (PWA) »). Once the session is
 * known, such a launch goes to the member's own workspace: the console, the agent's page,
 * coordination, or the shop's home.
 */

import { useEffect } from "preact/hooks";
import { homeKind } from "../permissions";
import { currentPath, navigate } from "../router";
import type { Session } from "../types";

export const isAppLaunch = (search: string): boolean =>
  new URLSearchParams(search).get("source") === "pwa";

/** Where a launch lands: a workspace once the member and the device are approved. */
export function launchPath(session: Session): string {
  if (!session.authenticated || session.membership?.status !== "active") return "/";
  if (session.device?.status !== "active") return "/";
  switch (homeKind(session)) {
    case "operator":
      return "/console";
    case "agent":
      return "/agent";
    case "coordinator":
      return "/coordination";
    default:
      return "/";
  }
}

let pending = typeof window !== "undefined" && isAppLaunch(window.location.search);

/** In the shell: on the first session answer of a launch, replace `/?source=pwa`. */
export function useLaunchRoute(session: Session | null): void {
  useEffect(() => {
    if (!pending || !session) return;
    pending = false;
    if (currentPath() === "/") navigate(launchPath(session), { replace: true });
  }, [session]);
}

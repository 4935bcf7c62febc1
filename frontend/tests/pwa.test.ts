import { describe, expect, it } from "vitest";
import { installOffer, listenForInstallOffer, promptInstall } from "../src/pwa/install";
import { isAppLaunch, launchPath } from "../src/pwa/launch";
import { readConfig } from "../src/sw/config";
import { cacheName, isOldShellCache, isShellPath, strategyFor } from "../src/sw/routing";
import { ANONYMOUS } from "../src/types";
import { memberSession } from "./sessions";

const ORIGIN = "https://maillage.example.fr";
const PRECACHED = new Set(["/", "/manifest.webmanifest", "/static/assets/main-abc.js"]);
const get = (path: string, mode = "cors") => ({ url: ORIGIN + path, method: "GET", mode });

describe("the service worker's rule", () => {
  it("never answers nor caches the API, not even a page-like request to it", () => {
    for (const path of ["/api/v1/session", "/api/v1/stream", "/api/v1/docs", "/api"]) {
      expect(strategyFor(get(path), ORIGIN, PRECACHED), path).toBe("network");
      expect(strategyFor(get(path, "navigate"), ORIGIN, PRECACHED), path).toBe("network");
    }
    // Even were an API URL listed, it would not be served from the cache.
    const listed = new Set(["/api/v1/session"]);
    expect(strategyFor(get("/api/v1/session"), ORIGIN, listed)).toBe("network");
  });

  it("answers every page of the app with the shell (network first)", () => {
    for (const path of ["/", "/?source=pwa", "/console", "/incidents/abc", "/agent/x"]) {
      expect(strategyFor(get(path, "navigate"), ORIGIN, PRECACHED), path).toBe("shell");
    }
    for (const path of ["/healthz", "/sw.js", "/manifest.webmanifest", "/static/x.js"]) {
      expect(isShellPath(path), path).toBe(false);
    }
  });

  it("serves the build's files from the cache, and nothing else", () => {
    expect(strategyFor(get("/static/assets/main-abc.js"), ORIGIN, PRECACHED)).toBe("precached");
    expect(strategyFor(get("/static/assets/main-abc.js?x=1"), ORIGIN, PRECACHED)).toBe("network");
    expect(strategyFor(get("/static/other.js"), ORIGIN, PRECACHED)).toBe("network");
    const post = { ...get("/static/assets/main-abc.js"), method: "POST" };
    expect(strategyFor(post, ORIGIN, PRECACHED)).toBe("network");
    const foreign = { url: "https://tiles.example.org/1/2/3.png", method: "GET", mode: "cors" };
    expect(strategyFor(foreign, ORIGIN, new Set([foreign.url]))).toBe("network");
  });

  it("names caches by version and drops only its own older ones", () => {
    const current = cacheName("v2");
    expect(isOldShellCache(cacheName("v1"), current)).toBe(true);
    expect(isOldShellCache(current, current)).toBe(false);
    expect(isOldShellCache("maillage-outbox", current)).toBe(false);
  });

  it("refuses to start without the configuration the server writes", () => {
    expect(() => readConfig({})).toThrow(/configuration/);
    expect(() => readConfig({ __MAILLAGE_SW__: { version: "v", shell: "/" } })).toThrow();
    const config = { version: "v", shell: "/", precache: ["/"] };
    expect(readConfig({ __MAILLAGE_SW__: config })).toEqual(config);
  });
});

const session = (permissions: string[], device = "active", status = "active") =>
  memberSession("x", permissions, device, status);

describe("a launch of the installed app", () => {
  it("is told by the start URL's marker", () => {
    expect(isAppLaunch("?source=pwa")).toBe(true);
    expect(isAppLaunch("")).toBe(false);
    expect(isAppLaunch("?source=other")).toBe(false);
  });

  it("lands in each role's workspace", () => {
    expect(launchPath(session(["incidents.report"]))).toBe("/");
    expect(launchPath(session(["trust.manage_service_key"]))).toBe("/console");
    expect(launchPath(session(["incidents.dispatch_status"]))).toBe("/agent");
    expect(launchPath(session(["members.manage"]))).toBe("/coordination");
  });

  it("stays home until signed in, approved and on a certified device", () => {
    expect(launchPath(ANONYMOUS)).toBe("/");
    expect(launchPath(session(["trust.manage_service_key"], "pending"))).toBe("/");
    expect(launchPath(session(["trust.manage_service_key"], "active", "suspended"))).toBe("/");
  });
});

/** A window as far as the install offer reads it. */
function fakeWindow(standalone = false): Window {
  return Object.assign(new EventTarget(), {
    navigator: {},
    matchMedia: (query: string) => ({ matches: standalone && query.includes("standalone") }),
  }) as unknown as Window;
}

function offer(): Event & { prompted: number } {
  const event = Object.assign(new Event("beforeinstallprompt", { cancelable: true }), {
    prompted: 0,
    userChoice: Promise.resolve({ outcome: "accepted" as const }),
  });
  return Object.assign(event, {
    prompt: async () => {
      event.prompted += 1;
    },
  });
}

describe("« Installer l'application »", () => {
  it("keeps the browser's offer for our button, which opens it once", async () => {
    const win = fakeWindow();
    listenForInstallOffer(win);
    const event = offer();
    win.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true);
    expect(installOffer.get()).toBe(event);
    await promptInstall();
    expect(event.prompted).toBe(1);
    expect(installOffer.get()).toBeNull();
    await promptInstall();
    expect(event.prompted).toBe(1);
  });

  it("goes once the app is installed", () => {
    const win = fakeWindow();
    listenForInstallOffer(win);
    win.dispatchEvent(offer());
    expect(installOffer.get()).not.toBeNull();
    win.dispatchEvent(new Event("appinstalled"));
    expect(installOffer.get()).toBeNull();
  });

  it("is never shown inside the installed app", () => {
    const win = fakeWindow(true);
    listenForInstallOffer(win);
    win.dispatchEvent(offer());
    expect(installOffer.get()).toBeNull();
  });
});

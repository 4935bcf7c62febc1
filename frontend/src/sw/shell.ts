/**
 * The app shell offline: at install, the shell page and every file of the build go into a
 * cache named after the build's version; at activation, the caches of older versions go.
 * A page is fetched from the network first (navigation preload saves the worker's start-up
 * time) and answered with the cached shell only when the network fails: the app then boots
 * and shows its own offline state. The API never touches the cache (routing.ts).
 */

import type { WorkerConfig } from "./config";
import { cacheName, isOldShellCache, strategyFor } from "./routing";

export function installShell(scope: ServiceWorkerGlobalScope, config: WorkerConfig): void {
  const name = cacheName(config.version);
  const precached = new Set(config.precache);

  scope.addEventListener("install", (event) => {
    event.waitUntil(
      (async () => {
        const cache = await caches.open(name);
        // Past the HTTP cache: the files of this very build, or no installation at all.
        await cache.addAll(config.precache.map((url) => new Request(url, { cache: "reload" })));
        await scope.skipWaiting();
      })(),
    );
  });

  scope.addEventListener("activate", (event) => {
    event.waitUntil(
      (async () => {
        for (const key of await caches.keys()) {
          if (isOldShellCache(key, name)) await caches.delete(key);
        }
        await scope.registration.navigationPreload?.enable();
        await scope.clients.claim();
      })(),
    );
  });

  scope.addEventListener("fetch", (event) => {
    const strategy = strategyFor(event.request, scope.location.origin, precached);
    if (strategy === "shell") event.respondWith(page(event, name, config.shell));
    else if (strategy === "precached") event.respondWith(file(event.request, name));
  });
}

async function page(event: FetchEvent, name: string, shell: string): Promise<Response> {
  try {
    const preloaded = (await event.preloadResponse) as Response | undefined;
    return preloaded ?? (await fetch(event.request));
  } catch (error) {
    const cached = await (await caches.open(name)).match(shell);
    if (cached) return cached;
    throw error;
  }
}

async function file(request: Request, name: string): Promise<Response> {
  const cached = await (await caches.open(name)).match(request);
  return cached ?? fetch(request);
}

/**
 * The worker's configuration, written by the server as the first line of /sw.js
 * (maillage/web/pwa.py): the build's version and the URLs to keep for offline use. A copy
 * of the bundle served without it (/static/sw.js) refuses to start rather than cache nothing.
 */

export interface WorkerConfig {
  version: string;
  shell: string;
  precache: string[];
}

export function readConfig(scope: object): WorkerConfig {
  const raw = (scope as { __MAILLAGE_SW__?: unknown }).__MAILLAGE_SW__;
  const config = raw as Partial<WorkerConfig> | undefined;
  if (
    !config ||
    typeof config.version !== "string" ||
    typeof config.shell !== "string" ||
    !Array.isArray(config.precache) ||
    !config.precache.every((url) => typeof url === "string")
  ) {
    throw new Error("maillage: service worker served without its configuration (use /sw.js)");
  }
  return { version: config.version, shell: config.shell, precache: config.precache };
}

/**
 * Registers the service worker (/sw.js, scope "/"; src/sw/). Browsers allow one only in a
 * secure context: HTTPS, or this machine (localhost, 127.0.0.1). After the page's load, so
 * that its first requests do not wait behind the worker's downloads.
 */

export const WORKER_URL = "/sw.js";

export function registerServiceWorker(): void {
  if (!window.isSecureContext || !("serviceWorker" in navigator)) return;
  const register = () => {
    // `updateViaCache: "none"`: every check asks the server, whatever a proxy cached.
    navigator.serviceWorker
      .register(WORKER_URL, { scope: "/", updateViaCache: "none" })
      .catch((error: unknown) => console.warn("maillage: service worker not registered", error));
  };
  if (document.readyState === "complete") register();
  else window.addEventListener("load", register, { once: true });
}

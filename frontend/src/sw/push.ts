/**
 * Web Push in the service worker (docs/decisions.md, "Web Push"): every push shows one
 * notification (the browser requires it), titled by push/notice.ts and carrying the text
 * push/reader.ts opened with this device's own keys; a tap opens the incident's page, in
 * a window of the app when one is open. Opening has `OPEN_BUDGET_MS`: past it the
 * notification shows without the text rather than late.
 */

import { storedLang } from "../device/keystore";
import { DEFAULT_LANG, type Lang } from "../i18n";
import { decodePushData, noticeFor, type Notice } from "../push/notice";
import { readPush, type Reading } from "../push/reader";

export const OPEN_BUDGET_MS = 8000;

function within<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}

async function language(): Promise<Lang> {
  try {
    return (await storedLang()) ?? DEFAULT_LANG;
  } catch {
    return DEFAULT_LANG;
  }
}

async function show(scope: ServiceWorkerGlobalScope, data: PushMessageData | null): Promise<void> {
  const payload = decodePushData(data);
  const lang = await language();
  if (!payload) {
    await scope.registration.showNotification("Maillage", { lang, tag: "maillage" });
    return;
  }
  const nothing: Reading = { text: null, role: null };
  const reading = await within(readPush(payload), OPEN_BUDGET_MS, nothing);
  const notice: Notice = noticeFor(payload, reading.text, reading.role, lang);
  await scope.registration.showNotification(notice.title, {
    body: notice.body,
    tag: notice.tag,
    lang: notice.lang,
    icon: "/static/web/icons/icon-192.png",
    badge: "/static/web/icons/icon-192.png",
    requireInteraction: notice.urgent,
    data: { url: notice.url, kind: payload.kind, seq: payload.seq },
    // A later step of the same incident buzzes again. (Not in TS's NotificationOptions.)
    ...({ renotify: true } as object),
  });
}

async function openPage(scope: ServiceWorkerGlobalScope, path: string): Promise<void> {
  const url = new URL(path, scope.location.origin).href;
  const windows = await scope.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    if (new URL(client.url).origin !== scope.location.origin) continue;
    try {
      const focused = await client.focus();
      await focused.navigate(url);
      return;
    } catch {
      /* not controlled, or gone: a new window instead */
    }
  }
  await scope.clients.openWindow(url);
}

export function installPush(scope: ServiceWorkerGlobalScope): void {
  scope.addEventListener("push", (event) => {
    event.waitUntil(show(scope, event.data));
  });
  scope.addEventListener("notificationclick", (event) => {
    event.notification.close();
    const data = event.notification.data as { url?: unknown } | null;
    const path = typeof data?.url === "string" && data.url.startsWith("/") ? data.url : "/";
    event.waitUntil(openPage(scope, path));
  });
}

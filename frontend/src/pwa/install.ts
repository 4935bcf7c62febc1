/**
 * « Installer l'application »: the browser says when it would install the app (the
 * `beforeinstallprompt` event, Chromium only); the event is kept so that our own button can
 * open the browser's dialog. No offer once installed (`appinstalled`) or when already
 * running as the installed app (display-mode standalone, or iOS's `navigator.standalone`).
 */

import { createStore, useStore } from "../store";

/** Chromium's event (not in TypeScript's DOM library). */
export interface BeforeInstallPromptEvent extends Event {
  prompt(): Promise<unknown>;
  readonly userChoice: Promise<{ outcome: "accepted" | "dismissed" }>;
}

/** The browser's pending offer, or null: what the button shows. */
export const installOffer = createStore<BeforeInstallPromptEvent | null>(null);

export function isStandalone(win: Window = window): boolean {
  const ios = (win.navigator as Navigator & { standalone?: boolean }).standalone === true;
  return ios || !!win.matchMedia?.("(display-mode: standalone)").matches;
}

/** From boot (the event may come before the first render); once per page. */
export function listenForInstallOffer(win: Window = window): void {
  if (isStandalone(win)) return;
  win.addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault(); // our button, rather than the browser's own banner
    installOffer.set(event as BeforeInstallPromptEvent);
  });
  win.addEventListener("appinstalled", () => installOffer.set(null));
}

/**
 * Opens the browser's install dialog. An offer serves once: the button goes at the click
 * (the dialog is the browser's, modal), whatever the answer; a later offer brings it back.
 */
export async function promptInstall(): Promise<void> {
  const offer = installOffer.get();
  if (!offer) return;
  installOffer.set(null);
  await offer.prompt();
}

export const useInstallOffer = (): boolean => useStore(installOffer) !== null;

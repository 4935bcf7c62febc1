/**
 * Notifications on this device (docs/decisions.md « Web Push », « Asking for consent, on
 * screen » and « Silent re-subscribe »): the browser's push subscription, made only after
 * the person ticked the consent, kept by the server with that consent, and withdrawn at
 * will. The rules are pure functions of what the browser and the server say (`consentState`,
 * `mayRenewSilently`); `createPushConsent` runs them against a browser and a server given
 * to it, so the Vitest suite plays both without a DOM.
 */

import { ApiError, describeError } from "../api";
import { isStandalone } from "../pwa/install";
import { createStore, type Store } from "../store";
import { b64urlDecode, b64urlEncode } from "../trust/b64";
import {
  deleteDeviceSubscription,
  getDeviceSubscriptions,
  getPushKey,
  postDeviceSubscription,
  type BrowserSubscriptionJson,
  type DeviceSubscription,
} from "./api";

/** Whether this browser can be woken at all: iOS only once installed on the home screen. */
export type PushSupport = "ok" | "unsupported" | "needs-install";

export type ConsentError =
  /** The button pressed without the box ticked: nothing was asked of the browser. */
  | { code: "consent" }
  /** The person (or the browser's settings) said no. */
  | { code: "denied" }
  | { code: "unsupported" }
  | { code: "needs-install" }
  /** The server's 403 `device_not_certified`, its sentence. */
  | { code: "not-certified"; message: string }
  | { code: "failed"; message: string };

export type ConsentState =
  | { kind: "loading" }
  | { kind: "unsupported" }
  | { kind: "needs-install" }
  /** Blocked in the browser; `asked`: just now, after the button (else found so). */
  | { kind: "denied"; asked: boolean }
  | { kind: "off" }
  | { kind: "working"; toward: "on" | "off" }
  | { kind: "on"; id: string }
  /** `id`: the live subscription still held (a failed withdrawal), else null. */
  | { kind: "error"; error: ConsentError; id: string | null };

/** The browser's subscription, read: its keys and the server key it was made with. */
export interface BrowserSubscription extends BrowserSubscriptionJson {
  /** The applicationServerKey it was made with (base64url), null when unknown. */
  serverKey: string | null;
  unsubscribe(): Promise<boolean>;
}

/** What the page's browser offers (`browserPush()`; a fake in the tests). */
export interface BrowserPush {
  support(): PushSupport;
  permission(): NotificationPermission;
  requestPermission(): Promise<NotificationPermission>;
  current(): Promise<BrowserSubscription | null>;
  subscribe(serverKey: string): Promise<BrowserSubscription>;
}

/** The server's side (push/api.ts; a fake in the tests). */
export interface PushServer {
  key(): Promise<string>;
  list(): Promise<DeviceSubscription[]>;
  subscribe(subscription: BrowserSubscriptionJson): Promise<DeviceSubscription>;
  withdraw(id: string): Promise<DeviceSubscription>;
}

/** Everything the rules read, gathered at load. */
export interface PushFacts {
  support: PushSupport;
  permission: NotificationPermission;
  /** The browser's subscription, and whether it was made with the server's current key. */
  browser: { matchesKey: boolean } | null;
  /** This device's subscriptions on the server, newest first. */
  rows: readonly DeviceSubscription[];
}

export const WITHDRAWN = "withdrawn";

/** iOS (and iPadOS, which says « Macintosh » with a touch screen) in a Safari tab. */
export function supportOf(env: {
  userAgent: string;
  maxTouchPoints: number;
  standalone: boolean;
  hasPush: boolean;
}): PushSupport {
  const ios =
    /iPhone|iPad|iPod/.test(env.userAgent) ||
    (/Macintosh/.test(env.userAgent) && env.maxTouchPoints > 1);
  if (ios && !env.standalone) return "needs-install";
  return env.hasPush ? "ok" : "unsupported";
}

const live = (rows: readonly DeviceSubscription[]) => rows.filter((row) => !row.disabledAt);

/**
 * Consent given on this device and not taken back: a live subscription, or the newest one
 * ended by something else than the person (the push service expired it, the key changed).
 */
export function consentStands(rows: readonly DeviceSubscription[]): boolean {
  if (live(rows).length > 0) return true;
  return rows.length > 0 && rows[0].disabledReason !== WITHDRAWN;
}

/** What the panel shows once the facts are read. */
export function consentState(facts: PushFacts): ConsentState {
  if (facts.support !== "ok") return { kind: facts.support };
  if (facts.permission === "denied") return { kind: "denied", asked: false };
  const [current] = live(facts.rows);
  if (current && facts.permission === "granted" && facts.browser?.matchesKey) {
    return { kind: "on", id: current.id };
  }
  return { kind: "off" };
}

/**
 * Subscribe again without asking: the browser still allows notifications, consent was
 * given on this device before and never withdrawn, and what would wake it is gone (no live
 * subscription on the server, none in the browser, or one made with an older server key).
 * Never on a device that never subscribed: there, consent must be asked.
 */
export function mayRenewSilently(facts: PushFacts): boolean {
  if (facts.support !== "ok" || facts.permission !== "granted") return false;
  if (!consentStands(facts.rows)) return false;
  const working = live(facts.rows).length > 0 && !!facts.browser?.matchesKey;
  return !working;
}

/** A refusal as the panel words it. */
export function consentError(error: unknown): ConsentError {
  if (error instanceof ApiError && error.code === "device_not_certified") {
    return { code: "not-certified", message: describeError(error) };
  }
  if (error instanceof DOMException && error.name === "NotAllowedError") return { code: "denied" };
  if (error instanceof DOMException && error.name === "NotSupportedError") {
    return { code: "unsupported" };
  }
  return { code: "failed", message: describeError(error) };
}

export interface PushConsent {
  state: Store<ConsentState>;
  /** Reads the facts (once; again with `again`) and renews silently when it may. */
  load(again?: boolean): Promise<void>;
  /** « Activer les notifications »; `consented`: the box is ticked. */
  enable(consented: boolean): Promise<void>;
  /** « Ne plus recevoir de notifications ». */
  withdraw(): Promise<void>;
}

export function createPushConsent(browser: BrowserPush, server: PushServer): PushConsent {
  const state = createStore<ConsentState>({ kind: "loading" });
  let loading: Promise<void> | null = null;

  const heldId = (): string | null => {
    const now = state.get();
    return now.kind === "on" ? now.id : now.kind === "error" ? now.id : null;
  };

  /** A fresh browser subscription under the server's key, kept by the server. */
  async function subscribe(key: string): Promise<DeviceSubscription> {
    const existing = await browser.current();
    // A browser refuses a second key for one subscription: the old one goes first.
    if (existing && existing.serverKey !== key) await existing.unsubscribe();
    const made = await browser.subscribe(key);
    return server.subscribe({ endpoint: made.endpoint, keys: made.keys });
  }

  async function read(): Promise<void> {
    const support = browser.support();
    if (support !== "ok") {
      state.set({ kind: support });
      return;
    }
    try {
      const [rows, key, existing] = await Promise.all([
        server.list(),
        server.key(),
        browser.current(),
      ]);
      const facts: PushFacts = {
        support,
        permission: browser.permission(),
        browser: existing ? { matchesKey: existing.serverKey === key } : null,
        rows,
      };
      if (mayRenewSilently(facts)) {
        try {
          const row = await subscribe(key);
          state.set({ kind: "on", id: row.id });
          return;
        } catch {
          /* silent: the panel offers the button, as on a device never subscribed */
        }
      }
      state.set(consentState(facts));
    } catch (error) {
      state.set({ kind: "error", error: consentError(error), id: null });
    }
  }

  return {
    state,
    load(again = false) {
      if (!loading || again) loading = read();
      return loading;
    },
    async enable(consented) {
      if (!consented) {
        state.set({ kind: "error", error: { code: "consent" }, id: null });
        return;
      }
      const support = browser.support();
      if (support !== "ok") {
        state.set({ kind: "error", error: { code: support }, id: null });
        return;
      }
      state.set({ kind: "working", toward: "on" });
      try {
        let permission = browser.permission();
        if (permission === "default") permission = await browser.requestPermission();
        if (permission !== "granted") {
          state.set({ kind: "denied", asked: true });
          return;
        }
        const row = await subscribe(await server.key());
        state.set({ kind: "on", id: row.id });
      } catch (error) {
        const refusal = consentError(error);
        state.set(
          refusal.code === "denied"
            ? { kind: "denied", asked: true }
            : { kind: "error", error: refusal, id: null },
        );
      }
    },
    async withdraw() {
      const id = heldId();
      state.set({ kind: "working", toward: "off" });
      try {
        // The server first: once it stops sending, nothing reaches this device.
        const rows = await server.list();
        for (const row of live(rows)) await server.withdraw(row.id);
        const existing = await browser.current();
        if (existing) await existing.unsubscribe();
        state.set({ kind: "off" });
      } catch (error) {
        state.set({ kind: "error", error: consentError(error), id });
      }
    },
  };
}

/* ------------------------------------------------------------------ the browser ---- */

/** `navigator.serviceWorker.ready` never settles without a worker: not past this. */
const READY_MS = 10_000;

async function registration(): Promise<ServiceWorkerRegistration> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DOMException("service worker not ready", "NotSupportedError")),
      READY_MS,
    );
  });
  try {
    return await Promise.race([navigator.serviceWorker.ready, late]);
  } finally {
    clearTimeout(timer);
  }
}

function keyText(key: ArrayBuffer | null | undefined): string {
  return key ? b64urlEncode(new Uint8Array(key)) : "";
}

function read(subscription: PushSubscription): BrowserSubscription {
  const serverKey = subscription.options?.applicationServerKey ?? null;
  return {
    endpoint: subscription.endpoint,
    keys: { p256dh: keyText(subscription.getKey("p256dh")), auth: keyText(subscription.getKey("auth")) },
    serverKey: serverKey ? keyText(serverKey) : null,
    unsubscribe: () => subscription.unsubscribe(),
  };
}

/** This page's browser: its service worker's PushManager and the Notification permission. */
export function browserPush(): BrowserPush {
  return {
    support: () =>
      supportOf({
        userAgent: navigator.userAgent,
        maxTouchPoints: navigator.maxTouchPoints ?? 0,
        standalone: isStandalone(),
        hasPush:
          window.isSecureContext &&
          "serviceWorker" in navigator &&
          "PushManager" in window &&
          "Notification" in window,
      }),
    permission: () => Notification.permission,
    requestPermission: () => Notification.requestPermission(),
    async current() {
      const found = await (await registration()).pushManager.getSubscription();
      return found ? read(found) : null;
    },
    async subscribe(serverKey) {
      const made = await (await registration()).pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: b64urlDecode(serverKey),
      });
      return read(made);
    },
  };
}

export const pushServer: PushServer = {
  key: getPushKey,
  list: getDeviceSubscriptions,
  subscribe: postDeviceSubscription,
  withdraw: deleteDeviceSubscription,
};

/** One model per device for the page: the shell's silent renewal and the panel share it. */
let shared: { device: string; model: PushConsent } | null = null;

export function pushConsentFor(device: string): PushConsent {
  if (shared?.device !== device) {
    shared = { device, model: createPushConsent(browserPush(), pushServer) };
  }
  return shared.model;
}

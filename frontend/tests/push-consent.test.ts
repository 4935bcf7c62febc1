import { describe, expect, it } from "vitest";
import { ApiError } from "../src/api";
import { t } from "../src/i18n";
import { mayReceivePush } from "../src/permissions";
import { normaliseSubscription, type DeviceSubscription } from "../src/push/api";
import {
  consentError,
  consentStands,
  consentState,
  createPushConsent,
  mayRenewSilently,
  supportOf,
  type BrowserPush,
  type BrowserSubscription,
  type PushFacts,
  type PushServer,
} from "../src/push/subscription";
import { normaliseSession } from "../src/types";

const KEY = "BKey-current";

function row(fields: Partial<DeviceSubscription> = {}): DeviceSubscription {
  return {
    id: "s1",
    service: "fcm.googleapis.com",
    consentedAt: "2026-03-01T10:00:00Z",
    disabledAt: null,
    disabledReason: "",
    lastSuccessAt: null,
    lastFailureAt: null,
    ...fields,
  };
}
const gone = (reason: string, id = "s0") =>
  row({ id, disabledAt: "2026-03-02T10:00:00Z", disabledReason: reason });

function facts(fields: Partial<PushFacts> = {}): PushFacts {
  return {
    support: "ok",
    permission: "granted",
    browser: { matchesKey: true },
    rows: [row()],
    ...fields,
  };
}

/** A browser whose push service answers at once; it counts what it was asked. */
class FakeBrowser implements BrowserPush {
  supported: ReturnType<BrowserPush["support"]> = "ok";
  allowed: NotificationPermission = "default";
  answer: NotificationPermission = "granted";
  held: BrowserSubscription | null = null;
  asked = 0;
  made = 0;
  dropped = 0;
  support = () => this.supported;
  permission = () => this.allowed;
  requestPermission = async () => {
    this.asked += 1;
    this.allowed = this.answer;
    return this.allowed;
  };
  current = async () => this.held;
  subscribe = async (serverKey: string) => {
    if (this.allowed !== "granted") throw new DOMException("denied", "NotAllowedError");
    if (this.held && this.held.serverKey !== serverKey) {
      throw new DOMException("another key", "InvalidStateError");
    }
    this.made += 1;
    this.held = this.subscription(`https://push.example/${this.made}`, serverKey);
    return this.held;
  };
  subscription(endpoint: string, serverKey: string): BrowserSubscription {
    const sub: BrowserSubscription = {
      endpoint,
      keys: { p256dh: "p256", auth: "auth" },
      serverKey,
      unsubscribe: async () => {
        if (this.held === sub) this.held = null;
        this.dropped += 1;
        return true;
      },
    };
    return sub;
  }
}

/** The server's side of one device: its rows, newest first. */
class FakeServer implements PushServer {
  rows: DeviceSubscription[] = [];
  posted: string[] = [];
  deleted: string[] = [];
  refuse: ApiError | null = null;
  key = async () => KEY;
  list = async () => {
    if (this.refuse) throw this.refuse;
    return [...this.rows];
  };
  subscribe = async (subscription: { endpoint: string }) => {
    if (this.refuse) throw this.refuse;
    this.posted.push(subscription.endpoint);
    const made = row({ id: `s${this.posted.length + 10}` });
    this.rows.unshift(made);
    return made;
  };
  withdraw = async (id: string) => {
    this.deleted.push(id);
    this.rows = this.rows.map((r) =>
      r.id === id ? { ...r, disabledAt: "2026-03-03T10:00:00Z", disabledReason: "withdrawn" } : r,
    );
    return this.rows.find((r) => r.id === id) ?? row({ id });
  };
}

const NOT_CERTIFIED = new ApiError(
  403,
  "device_not_certified",
  "Cet appareil doit être certifié par la mairie avant de recevoir des notifications.",
);

describe("what this browser can do", () => {
  const env = { userAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/130", maxTouchPoints: 0, standalone: false, hasPush: true };

  it("asks an iPhone's Safari tab to install the app first", () => {
    const iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Safari/604.1";
    expect(supportOf({ ...env, userAgent: iphone, hasPush: false })).toBe("needs-install");
    expect(supportOf({ ...env, userAgent: iphone, standalone: true })).toBe("ok");
  });

  it("counts an iPad (a touch « Macintosh ») as iOS", () => {
    const ipad = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Safari/605.1.15";
    expect(supportOf({ ...env, userAgent: ipad, maxTouchPoints: 5 })).toBe("needs-install");
    expect(supportOf({ ...env, userAgent: ipad, maxTouchPoints: 0 })).toBe("ok");
  });

  it("says unsupported without the Push API", () => {
    expect(supportOf({ ...env, hasPush: false })).toBe("unsupported");
    expect(supportOf(env)).toBe("ok");
  });
});

describe("the panel's state", () => {
  it("is on only with a live row, the permission and a browser subscription of this key", () => {
    expect(consentState(facts())).toEqual({ kind: "on", id: "s1" });
    expect(consentState(facts({ browser: null })).kind).toBe("off");
    expect(consentState(facts({ browser: { matchesKey: false } })).kind).toBe("off");
    expect(consentState(facts({ rows: [gone("HTTP 410")] })).kind).toBe("off");
    expect(consentState(facts({ permission: "default" })).kind).toBe("off");
  });

  it("says why when the browser cannot or will not", () => {
    expect(consentState(facts({ support: "unsupported" }))).toEqual({ kind: "unsupported" });
    expect(consentState(facts({ support: "needs-install" }))).toEqual({ kind: "needs-install" });
    expect(consentState(facts({ permission: "denied" }))).toEqual({ kind: "denied", asked: false });
  });
});

describe("silent re-subscribe", () => {
  it("renews a subscription the push service ended, or one of an older key", () => {
    expect(mayRenewSilently(facts({ rows: [gone("HTTP 410")], browser: null }))).toBe(true);
    expect(mayRenewSilently(facts({ rows: [gone("replaced")] }))).toBe(true);
    expect(mayRenewSilently(facts({ browser: { matchesKey: false } }))).toBe(true);
    expect(mayRenewSilently(facts({ browser: null }))).toBe(true);
  });

  it("leaves a working subscription alone", () => {
    expect(mayRenewSilently(facts())).toBe(false);
  });

  it("never subscribes a device that never consented, nor one whose person withdrew", () => {
    expect(mayRenewSilently(facts({ rows: [], browser: null }))).toBe(false);
    expect(mayRenewSilently(facts({ rows: [gone("withdrawn", "s2"), gone("HTTP 410")] }))).toBe(
      false,
    );
    expect(consentStands([gone("HTTP 410", "s2"), gone("withdrawn")])).toBe(true);
  });

  it("never asks: only where the browser already allows notifications", () => {
    const ended = { rows: [gone("HTTP 410")], browser: null };
    expect(mayRenewSilently(facts({ ...ended, permission: "default" }))).toBe(false);
    expect(mayRenewSilently(facts({ ...ended, permission: "denied" }))).toBe(false);
    expect(mayRenewSilently(facts({ ...ended, support: "needs-install" }))).toBe(false);
  });
});

describe("asking for consent", () => {
  it("does nothing until the box is ticked, and says why", async () => {
    const browser = new FakeBrowser();
    const server = new FakeServer();
    const model = createPushConsent(browser, server);
    await model.load();
    expect(model.state.get()).toEqual({ kind: "off" });
    await model.enable(false);
    expect(model.state.get()).toEqual({ kind: "error", error: { code: "consent" }, id: null });
    expect(browser.asked + browser.made + server.posted.length).toBe(0);
    expect(t("push.consent.needAgree")).toMatch(/^Cochez d'abord la case/);
  });

  it("asks the browser, subscribes with the server's key and sends consent", async () => {
    const browser = new FakeBrowser();
    const server = new FakeServer();
    const model = createPushConsent(browser, server);
    await model.load();
    await model.enable(true);
    expect(browser.asked).toBe(1);
    expect(browser.held?.serverKey).toBe(KEY);
    expect(server.posted).toEqual(["https://push.example/1"]);
    expect(model.state.get()).toEqual({ kind: "on", id: "s11" });
  });

  it("stores nothing when the person says no", async () => {
    const browser = new FakeBrowser();
    browser.answer = "denied";
    const server = new FakeServer();
    const model = createPushConsent(browser, server);
    await model.enable(true);
    expect(model.state.get()).toEqual({ kind: "denied", asked: true });
    expect(browser.made + server.posted.length).toBe(0);
  });

  it("replaces a browser subscription made with another key", async () => {
    const browser = new FakeBrowser();
    browser.allowed = "granted";
    browser.held = browser.subscription("https://push.example/old", "BKey-old");
    const server = new FakeServer();
    const model = createPushConsent(browser, server);
    await model.enable(true);
    expect(browser.dropped).toBe(1);
    expect(server.posted).toEqual(["https://push.example/1"]);
  });

  it("shows the server's sentence for a device not certified", async () => {
    const browser = new FakeBrowser();
    const server = new FakeServer();
    const model = createPushConsent(browser, server);
    server.refuse = NOT_CERTIFIED;
    await model.enable(true);
    expect(model.state.get()).toEqual({
      kind: "error",
      error: { code: "not-certified", message: NOT_CERTIFIED.message },
      id: null,
    });
  });

  it("refuses at once where the browser cannot", async () => {
    const browser = new FakeBrowser();
    browser.supported = "needs-install";
    const model = createPushConsent(browser, new FakeServer());
    await model.load();
    expect(model.state.get()).toEqual({ kind: "needs-install" });
    await model.enable(true);
    expect(model.state.get()).toMatchObject({ error: { code: "needs-install" } });
    expect(browser.asked).toBe(0);
    expect(t("push.consent.needsInstall")).toBe(
      "Installez l'application sur l'écran d'accueil pour recevoir les notifications.",
    );
  });

  it("words the browser's refusals", () => {
    expect(consentError(new DOMException("x", "NotAllowedError"))).toEqual({ code: "denied" });
    expect(consentError(new DOMException("x", "NotSupportedError"))).toEqual({ code: "unsupported" });
    expect(consentError(new ApiError(0, "network", "Le serveur est injoignable."))).toEqual({
      code: "failed",
      message: "Le serveur est injoignable.",
    });
  });
});

describe("withdrawing", () => {
  it("disables the server's rows, then drops the browser's subscription", async () => {
    const browser = new FakeBrowser();
    const server = new FakeServer();
    const model = createPushConsent(browser, server);
    await model.enable(true);
    await model.withdraw();
    expect(server.deleted).toEqual(["s11"]);
    expect(browser.held).toBeNull();
    expect(model.state.get()).toEqual({ kind: "off" });
    // Withdrawn: the next start asks again rather than renewing.
    const next = createPushConsent(browser, server);
    await next.load();
    expect(next.state.get()).toEqual({ kind: "off" });
    expect(server.posted).toHaveLength(1);
  });

  it("keeps the subscription shown when the server could not be told", async () => {
    const browser = new FakeBrowser();
    const server = new FakeServer();
    const model = createPushConsent(browser, server);
    await model.enable(true);
    server.refuse = new ApiError(0, "network", "Le serveur est injoignable.");
    await model.withdraw();
    expect(model.state.get()).toMatchObject({ kind: "error", id: "s11" });
    expect(browser.held).not.toBeNull();
  });
});

describe("at load", () => {
  it("renews silently on a device that consented before", async () => {
    const browser = new FakeBrowser();
    browser.allowed = "granted";
    const server = new FakeServer();
    server.rows = [gone("HTTP 410")];
    const model = createPushConsent(browser, server);
    await model.load();
    expect(browser.asked).toBe(0);
    expect(server.posted).toHaveLength(1);
    expect(model.state.get()).toEqual({ kind: "on", id: "s11" });
  });

  it("reads once for the shell and the panel together", async () => {
    const browser = new FakeBrowser();
    browser.allowed = "granted";
    const server = new FakeServer();
    server.rows = [gone("HTTP 410")];
    const model = createPushConsent(browser, server);
    await Promise.all([model.load(), model.load()]);
    expect(server.posted).toHaveLength(1);
  });

  it("never subscribes a device that never did, even with the permission", async () => {
    const browser = new FakeBrowser();
    browser.allowed = "granted";
    const server = new FakeServer();
    const model = createPushConsent(browser, server);
    await model.load();
    expect(server.posted).toEqual([]);
    expect(model.state.get()).toEqual({ kind: "off" });
  });
});

describe("the server's rows and who may", () => {
  it("reads a subscription defensively", () => {
    expect(normaliseSubscription({ id: "s", disabled_at: null, disabled_reason: "withdrawn" })).toEqual(
      row({ id: "s", service: "", consentedAt: "", disabledReason: "withdrawn" }),
    );
  });

  it("offers the panel to a certified device with push.subscribe only", () => {
    const session = (status: string, permissions: string[]) =>
      normaliseSession({
        authenticated: true,
        person: { id: "p" },
        membership: { id: "m", role: "commercant", status: "active" },
        device: { id: "d", status },
        permissions,
      });
    expect(mayReceivePush(session("active", ["push.subscribe"]))).toBe(true);
    expect(mayReceivePush(session("pending", ["push.subscribe"]))).toBe(false);
    expect(mayReceivePush(session("active", []))).toBe(false);
  });
});

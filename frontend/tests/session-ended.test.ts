import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

/** localStorage and the server's GET /session, at the page's boundary. */
const storage = new Map<string, string>();
let signedIn = true;

beforeEach(() => {
  storage.clear();
  vi.resetModules();
  vi.stubGlobal("localStorage", {
    getItem: (k: string) => storage.get(k) ?? null,
    setItem: (k: string, v: string) => void storage.set(k, v),
    removeItem: (k: string) => void storage.delete(k),
  });
  vi.stubGlobal(
    "fetch",
    vi.fn(async () =>
      new Response(
        JSON.stringify(
          signedIn
            ? { authenticated: true, person: { id: "p", display_name: "Karim" }, membership: null, device: null, root: null, permissions: [] }
            : { authenticated: false },
        ),
        { status: 200 },
      ),
    ),
  );
});
afterEach(() => vi.unstubAllGlobals());

/** A fresh page: the module loaded anew, as a reload does. */
const page = () => import("../src/session");

describe("the notice of a session that ended", () => {
  it("shows at the load that finds it, and not on the next one", async () => {
    signedIn = true;
    await (await page()).loadSession();
    vi.resetModules();
    signedIn = false;
    const reload = await page();
    await reload.loadSession();
    expect(reload.sessionStore.get().notice).toMatch(/Votre session a pris fin/);
    vi.resetModules();
    const next = await page();
    await next.loadSession();
    expect(next.sessionStore.get().notice).toBeNull();
  });

  it("found by a live page, shows there and once more after a reload", async () => {
    signedIn = true;
    const live = await page();
    await live.loadSession();
    signedIn = false;
    await live.loadSession(); // the stream was refused: the page asks again
    expect(live.sessionStore.get().notice).toMatch(/Votre session a pris fin/);
    await live.loadSession();
    vi.resetModules();
    const reload = await page();
    await reload.loadSession();
    expect(reload.sessionStore.get().notice).toMatch(/Votre session a pris fin/);
    vi.resetModules();
    const next = await page();
    await next.loadSession();
    expect(next.sessionStore.get().notice).toBeNull();
  });
});

describe("a session ended under a live page", () => {
  it("moves the flag straight to « ended »: a reload reading it meanwhile never finds it gone", async () => {
    signedIn = true;
    const live = await page();
    await live.loadSession();
    const seen: Array<string | null> = [];
    const record = () => seen.push(storage.get("maillage.signedIn") ?? null);
    vi.stubGlobal("localStorage", {
      getItem: (k: string) => storage.get(k) ?? null,
      setItem: (k: string, v: string) => void (storage.set(k, v), record()),
      removeItem: (k: string) => void (storage.delete(k), record()),
    });
    signedIn = false;
    await live.loadSession(); // the self event
    await live.loadSession(); // the refused stream asks again
    expect(seen.length).toBeGreaterThan(0);
    expect(seen).not.toContain(null);
    expect(storage.get("maillage.signedIn")).toBe("ended");
  });

  it("found by any request's 401, still says why after a reload", async () => {
    signedIn = true;
    const live = await page();
    await live.loadSession();
    const api = await import("../src/api");
    vi.stubGlobal("document", { cookie: "", addEventListener: () => undefined });
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response(JSON.stringify({ code: "access_revoked" }), { status: 401 })),
    );
    await api.request("GET", "/incidents").catch(() => undefined);
    expect(live.sessionStore.get().session?.authenticated).toBe(false);
    vi.resetModules();
    signedIn = false;
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response(JSON.stringify({ authenticated: false }), { status: 200 })),
    );
    const reload = await page();
    await reload.loadSession();
    expect(reload.sessionStore.get().notice).toMatch(/Votre session a pris fin/);
  });
});

describe("signing out while a request is in flight", () => {
  it("keeps « Vous êtes déconnecté(e) » over the old session's late 401 and answer", async () => {
    signedIn = true;
    const session = await page();
    await session.loadSession();
    const api = await import("../src/api");
    const late: Array<(r: Response) => void> = [];
    vi.stubGlobal(
      "document",
      { cookie: "", addEventListener: () => undefined, removeEventListener: () => undefined },
    );
    vi.stubGlobal(
      "fetch",
      vi.fn((url: string) =>
        String(url).endsWith("/session/logout")
          ? Promise.resolve(new Response(null, { status: 204 }))
          : new Promise<Response>((resolve) => late.push(resolve)),
      ),
    );
    const probe = session.loadSession(); // the page re-checks: the answer comes late
    const other = api.request("GET", "/incidents").catch(() => undefined); // a 401 later
    await session.logout();
    expect(session.sessionStore.get().notice).toBe("Vous êtes déconnecté(e).");
    const authenticated = {
      authenticated: true,
      person: { id: "p", display_name: "Karim" },
      membership: null,
      device: null,
      root: null,
      permissions: [],
    };
    late[0](new Response(JSON.stringify(authenticated), { status: 200 }));
    late[1](new Response(JSON.stringify({ code: "unauthenticated" }), { status: 401 }));
    await probe;
    await other;
    expect(session.sessionStore.get().session?.authenticated).toBe(false);
    expect(session.sessionStore.get().notice).toBe("Vous êtes déconnecté(e).");
  });
});

describe("signing out", () => {
  it("stays « déconnecté » when a session check begun meanwhile answers after it", async () => {
    signedIn = true;
    const live = await page();
    await live.loadSession();
    vi.stubGlobal("document", { cookie: "" });
    let finishLogout: () => void = () => undefined;
    let answerCheck: () => void = () => undefined;
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string) => {
        if (String(url).endsWith("/session/logout")) {
          await new Promise<void>((resolve) => (finishLogout = resolve));
          return new Response(null, { status: 204 });
        }
        await new Promise<void>((resolve) => (answerCheck = resolve));
        return new Response(JSON.stringify({ authenticated: false }), { status: 200 });
      }),
    );
    const out = live.logout();
    await Promise.resolve();
    const check = live.loadSession(); // the stream closed: the page asks who it is
    await new Promise((resolve) => setTimeout(resolve, 0));
    finishLogout();
    await out;
    answerCheck();
    await check;
    expect(live.sessionStore.get().notice).toBe("Vous êtes déconnecté(e).");
  });
});

describe("signing in as someone else while the old session's requests are in flight", () => {
  it("keeps the new session over the old one's late 401 and anonymous answer", async () => {
    signedIn = true;
    const session = await page();
    await session.loadSession();
    const api = await import("../src/api");
    const late: Array<(r: Response) => void> = [];
    vi.stubGlobal(
      "document",
      { cookie: "", addEventListener: () => undefined, removeEventListener: () => undefined },
    );
    vi.stubGlobal("fetch", vi.fn(() => new Promise<Response>((resolve) => late.push(resolve))));
    const probe = session.loadSession(); // the stream was refused: the page asks who it is
    const other = api.request("GET", "/incidents").catch(() => undefined);
    const shopkeeper = {
      authenticated: true,
      person: { id: "q", display_name: "Nadia" },
      membership: null,
      device: null,
      root: null,
      permissions: [],
    };
    await session.adoptSignIn(shopkeeper as never); // the demo's « Se connecter en tant que… »
    // The sign-in flushed the old session: what was sent under it answers anonymous.
    late[0](new Response(JSON.stringify({ authenticated: false }), { status: 200 }));
    late[1](new Response(JSON.stringify({ code: "unauthenticated" }), { status: 401 }));
    expect((await probe).person?.display_name).toBe("Nadia");
    await other;
    expect(session.sessionStore.get().session?.person?.display_name).toBe("Nadia");
    expect(session.sessionStore.get().notice).toBeNull();
    expect(storage.get("maillage.signedIn")).toBe("1");
  });
});

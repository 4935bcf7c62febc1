import { afterEach, describe, expect, it, vi } from "vitest";
import { t } from "../src/i18n";
import { KINDS, parseEvent, type StreamEvent } from "../src/live/stream";
import { mayViewChannels } from "../src/permissions";
import { normaliseAttempt, normaliseChannel, normaliseChannels, type DeviceChannel } from "../src/push/api";
import {
  CHANNEL_KINDS,
  channelText,
  createChannels,
  orderChannels,
  resultText,
  transportText,
  unreachableOf,
  unreachableSummary,
  whyText,
  whyUnreachable,
} from "../src/push/channels";
import { normaliseSession } from "../src/types";

/** A device as GET /push/channels answers it, with the given fields changed. */
function raw(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    device: "d1",
    member: "m1",
    name: "Karim Benali",
    role: "commercant",
    shop: "Boulangerie du Marché",
    reachable: false,
    push_live: 0,
    push_working: false,
    push_disabled_reason: null,
    last_push_success: null,
    last_push_failure: null,
    stream_connected: false,
    ...fields,
  };
}

const device = (fields: Record<string, unknown> = {}): DeviceChannel => normaliseChannel(raw(fields));
const why = (fields: Record<string, unknown>) => whyText(whyUnreachable(device(fields)));

describe("the channels answer", () => {
  it("reads odd fields as « not reachable », and drops rows with no device", () => {
    const read = normaliseChannels({
      devices: [
        raw({ reachable: "yes", push_working: 1, push_live: "2", shop: "" }),
        { name: "sans appareil" },
      ],
      unreachable: 0,
    });
    expect(read.devices).toHaveLength(1);
    expect(read.devices[0]).toMatchObject({ reachable: false, pushWorking: false, pushLive: 0, shop: null });
    // The count is the list's own, whatever the answer's total says.
    expect(read.unreachable).toBe(1);
    expect(normaliseChannels(null)).toEqual({ devices: [], unreachable: 0 });
  });

  it("reads an attempt with no HTTP status as none", () => {
    const attempt = normaliseAttempt({ at: "2026-12-03T10:00:00Z", result: "temporary", status: null, duration_ms: 12 });
    expect(attempt).toMatchObject({ status: null, durationMs: 12, number: 0, transport: "" });
  });
});

describe("why a device is not reachable, in words", () => {
  it("never subscribed: « notifications non activées »", () => {
    expect(why({})).toBe("Notifications non activées");
  });

  it("gone at the push service: « abonnement expiré (HTTP 410) », from the worker's or a bare reason", () => {
    expect(why({ push_disabled_reason: "HTTP 410: abonnement expiré" })).toBe("Abonnement expiré (HTTP 410)");
    expect(why({ push_disabled_reason: "HTTP 410" })).toBe("Abonnement expiré (HTTP 410)");
    expect(why({ push_disabled_reason: "HTTP 404: abonnement expiré" })).toBe("Abonnement expiré (HTTP 404)");
  });

  it("withdrawn by its user, or its browser taken over by another account", () => {
    expect(why({ push_disabled_reason: "withdrawn" })).toBe("Notifications retirées sur l'appareil");
    expect(why({ push_disabled_reason: "replaced" })).toBe("Navigateur repris par un autre compte");
  });

  it("any other reason is shown as the server wrote it", () => {
    expect(why({ push_disabled_reason: "HTTP 403: refusé" })).toBe("Abonnement désactivé : HTTP 403: refusé");
  });

  it("a live subscription whose last push failed: « dernier envoi en échec », whatever an older one said", () => {
    expect(
      why({ push_live: 1, push_working: false, push_disabled_reason: "withdrawn", last_push_failure: "2026-12-03T10:00:00Z" }),
    ).toBe("Dernier envoi en échec");
  });

  it("in English too", () => {
    const expired = whyUnreachable(device({ push_disabled_reason: "HTTP 410: abonnement expiré" }));
    expect(expired).toEqual({ code: "expired", status: 410 });
    expect(t("channels.why.expired", { status: 410 }, "en")).toBe("Subscription expired (HTTP 410)");
  });

  it("says how a reachable device is reached", () => {
    expect(channelText(device({ reachable: true, push_live: 1, push_working: true }))).toBe("Notifications actives");
    expect(channelText(device({ reachable: true, role: "operateur", stream_connected: true }))).toBe("Console ouverte");
    expect(
      channelText(device({ reachable: true, push_live: 1, push_working: true, stream_connected: true })),
    ).toBe("Notifications actives, Console ouverte");
    expect(channelText(device({ push_disabled_reason: "HTTP 410" }))).toBe("Abonnement expiré (HTTP 410)");
  });
});

describe("the order and the summary", () => {
  const list = [
    device({ device: "d4", name: "Élodie Roux", reachable: true, push_live: 1, push_working: true }),
    device({ device: "d3", name: "Zoé Petit" }),
    device({ device: "d2", name: "Emma Durand", reachable: true, stream_connected: true }),
    device({ device: "d5", name: "élodie roux", role: "agent" }),
    device({ device: "d1", name: "Amine Said" }),
    device({ device: "d0", name: "Amine Said" }),
  ];

  it("puts the unreachable first, then by name (French, accents and case aside), then role and device", () => {
    expect(orderChannels(list).map((d) => d.device)).toEqual(["d0", "d1", "d5", "d3", "d4", "d2"]);
    // The input is left as it was.
    expect(list[0].device).toBe("d4");
  });

  it("keeps only the unreachable ones for the list", () => {
    expect(unreachableOf(list).map((d) => d.device)).toEqual(["d0", "d1", "d5", "d3"]);
  });

  it("counts them in words", () => {
    expect(unreachableSummary(0)).toBe("Tous les appareils sont joignables.");
    expect(unreachableSummary(1)).toBe("1 appareil injoignable");
    expect(unreachableSummary(3)).toBe("3 appareils injoignables");
  });

  it("names results and transports, and keeps an unknown one as it is", () => {
    expect(["ok", "temporary", "permanent", "lost"].map(resultText)).toEqual([
      "Remis",
      "Erreur temporaire",
      "Erreur définitive",
      "lost",
    ]);
    expect([transportText("webpush"), transportText("sms")]).toEqual(["Web Push", "sms"]);
  });
});

describe("who sees it", () => {
  it("follows the server's push.view_channels", () => {
    const session = (permissions: string[]) =>
      normaliseSession({ authenticated: true, membership: { id: "m", role: "operateur", status: "active" }, permissions });
    expect(mayViewChannels(session(["push.view_channels"]))).toBe(true);
    expect(mayViewChannels(session(["push.subscribe"]))).toBe(false);
  });

  it("follows only kinds the stream knows", () => {
    for (const kind of CHANNEL_KINDS) expect(KINDS).toContain(kind);
  });
});

/** The server at the network boundary: answers each path from `routes`, counting calls. */
function stubServer(routes: Record<string, () => unknown | Promise<unknown>>) {
  const calls: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string) => {
      calls.push(url);
      const path = url.replace(/^\/api\/v1/, "");
      const answer = routes[path.split("?")[0]];
      if (!answer) return new Response("{}", { status: 404 });
      return new Response(JSON.stringify(await answer()), {
        status: 200,
        headers: { "Content-Type": "application/json" },
      });
    }),
  );
  return calls;
}

function event(kind: string): StreamEvent {
  const parsed = parseEvent(
    kind,
    JSON.stringify({ seq: 9, kind, at: "x", actor_kind: "system", target_type: "pushsubscription", target_id: "s1", payload: { device: "d1" } }),
  );
  if (!parsed) throw new Error("bad event");
  return parsed;
}

afterEach(() => vi.unstubAllGlobals());

describe("the live list", () => {
  it("reads the list again on a push event, with the selected device's attempts, and says so", async () => {
    let devices = [raw({ reachable: true, push_live: 1, push_working: true })];
    const attempts = [{ at: "2026-12-03T10:00:00Z", transport: "webpush", device: "d1", seq: 3, number: 1, result: "ok", status: 201, duration_ms: 40, detail: "" }];
    const calls = stubServer({
      "/push/channels": () => ({ devices, unreachable: 0 }),
      "/push/attempts": () => attempts,
    });
    const model = createChannels();
    await model.load();
    expect(unreachableOf(model.state.get().devices ?? [])).toEqual([]);
    await model.select("d1");
    expect(calls.at(-1)).toBe("/api/v1/push/attempts?device=d1");
    expect(model.state.get().attempts?.map((a) => a.status)).toEqual([201]);

    devices = [raw({ push_disabled_reason: "HTTP 410: abonnement expiré", last_push_failure: "2026-12-03T10:01:00Z" })];
    await model.live(event("push.subscription_disabled"));
    const shown = unreachableOf(model.state.get().devices ?? []);
    expect(shown.map((d) => whyText(whyUnreachable(d)))).toEqual(["Abonnement expiré (HTTP 410)"]);
    expect(calls.filter((c) => c.startsWith("/api/v1/push/attempts"))).toHaveLength(2);
    expect(model.state.get().said).toBe("Joignabilité mise à jour : 1 appareil injoignable");

    // A device event changes the list, not the attempt log; said again only when the count moves.
    await model.live(event("device.certified"));
    expect(calls.filter((c) => c.startsWith("/api/v1/push/attempts"))).toHaveLength(2);
    expect(calls.filter((c) => c === "/api/v1/push/channels")).toHaveLength(3);
    devices = [...devices, raw({ device: "d2", name: "Sophie Martin" })];
    await model.live(event("device.certified"));
    expect(model.state.get().said).toBe("Joignabilité mise à jour : 2 appareils injoignables");
  });

  it("keeps the latest answer when two reads cross", async () => {
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    let call = 0;
    stubServer({
      "/push/channels": async () => {
        call += 1;
        if (call === 1) {
          await slow;
          return { devices: [raw({ name: "Ancienne réponse" })] };
        }
        return { devices: [raw({ name: "Nouvelle réponse" })] };
      },
    });
    const model = createChannels();
    const first = model.load();
    await model.load();
    release();
    await first;
    expect(model.state.get().devices?.map((d) => d.name)).toEqual(["Nouvelle réponse"]);
    expect(model.state.get().loading).toBe(false);
  });

  it("shows a refusal in words and keeps what it had", async () => {
    stubServer({ "/push/channels": () => ({ devices: [raw()] }) });
    const model = createChannels();
    await model.load();
    vi.stubGlobal(
      "fetch",
      vi.fn(async () =>
        new Response(JSON.stringify({ code: "forbidden", message: "Action non autorisée." }), {
          status: 403,
          headers: { "Content-Type": "application/json" },
        }),
      ),
    );
    await model.load();
    expect(model.state.get().error).toBe("Action non autorisée.");
    expect(model.state.get().devices).toHaveLength(1);
  });
});

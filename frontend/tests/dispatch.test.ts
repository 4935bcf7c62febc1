/**
 * Dispatch on the client (police/dispatch.ts, agent/model.ts, incidents/api.ts): the
 * panel's rows, the statuses in words, the agent's active list, and the grants the
 * console seals — with real WebCrypto, opened by the agent's devices as the agent's phone
 * does (incidents/read.ts through openEnvelopeWithGrant).
 */

import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";

import {
  activeIncidents,
  createAgentView,
  endedLabel,
  isActive,
  myDispatch,
  stepAllowed,
} from "../src/agent/model";
import { openEnvelopeWithGrant, parseContentKeyGrant } from "../src/envelope/contentGrant";
import { ENVELOPE_MESSAGES, type Binding, type Sealed } from "../src/envelope/envelope";
import { openEnvelope } from "../src/envelope/opening";
import { seal } from "../src/envelope/sealing";
import { setLang, t } from "../src/i18n";
import {
  normaliseCandidates,
  normaliseIncident,
  normaliseMessage,
  type DispatchCandidates,
  type DispatchSummary,
  type IncidentSummary,
} from "../src/incidents/api";
import { FlowError } from "../src/incidents/context";
import { parseEvent, type StreamEvent } from "../src/live/stream";
import type { MessageView } from "../src/incidents/read";
import {
  agentRows,
  availabilityLabel,
  buildGrants,
  buildMissingGrants,
  contentKeys,
  dispatchStatusLabel,
  missingKeys,
  type GrantingDevice,
} from "../src/police/dispatch";
import {
  COMMUNE,
  NOW,
  SHOP,
  makeWorld,
  openerOf,
  recipientOf,
  senderOf,
  type Device,
  type World,
} from "./envelope-world";

afterEach(() => setLang("fr"));

function sent(overrides: Partial<DispatchSummary> = {}): DispatchSummary {
  return {
    agent: "agent-1",
    name: "Julie Leroy",
    status: "dispatched",
    statusAt: "2026-12-03T10:00:00Z",
    outcome: null,
    dispatchedAt: "2026-12-03T10:00:00Z",
    releasedAt: null,
    ...overrides,
  };
}

function incident(id: string, overrides: Partial<IncidentSummary> = {}): IncidentSummary {
  return {
    ...normaliseIncident({
      id,
      commune: COMMUNE,
      shop: { id: SHOP, enseigne: `Boutique ${id}` },
      created_at: "2026-12-03T09:00:00Z",
      messages: 1,
      lifecycle: { state: "intervention" },
    }),
    ...overrides,
  };
}

describe("statuses in words", () => {
  it("says each status, and « terminé » with its outcome", () => {
    expect(dispatchStatusLabel(sent())).toBe("envoyé");
    expect(dispatchStatusLabel(sent({ status: "en_route" }))).toBe("en route");
    expect(dispatchStatusLabel(sent({ status: "on_site" }))).toBe("sur place");
    expect(dispatchStatusLabel(sent({ status: "done", outcome: "arrest" }))).toBe(
      "terminé — interpellation",
    );
    expect(dispatchStatusLabel(sent({ status: "done" }))).toBe("terminé");
  });

  it("names a bad grant as the envelope module does, in both languages", () => {
    expect(t("incident.error.bad_grant")).toBe(ENVELOPE_MESSAGES.bad_grant);
    expect(t("incident.error.bad_grant", {}, "en")).toMatch(/^This read authorisation/);
  });

  it("speaks English too", () => {
    setLang("en");
    expect(dispatchStatusLabel(sent({ status: "en_route" }))).toBe("on the way");
    expect(dispatchStatusLabel(sent({ status: "done", outcome: "false_alarm" }))).toBe(
      "done — false alarm",
    );
  });
});

describe("the panel's rows", () => {
  const candidates: DispatchCandidates = normaliseCandidates({
    incident: "incident-1",
    messages: ["m1"],
    agents: [
      { agent: "a1", name: "Julie Leroy", devices: [{ device: "d1", chain: [] }], active_elsewhere: 0, dispatch: null },
      { agent: "a2", name: "Marc Petit", devices: [{ device: "d2", chain: [] }], active_elsewhere: 2, dispatch: null },
      {
        agent: "a3",
        name: "Léa Roux",
        devices: [{ device: "d3", chain: [] }],
        active_elsewhere: 0,
        dispatch: { agent: "a3", name: "Léa Roux", status: "en_route", status_at: "x", dispatched_at: "x", released_at: null },
      },
      { agent: "a4", name: "Sans Appareil", devices: [], active_elsewhere: 0, dispatch: null },
      {
        agent: "a5",
        name: "Revenu Ici",
        devices: [{ device: "d5", chain: [] }],
        active_elsewhere: 0,
        dispatch: { agent: "a5", name: "Revenu Ici", status: "done", outcome: "left", released_at: "y" },
      },
    ],
  });

  it("says who is free, busy elsewhere, already sent, or without a device", () => {
    expect(agentRows(candidates).map((r) => [r.name, r.availability, r.disabled])).toEqual([
      ["Julie Leroy", "disponible", false],
      ["Marc Petit", "sur 2 autre(s) signalement(s)", false],
      ["Léa Roux", "déjà envoyé (en route)", true],
      ["Sans Appareil", "aucun appareil certifié : ne pourrait pas lire le signalement", true],
      // Done here: it may be sent again (the server reopens the same dispatch).
      ["Revenu Ici", "disponible", false],
    ]);
  });

  it("reads the server's answer defensively", () => {
    const raw = normaliseCandidates({ agents: [{ agent: 1 }], messages: "nope" });
    expect(raw.messages).toEqual([]);
    expect(raw.agents[0]).toEqual({ agent: "1", name: "", devices: [], activeElsewhere: 0, dispatch: null });
    expect(availabilityLabel(raw.agents[0])).toContain("aucun appareil");
  });
});

describe("the agent's list", () => {
  const agent = "agent-1";

  it("keeps the dispatches not released, newest dispatch first", () => {
    const older = incident("i1", { dispatches: [sent({ dispatchedAt: "2026-12-03T10:00:00Z" })] });
    const newer = incident("i2", { dispatches: [sent({ dispatchedAt: "2026-12-03T11:00:00Z" })] });
    const done = incident("i3", {
      dispatches: [sent({ status: "done", outcome: "arrest", releasedAt: "2026-12-03T12:00:00Z" })],
    });
    const closed = incident("i4", {
      lifecycle: { ...incident("x").lifecycle!, state: "closed" },
      dispatches: [sent({ releasedAt: "2026-12-03T12:00:00Z" })],
    });
    const other = incident("i5", { dispatches: [sent({ agent: "agent-2" })] });
    const list = [older, newer, done, closed, other];
    expect(activeIncidents(list, agent).map((i) => i.id)).toEqual(["i2", "i1"]);
    expect(isActive(other, agent)).toBe(false);
    expect(endedLabel(done, agent)).toBe("Intervention terminée");
    expect(endedLabel(closed, agent)).toBe("Signalement clôturé");
    expect(endedLabel(older, agent)).toBeNull();
  });

  it("offers only the steps ahead (one may be skipped), none once released", () => {
    const at = (status: DispatchSummary["status"]) => sent({ status });
    expect(["en_route", "on_site", "done"].map((s) => stepAllowed(at("dispatched"), s as never))).toEqual([true, true, true]);
    expect(["en_route", "on_site", "done"].map((s) => stepAllowed(at("en_route"), s as never))).toEqual([false, true, true]);
    expect(["en_route", "on_site", "done"].map((s) => stepAllowed(at("on_site"), s as never))).toEqual([false, false, true]);
    expect(stepAllowed(sent({ releasedAt: "x" }), "done")).toBe(false);
    expect(stepAllowed(null, "en_route")).toBe(false);
  });

  it("reads dispatches and grants from the server's JSON", () => {
    const read = normaliseIncident({
      id: "i1",
      dispatches: [{ agent: "agent-1", name: "Julie", status: "bogus", status_at: "t", outcome: "", released_at: null }],
    });
    expect(myDispatch(read, agent)).toMatchObject({ status: "dispatched", outcome: null, releasedAt: null });
    const message = normaliseMessage({
      id: "m1",
      envelope: {},
      grant: { body: "b", signature: "s", granter_chain: [{ body: "c", signature: "d" }] },
    });
    expect(message.grant).toEqual({
      doc: { body: "b", signature: "s" },
      granterChain: [{ body: "c", signature: "d" }],
    });
    expect(normaliseMessage({ id: "m2", envelope: {}, grant: null }).grant).toBeUndefined();
  });
});

describe("grants sealed by the console", () => {
  let world: World;
  let merchant: Device;
  let operator: Device;
  let phone: Device;
  let tablet: Device;
  let messages: { id: string; sealed: Sealed }[];
  let views: MessageView[];
  let granting: GrantingDevice;

  const binding = (message: string): Binding => ({ commune: COMMUNE, incident: "incident-1", message });

  function candidatesFor(devices: Device[], messageIds = messages.map((m) => m.id)): DispatchCandidates {
    return {
      incident: "incident-1",
      messages: messageIds,
      agents: [
        {
          agent: "agent-1",
          name: "Julie Leroy",
          devices: devices.map((d) => ({ device: d.id, chain: d.chain })),
          activeElsewhere: 0,
          dispatch: null,
        },
      ],
      missing: [],
    };
  }

  async function refusal(promise: Promise<unknown>): Promise<FlowError> {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FlowError);
    return error as FlowError;
  }

  beforeAll(async () => {
    world = await makeWorld();
    merchant = await world.device("merchant-device", "commercant", SHOP);
    operator = await world.device("operator-device", "operateur");
    phone = await world.device("agent-phone", "agent");
    tablet = await world.device("agent-tablet", "agent");
    messages = [];
    views = [];
    for (const id of ["message-1", "message-2"]) {
      const sealed = await seal(
        binding(id),
        senderOf(merchant),
        { text: `Vol en cours (${id})`, fields: {}, attachments: [] },
        [recipientOf(merchant), recipientOf(operator)],
        NOW - 60,
      );
      messages.push({ id, sealed });
      // What the console keeps when it opens the report.
      const opened = await openEnvelope(sealed.wire, [], binding(id), openerOf(operator), world.trust());
      views.push({
        id,
        sentAt: NOW - 60,
        senderDevice: merchant.id,
        receivedAt: "",
        opened: { text: opened.text, fields: {}, photos: [], sender: opened.sender, via: "service", contentKey: opened.contentKey },
        error: null,
      });
    }
    granting = {
      commune: COMMUNE,
      rootPublicKey: world.rootKey,
      pinnedFingerprint: world.rootPrint,
      signPrivate: operator.sign.privateKey,
      signKey: operator.signKey,
    };
  });

  it("covers every message × every device, each opened by its device alone", async () => {
    const keys = contentKeys(views);
    const grants = await buildGrants(granting, world.list0, candidatesFor([phone, tablet]), ["agent-1"], keys, NOW);
    expect(grants).toHaveLength(4);
    const pairs = grants.map((g) => {
      const body = parseContentKeyGrant(g);
      return `${body.message} ${body.recipient}`;
    });
    expect(new Set(pairs).size).toBe(4);
    for (const doc of grants) {
      const body = parseContentKeyGrant(doc);
      const device = body.recipient === phone.id ? phone : tablet;
      const message = messages.find((m) => m.id === body.message)!;
      const opened = await openEnvelopeWithGrant(
        message.sealed.wire,
        [],
        binding(message.id),
        doc,
        operator.chain,
        device.id,
        { privateKey: device.enc.privateKey, publicKey: device.encKey },
        world.trust(),
      );
      expect(opened.text).toBe(`Vol en cours (${message.id})`);
      const other = device === phone ? tablet : phone;
      await expect(
        openEnvelopeWithGrant(
          message.sealed.wire,
          [],
          binding(message.id),
          doc,
          operator.chain,
          other.id,
          { privateKey: other.enc.privateKey, publicKey: other.encKey },
          world.trust(),
        ),
      ).rejects.toMatchObject({ code: "not_a_recipient" });
    }
  });

  it("grants exactly what the server lists as missing: a tablet certified since", async () => {
    const keys = contentKeys(views);
    const candidates = {
      ...candidatesFor([phone, tablet]),
      missing: [{ message: messages[1].id, device: tablet.id }],
    };
    const [grant, ...more] = await buildMissingGrants(granting, world.list0, candidates, keys, NOW);
    expect(more).toEqual([]);
    const body = parseContentKeyGrant(grant);
    expect([body.message, body.recipient]).toEqual([messages[1].id, tablet.id]);
    const opened = await openEnvelopeWithGrant(
      messages[1].sealed.wire,
      [],
      binding(messages[1].id),
      grant,
      operator.chain,
      tablet.id,
      { privateKey: tablet.enc.privateKey, publicKey: tablet.encKey },
      world.trust(),
    );
    expect(opened.text).toBe(`Vol en cours (${messages[1].id})`);
    // A key this console never opened: nothing is granted (the next console will).
    const partial = contentKeys(views.slice(0, 1));
    expect(await buildMissingGrants(granting, world.list0, candidates, partial, NOW)).toEqual([]);
  });

  it("refuses it all when a message was not opened here", async () => {
    const keys = contentKeys(views.slice(0, 1));
    const candidates = candidatesFor([phone]);
    expect(missingKeys(candidates, keys)).toEqual(["message-2"]);
    const error = await refusal(buildGrants(granting, world.list0, candidates, ["agent-1"], keys, NOW));
    expect(error.code).toBe("missing_key");
    // A view that failed to open gives no key either.
    const failed = contentKeys([{ ...views[1], opened: null }]);
    expect(failed.size).toBe(0);
  });

  it("refuses a device that is not an agent's, or not the one listed", async () => {
    const keys = contentKeys(views);
    const asOperator = await refusal(
      buildGrants(granting, world.list0, candidatesFor([phone, operator]), ["agent-1"], keys, NOW),
    );
    expect(asOperator.code).toBe("not_allowed_recipient");
    expect(asOperator.message).toContain("Julie Leroy");
    const swapped = candidatesFor([phone]);
    swapped.agents[0].devices[0].device = tablet.id;
    expect((await refusal(buildGrants(granting, world.list0, swapped, ["agent-1"], keys, NOW))).code).toBe(
      "malformed",
    );
  });

  it("refuses a chain from another commune's root", async () => {
    const elsewhere = await makeWorld();
    const stranger = await elsewhere.device("stranger", "agent");
    const error = await refusal(
      buildGrants(granting, world.list0, candidatesFor([stranger]), ["agent-1"], contentKeys(views), NOW),
    );
    expect(error.message).toContain("n'a pas pu être vérifié");
  });

  it("needs at least one agent, with a device", async () => {
    const keys = contentKeys(views);
    expect((await refusal(buildGrants(granting, world.list0, candidatesFor([phone]), [], keys, NOW))).code).toBe(
      "agents_required",
    );
    expect((await refusal(buildGrants(granting, world.list0, candidatesFor([]), ["agent-1"], keys, NOW))).code).toBe(
      "agent_without_device",
    );
  });
});

describe("the agent's phone, live", () => {
  const agent = "agent-1";
  let served: unknown[] = [];
  let posted: { url: string; body: unknown }[] = [];

  const raw = (id: string, dispatch: Record<string, unknown> | null, state = "intervention") => ({
    id,
    commune: COMMUNE,
    shop: { id: SHOP, enseigne: `Boutique ${id}` },
    created_at: "2026-12-03T09:00:00Z",
    messages: 1,
    lifecycle: { state },
    dispatches: dispatch
      ? [{ agent, name: "Julie Leroy", status: "dispatched", status_at: "t", dispatched_at: "2026-12-03T10:00:00Z", released_at: null, ...dispatch }]
      : [],
  });

  function stubServer(): void {
    served = [];
    posted = [];
    vi.stubGlobal("document", { cookie: "" });
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init?: RequestInit) => {
        if (init?.method === "POST") {
          const body = JSON.parse(String(init.body));
          posted.push({ url, body });
          const incident = raw("i1", { status: body.status, outcome: body.outcome ?? null });
          served = [incident];
          return new Response(JSON.stringify({ incident }), { status: 200 });
        }
        return new Response(JSON.stringify(served), { status: 200 });
      }),
    );
  }

  function event(kind: string, payload: Record<string, unknown> = {}, target = "i1"): StreamEvent {
    const parsed = parseEvent(
      kind,
      JSON.stringify({ seq: 1, kind, at: "x", actor_kind: "member", target_type: "incident", target_id: target, shop: SHOP, payload }),
    );
    if (!parsed) throw new Error("bad event");
    return parsed;
  }

  afterEach(() => vi.unstubAllGlobals());

  it("announces a new dispatch after the resync, not what was there at start", async () => {
    stubServer();
    served = [raw("i0", {})];
    const model = createAgentView(COMMUNE, agent);
    await model.start();
    expect(model.state.get().alert).toBeNull();
    served = [raw("i1", {}), raw("i0", {})];
    await model.resync();
    expect(model.state.get().alert).toBe("Nouveau signalement : vous êtes envoyé chez Boutique i1.");
  });

  it("says a status set on another device, not its own, and the closure", async () => {
    stubServer();
    served = [raw("i1", {})];
    const model = createAgentView(COMMUNE, agent);
    await model.start();
    expect(await model.setStatus("i1", "en_route")).toBe(true);
    expect(posted).toEqual([{ url: "/api/v1/incidents/i1/dispatch/status", body: { status: "en_route" } }]);
    expect(model.state.get().step.said).toBe("Statut enregistré : en route.");
    await model.live(event("dispatch.status_changed", { agent, status: "en_route", outcome: "" }));
    expect(model.state.get().alert).toBeNull();
    served = [raw("i1", { status: "on_site" })];
    await model.live(event("dispatch.status_changed", { agent, status: "on_site", outcome: "" }));
    expect(model.state.get().alert).toBe("Boutique i1 : votre statut est passé à « sur place ».");
    served = [raw("i1", { status: "on_site", released_at: "2026-12-03T11:00:00Z" }, "closed")];
    await model.live(event("incident.closed", { state: "closed" }));
    expect(model.state.get().alert).toBe("Signalement de Boutique i1 clôturé.");
    expect(activeIncidents(model.state.get().incidents ?? [], agent)).toEqual([]);
  });

  it("sends « terminé » with its outcome, and shows a refusal in the server's words", async () => {
    stubServer();
    served = [raw("i1", { status: "on_site" })];
    const model = createAgentView(COMMUNE, agent);
    await model.start();
    expect(await model.setStatus("i1", "done", "arrest")).toBe(true);
    expect(posted[0].body).toEqual({ status: "done", outcome: "arrest" });
    expect(model.state.get().step.said).toBe("Statut enregistré : terminé — interpellation.");
    vi.stubGlobal(
      "fetch",
      vi.fn(async () =>
        new Response(
          JSON.stringify({ code: "dispatch_done", message: "Vous avez déjà terminé cette intervention. Rien n'a été modifié." }),
          { status: 409 },
        ),
      ),
    );
    expect(await model.setStatus("i1", "done", "arrest")).toBe(false);
    expect(model.state.get().step.error).toBe("Vous avez déjà terminé cette intervention. Rien n'a été modifié.");
  });
});

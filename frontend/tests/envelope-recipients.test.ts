/**
 * recipients.ts against a key directory that lies in every way docs/envelope.md names:
 * a substituted key, an uncertified device, a certificate filed under another device,
 * roles that must not receive, a rolled-back revocation list, a stale service key.
 */

import { beforeAll, describe, expect, it } from "vitest";

import { EnvelopeError } from "../src/envelope/envelope";
import {
  policeRecipients,
  resolveRecipients,
  SERVICE_ENTRY,
  type TrustState,
} from "../src/envelope/recipients";
import { generateServiceKey, issueServiceKey } from "../src/envelope/serviceKey";
import { x25519PublicOf } from "../src/envelope/hpke";
import { signDocument, type SignedDocument } from "../src/trust/chain";
import { COMMUNE, NOW, SHOP, entry, makeWorld, type Device, type World } from "./envelope-world";

let world: World;
let operator: Device;
let agent: Device;
let merchant: Device;
let otherShop: Device;
let referent: Device;
let revoked: Device;
let list0: SignedDocument;
let list1: SignedDocument;
let serviceWire: Record<string, unknown>;
let serviceKey: string;

const listed = (device: Device, chain = device.chain) => ({ device: device.id, chain });

function state(overrides: Partial<TrustState> = {}): TrustState {
  return {
    rootPublicKey: world.rootKey,
    pinnedFingerprint: world.rootPrint,
    commune: COMMUNE,
    lastRevocationNumber: 0,
    knownRevokedSerials: [],
    lastServiceKeyNumber: 0,
    ...overrides,
  };
}

function directory(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    purpose: "incident",
    shop: SHOP,
    revocations: { number: 1, ...list1, chain: [] },
    devices: [listed(operator), listed(agent), listed(merchant)],
    service_key: serviceWire,
    ...overrides,
  };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(EnvelopeError);
  expect((error as EnvelopeError).code).toBe(code);
}

beforeAll(async () => {
  world = await makeWorld();
  operator = await world.device("operator", "operateur");
  agent = await world.device("agent", "agent");
  merchant = await world.device("merchant", "commercant", SHOP);
  otherShop = await world.device("merchant-elsewhere", "commercant", "shop-2");
  referent = await world.device("referent", "referent");
  revoked = await world.device("revoked-merchant", "commercant", SHOP);
  list0 = await world.revocations(0, []);
  list1 = await world.revocations(1, [entry(revoked, NOW - 100)]);
  const service = await generateServiceKey();
  serviceKey = await x25519PublicOf(service.privateKey);
  const doc = await issueServiceKey(operator.sign.privateKey, {
    commune: COMMUNE,
    number: 2,
    publicKey: serviceKey,
    issuedAt: NOW,
    issuer: operator.signKey,
  });
  serviceWire = { ...doc, chain: operator.chain };
});

describe("resolving an incident's recipients", () => {
  it("keeps operators, agents, the shop's merchants and the service key, with certified keys", async () => {
    const resolution = await resolveRecipients(directory(), state(), NOW);
    expect(resolution.recipients).toEqual([
      { kind: "device", id: "agent", key: agent.encKey },
      { kind: "device", id: "merchant", key: merchant.encKey },
      { kind: "device", id: "operator", key: operator.encKey },
      { kind: "service", id: "police:2", key: serviceKey },
    ]);
    expect(resolution.refused).toEqual([]);
    expect(resolution.serviceKey?.number).toBe(2);
    expect(resolution.state).toEqual(
      state({
        lastRevocationNumber: 1,
        knownRevokedSerials: [revoked.cert.serial],
        lastServiceKeyNumber: 2,
      }),
    );
  });

  it("keeps, for a police note, the service key, operators and agents, never the shop", async () => {
    const resolution = await resolveRecipients(directory(), state(), NOW);
    expect(resolution.roles).toEqual({
      agent: "agent",
      merchant: "commercant",
      operator: "operateur",
    });
    expect(policeRecipients(resolution).map((r) => r.id)).toEqual([
      "agent",
      "operator",
      "police:2",
    ]);
  });

  it("refuses and reports each bad entry while the others still receive", async () => {
    // A key substituted in the leaf's body: the coordinator's signature no longer holds.
    const body = JSON.parse(merchant.chain[0].body) as Record<string, unknown>;
    const swapped = await signDocument({ ...body, enc_key: otherShop.encKey }, otherShop.sign.privateKey);
    const substituted = { body: swapped.body, signature: merchant.chain[0].signature };
    // A device certified by a root this device never pinned.
    const elsewhere = await makeWorld();
    const uncertified = await elsewhere.device("stranger", "operateur");
    const resolution = await resolveRecipients(
      directory({
        devices: [
          listed(operator),
          { device: merchant.id, chain: [substituted, ...merchant.chain.slice(1)] },
          listed(uncertified),
          { device: "someone-else", chain: agent.chain },
          listed(otherShop),
          listed(referent),
          listed(revoked),
          listed(operator),
          { chain: agent.chain },
        ],
      }),
      state(),
      NOW,
    );
    expect(resolution.recipients.map((r) => r.id)).toEqual(["operator", "police:2"]);
    expect(resolution.refused).toEqual([
      [merchant.id, "bad_signature"],
      ["stranger", "broken_chain"],
      ["someone-else", "malformed"],
      [otherShop.id, "not_allowed_recipient"],
      [referent.id, "not_allowed_recipient"],
      [revoked.id, "revoked"],
      [operator.id, "malformed"],
      ["", "malformed"],
    ]);
    // Never a key from outside a verified leaf.
    const keys = resolution.recipients.map((r) => r.key);
    expect(keys).not.toContain(otherShop.encKey);
    expect(keys).not.toContain(uncertified.encKey);
  });

  it("accepts a merchant of the reporting shop only", async () => {
    const noShop = await resolveRecipients(directory({ shop: null }), state(), NOW);
    expect(noShop.refused).toEqual([[merchant.id, "not_allowed_recipient"]]);
  });

  it("refuses a rolled-back revocation list, or one missing a serial seen revoked", async () => {
    await expectCode(resolveRecipients(directory(), state({ lastRevocationNumber: 2 }), NOW), "stale_revocations");
    await expectCode(
      resolveRecipients(
        directory({ revocations: { ...list0, chain: [] } }),
        state({ knownRevokedSerials: [revoked.cert.serial] }),
        NOW,
      ),
      "stale_revocations",
    );
    const forged = { ...list1, signature: list0.signature, chain: [] };
    await expectCode(resolveRecipients(directory({ revocations: forged }), state(), NOW), "bad_signature");
  });

  it("reports a stale or forged service key and falls back on the operators", async () => {
    const stale = await resolveRecipients(directory(), state({ lastServiceKeyNumber: 3 }), NOW);
    expect(stale.refused).toEqual([[SERVICE_ENTRY, "stale_service_key"]]);
    expect(stale.recipients.map((r) => r.kind)).toEqual(["device", "device", "device"]);
    expect(stale.state.lastServiceKeyNumber).toBe(3);
    const byMerchant = await resolveRecipients(
      directory({ service_key: { ...serviceWire, chain: merchant.chain } }),
      state(),
      NOW,
    );
    expect(byMerchant.refused).toEqual([[SERVICE_ENTRY, "not_allowed_recipient"]]);
  });

  it("refuses to seal when no police recipient verifies: call 17", async () => {
    await expectCode(
      resolveRecipients(directory({ devices: [listed(merchant), listed(agent)], service_key: null }), state(), NOW),
      "no_police_recipient",
    );
    await expectCode(
      resolveRecipients(directory({ devices: [listed(merchant)] }), state({ lastServiceKeyNumber: 5 }), NOW),
      "no_police_recipient",
    );
    const serviceOnly = await resolveRecipients(directory({ devices: [listed(merchant)] }), state(), NOW);
    expect(serviceOnly.recipients.map((r) => r.id)).toEqual(["merchant", "police:2"]);
  });

  it("refuses a directory that is not one", async () => {
    await expectCode(resolveRecipients(directory({ purpose: "everyone" }), state(), NOW), "malformed");
    await expectCode(resolveRecipients({ ...directory(), extra: 1 }, state(), NOW), "malformed");
    await expectCode(resolveRecipients([], state(), NOW), "malformed");
  });
});

describe("resolving a neighbour alert (sector)", () => {
  it("keeps merchants of every shop and nobody else, never the service key", async () => {
    const resolution = await resolveRecipients(
      directory({ purpose: "sector", shop: null, devices: [listed(merchant), listed(otherShop), listed(operator)] }),
      state(),
      NOW,
    );
    expect(resolution.recipients.map((r) => r.id)).toEqual([merchant.id, otherShop.id]);
    expect(resolution.refused).toEqual([
      [operator.id, "not_allowed_recipient"],
      [SERVICE_ENTRY, "not_allowed_recipient"],
    ]);
    expect(resolution.serviceKey).toBeNull();
  });
});

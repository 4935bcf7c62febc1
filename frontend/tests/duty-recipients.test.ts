/**
 * The fallback partner in recipients.ts (twin of maillage.wire.recipients): a verified
 * « partenaire » device is kept for a new report only, never for a message in an incident
 * nor a sector alert, and never stands in for the police recipient.
 */

import { beforeAll, describe, expect, it } from "vitest";

import { EnvelopeError } from "../src/envelope/envelope";
import { resolveRecipients, type TrustState } from "../src/envelope/recipients";
import { normaliseReachability } from "../src/duty/api";
import { COMMUNE, NOW, SHOP, makeWorld, type Device, type World } from "./envelope-world";

let world: World;
let operator: Device;
let merchant: Device;
let partner: Device;
let revocations: Record<string, unknown>;

const listed = (device: Device, extra: Record<string, unknown> = {}) => ({
  device: device.id,
  chain: device.chain,
  ...extra,
});

function state(): TrustState {
  return {
    rootPublicKey: world.rootKey,
    pinnedFingerprint: world.rootPrint,
    commune: COMMUNE,
    lastRevocationNumber: 0,
    knownRevokedSerials: [],
    lastServiceKeyNumber: 0,
  };
}

beforeAll(async () => {
  world = await makeWorld();
  operator = await world.device("operator", "operateur");
  merchant = await world.device("merchant", "commercant", SHOP);
  partner = await world.device("partner", "partenaire");
  revocations = { number: 1, ...(await world.revocations(1, [])), chain: [] };
});

function directory(purpose: string, devices: unknown[]): Record<string, unknown> {
  return {
    purpose,
    shop: purpose === "sector" ? null : SHOP,
    revocations,
    devices,
    service_key: null,
  };
}

describe("fallback recipients", () => {
  it("keeps a verified partner device for a new report", async () => {
    const result = await resolveRecipients(
      directory("report", [listed(operator), listed(merchant), listed(partner, { fallback: true })]),
      state(),
      NOW,
    );
    expect(result.refused).toEqual([]);
    expect(result.recipients.map((r) => r.id).sort()).toEqual(
      [operator.id, merchant.id, partner.id].sort(),
    );
  });

  it("refuses it for a message in an incident and for a sector alert", async () => {
    const incident = await resolveRecipients(
      directory("incident", [listed(operator), listed(partner)]),
      state(),
      NOW,
    );
    expect(incident.refused).toEqual([[partner.id, "not_allowed_recipient"]]);
    const sector = await resolveRecipients(
      directory("sector", [listed(merchant), listed(partner)]),
      state(),
      NOW,
    );
    expect(sector.refused).toEqual([[partner.id, "not_allowed_recipient"]]);
  });

  it("never counts it as the police recipient", async () => {
    const error = await resolveRecipients(
      directory("report", [listed(merchant), listed(partner, { fallback: true })]),
      state(),
      NOW,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvelopeError);
    expect((error as EnvelopeError).code).toBe("no_police_recipient");
  });
});

describe("reachability answers", () => {
  it("read a missing or odd answer as not reachable", () => {
    expect(normaliseReachability(null)).toEqual({
      reachable: false,
      onDuty: false,
      operatorsConnected: false,
      fallback: false,
    });
    expect(
      normaliseReachability({
        reachable: true,
        on_duty: true,
        operators_connected: true,
        fallback: "yes",
      }),
    ).toEqual({ reachable: true, onDuty: true, operatorsConnected: true, fallback: false });
  });
});

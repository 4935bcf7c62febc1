/**
 * contentGrant.ts: an operator device hands one message's key to an agent's device,
 * which then reads that message and no other (docs/envelope.md, "Dispatch").
 */

import { beforeAll, describe, expect, it } from "vitest";

import {
  openContentKeyGrant,
  openEnvelopeWithGrant,
  parseContentKeyGrant,
  sealContentKeyGrant,
  verifyGrantSignature,
} from "../src/envelope/contentGrant";
import { ENVELOPE_MESSAGES, EnvelopeError, type Binding, type Sealed } from "../src/envelope/envelope";
import { openEnvelope } from "../src/envelope/opening";
import { seal } from "../src/envelope/sealing";
import { b64urlDecode, b64urlEncode } from "../src/trust/b64";
import {
  fingerprint,
  signDocument,
  verifyRevocationList,
  type SignedDocument,
} from "../src/trust/chain";
import {
  COMMUNE,
  NOW,
  SHOP,
  entry,
  makeWorld,
  openerOf,
  recipientOf,
  senderOf,
  type Device,
  type World,
} from "./envelope-world";

let world: World;
let merchant: Device;
let operator: Device;
let agent: Device;
let sealed: Sealed;
let key: Uint8Array;

const PHOTO = crypto.getRandomValues(new Uint8Array(1500));

function binding(message = "message-1", incident = "incident-1"): Binding {
  return { commune: COMMUNE, incident, message };
}

const me = (device: Device) => ({ privateKey: device.enc.privateKey, publicKey: device.encKey });

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(EnvelopeError);
  expect((error as EnvelopeError).code).toBe(code);
}

function sealMessage(message: string): Promise<Sealed> {
  return seal(
    binding(message),
    senderOf(merchant),
    {
      text: `Vol à l'étalage (${message})`,
      fields: {},
      attachments: [{ data: PHOTO, media: "image/jpeg", width: 800, height: 600 }],
    },
    [recipientOf(merchant), recipientOf(operator)],
    NOW - 120,
  );
}

async function keyOf(envelope: Sealed, message: string): Promise<Uint8Array> {
  const opened = await openEnvelope(envelope.wire, envelope.attachments, binding(message), openerOf(operator), world.trust());
  return opened.contentKey;
}

interface GrantOptions {
  by?: Device;
  message?: string;
  incident?: string;
  issuedAt?: number;
}

function grantTo(to: Device, contentKey: Uint8Array, options: GrantOptions = {}): Promise<SignedDocument> {
  const by = options.by ?? operator;
  return sealContentKeyGrant(by.sign.privateKey, {
    commune: COMMUNE,
    incident: options.incident ?? "incident-1",
    message: options.message ?? "message-1",
    recipientDevice: to.id,
    recipientKey: to.encKey,
    contentKey,
    issuedAt: options.issuedAt ?? NOW - 60,
    issuer: by.signKey,
  });
}

function openWith(
  envelope: Sealed,
  grant: SignedDocument,
  granter: Device,
  opener: Device,
  message = "message-1",
  trust = world.trust(),
) {
  return openEnvelopeWithGrant(
    envelope.wire,
    envelope.attachments,
    binding(message),
    grant,
    granter.chain,
    opener.id,
    me(opener),
    trust,
  );
}

async function resign(grant: SignedDocument, by: Device, changes: Record<string, unknown>): Promise<SignedDocument> {
  return signDocument({ ...(JSON.parse(grant.body) as Record<string, unknown>), ...changes }, by.sign.privateKey);
}

beforeAll(async () => {
  world = await makeWorld();
  merchant = await world.device("merchant-1", "commercant", SHOP);
  operator = await world.device("operator-1", "operateur");
  agent = await world.device("agent-1", "agent");
  sealed = await sealMessage("message-1");
  key = await keyOf(sealed, "message-1");
});

describe("a content-key grant", () => {
  it("lets the agent read the message it was granted, with the operator's K", async () => {
    const fromMerchant = await openEnvelope(sealed.wire, sealed.attachments, binding(), openerOf(merchant), world.trust());
    expect(key.length).toBe(32);
    expect(fromMerchant.contentKey).toEqual(key);
    const grant = await grantTo(agent, key);
    expect(parseContentKeyGrant(grant)).toEqual({
      commune: COMMUNE,
      incident: "incident-1",
      message: "message-1",
      recipient: agent.id,
      recipient_key: agent.encKey,
      enc: expect.any(String),
      wrapped: expect.any(String),
      issued_at: NOW - 60,
      issuer: await fingerprint(b64urlDecode(operator.signKey)),
    });
    expect(await openContentKeyGrant(grant, operator.chain, agent.id, me(agent), world.trust())).toEqual(key);
    const opened = await openWith(sealed, grant, operator, agent);
    expect(opened.text).toBe("Vol à l'étalage (message-1)");
    expect(opened.attachments[0].data).toEqual(PHOTO);
    expect(opened.contentKey).toEqual(key);
    expect(opened.sender.role).toBe("commercant");
  });

  it("for another message or incident does not open this one", async () => {
    const other = await sealMessage("message-2");
    const otherKey = await keyOf(other, "message-2");
    const grant = await grantTo(agent, otherKey, { message: "message-2" });
    expect((await openWith(other, grant, operator, agent, "message-2")).text).toContain("message-2");
    await expectCode(openWith(sealed, grant, operator, agent), "wrong_context");
    await expectCode(openWith(sealed, await grantTo(agent, otherKey, { incident: "incident-2" }), operator, agent), "wrong_context");
  });

  it("naming this message but carrying another key fails as undecryptable", async () => {
    const grant = await grantTo(agent, crypto.getRandomValues(new Uint8Array(32)));
    await expectCode(openWith(sealed, grant, operator, agent), "undecryptable");
  });

  it("signed by an agent's device is refused", async () => {
    const second = await world.device("agent-2", "agent");
    await expectCode(openWith(sealed, await grantTo(second, key, { by: agent }), agent, second), "not_allowed_recipient");
  });

  it("opens only on the device and key it names", async () => {
    const grant = await grantTo(agent, key);
    const other = await world.device("agent-3", "agent");
    await expectCode(openWith(sealed, grant, operator, other), "not_a_recipient");
    await expectCode(
      openContentKeyGrant(grant, operator.chain, agent.id, { ...me(agent), publicKey: other.encKey }, world.trust()),
      "not_a_recipient",
    );
  });

  it("with a tampered signature or another signer's chain is a bad grant", async () => {
    const grant = await grantTo(agent, key);
    const other = await grantTo(agent, key, { message: "message-2" });
    await expectCode(openWith(sealed, { body: grant.body, signature: other.signature }, operator, agent), "bad_grant");
    const second = await world.device("operator-2", "operateur");
    await expectCode(openWith(sealed, grant, second, agent), "bad_grant");
    expect(ENVELOPE_MESSAGES.bad_grant).toMatch(/^Cette autorisation/);
  });

  it("with its wrapped key altered and re-signed is undecryptable", async () => {
    const grant = await grantTo(agent, key);
    const wrapped = b64urlDecode(parseContentKeyGrant(grant).wrapped);
    wrapped[5] ^= 1;
    const altered = await resign(grant, operator, { wrapped: b64urlEncode(wrapped) });
    await expectCode(openWith(sealed, altered, operator, agent), "undecryptable");
  });

  it("is judged as of its issued_at", async () => {
    const before = await grantTo(agent, key, { issuedAt: NOW - 60 });
    const after = await grantTo(agent, key, { issuedAt: NOW - 10 });
    const doc = await world.revocations(1, [entry(operator, NOW - 30)]);
    const list = await verifyRevocationList(doc, [], world.rootKey, world.rootPrint, COMMUNE, 0, NOW);
    const trust = world.trust(list);
    expect((await openWith(sealed, before, operator, agent, "message-1", trust)).contentKey).toEqual(key);
    await expectCode(openWith(sealed, after, operator, agent, "message-1", trust), "revoked");
  });

  it("of another commune is refused", async () => {
    const foreign = await resign(await grantTo(agent, key), operator, { commune: "commune-2" });
    await expectCode(openWith(sealed, foreign, operator, agent), "wrong_commune");
  });

  it("leaves the envelope's own checks first", async () => {
    const grant = await grantTo(agent, key);
    const altered = new Uint8Array(sealed.attachments[0]);
    altered[0] ^= 1;
    await expectCode(openWith({ wire: sealed.wire, attachments: [altered] }, grant, operator, agent), "tampered");
  });

  it("is checked by the server against the granting device's certificate", async () => {
    const grant = await grantTo(agent, key);
    expect((await verifyGrantSignature(grant, operator.cert.sign_key)).recipient).toBe(agent.id);
    await expectCode(verifyGrantSignature(grant, agent.cert.sign_key), "bad_grant");
    await expectCode(verifyGrantSignature(grant, "AAAA"), "malformed");
  });
});

describe("a grant's shape", () => {
  for (const [label, change] of [
    ["extra field", { note: "x" }],
    ["service-key grant type", { type: "maillage.service-key-grant" }],
    ["v 2", { v: 2 }],
    ["v true", { v: true }],
    ["message not an identifier", { message: "pas un identifiant" }],
    ["wrapped of 47 bytes", { wrapped: b64urlEncode(new Uint8Array(47)) }],
    ["enc too short", { enc: "AAAA" }],
    ["issued_at negative", { issued_at: -1 }],
  ] as const) {
    it(`${label} is a bad grant`, async () => {
      const grant = await resign(await grantTo(agent, key), operator, change);
      expect(() => parseContentKeyGrant(grant)).toThrow(EnvelopeError);
      await expectCode(openContentKeyGrant(grant, operator.chain, agent.id, me(agent), world.trust()), "bad_grant");
    });
  }

  it("a non-canonical body or a short signature is a bad grant", async () => {
    const grant = await grantTo(agent, key);
    for (const doc of [
      { body: JSON.stringify(JSON.parse(grant.body), null, 1), signature: grant.signature },
      { body: grant.body, signature: grant.signature.slice(0, -4) },
    ]) {
      await expectCode(openContentKeyGrant(doc, operator.chain, agent.id, me(agent), world.trust()), "bad_grant");
    }
  });

  it("sealing refuses bad inputs", async () => {
    for (const bad of [
      { contentKey: key.slice(0, 31) },
      { recipientKey: "AAAA" },
      { incident: "a b" },
      { recipientDevice: "" },
      { issuedAt: -5 },
      { issuer: agent.signKey },
    ]) {
      await expectCode(
        sealContentKeyGrant(operator.sign.privateKey, {
          commune: COMMUNE,
          incident: "incident-1",
          message: "message-1",
          recipientDevice: agent.id,
          recipientKey: agent.encKey,
          contentKey: key,
          issuedAt: NOW,
          issuer: operator.signKey,
          ...bad,
        }),
        "malformed",
      );
    }
  });
});

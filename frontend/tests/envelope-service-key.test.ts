/**
 * serviceKey.ts: publishing a police service key generation, checking it as a sender
 * does, and handing its private half to another operator device through a grant.
 */

import { beforeAll, describe, expect, it } from "vitest";

import { EnvelopeError } from "../src/envelope/envelope";
import { seal } from "../src/envelope/sealing";
import { openEnvelope } from "../src/envelope/opening";
import { x25519PublicOf } from "../src/envelope/hpke";
import {
  generateServiceKey,
  issueServiceKey,
  openGrant,
  parseGrant,
  sealGrant,
  serviceRecipient,
  verifyServiceKey,
  type ServiceKeyDocument,
} from "../src/envelope/serviceKey";
import { b64urlEncode } from "../src/trust/b64";
import {
  fingerprint,
  signDocument,
  verifyRevocationList,
  type RevocationList,
  type SignedDocument,
} from "../src/trust/chain";
import { b64urlDecode } from "../src/trust/b64";
import {
  COMMUNE,
  NOW,
  SHOP,
  entry,
  makeWorld,
  recipientOf,
  senderOf,
  type Device,
  type World,
} from "./envelope-world";

let world: World;
let holder: Device;
let newcomer: Device;
let merchant: Device;
let service: CryptoKeyPair;
let servicePublic: string;
let published: SignedDocument;

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(EnvelopeError);
  expect((error as EnvelopeError).code).toBe(code);
}

function issue(by: Device, number = 1, key = servicePublic, commune = COMMUNE) {
  return issueServiceKey(by.sign.privateKey, {
    commune,
    number,
    publicKey: key,
    issuedAt: NOW,
    issuer: by.signKey,
  });
}

function grantTo(to: Device, by: Device = holder, privateKey = service.privateKey, number = 1) {
  return sealGrant(by.sign.privateKey, {
    commune: COMMUNE,
    number,
    recipientDevice: to.id,
    recipientKey: to.encKey,
    servicePrivateKey: privateKey,
    issuedAt: NOW,
    issuer: by.signKey,
  });
}

async function listRevoking(device: Device, at = NOW - 1): Promise<RevocationList> {
  const doc = await world.revocations(1, [entry(device, at)]);
  return verifyRevocationList(doc, [], world.rootKey, world.rootPrint, COMMUNE, 0, NOW);
}

beforeAll(async () => {
  world = await makeWorld();
  holder = await world.device("operator-1", "operateur");
  newcomer = await world.device("operator-2", "operateur");
  merchant = await world.device("merchant-1", "commercant", SHOP);
  service = await generateServiceKey();
  servicePublic = await x25519PublicOf(service.privateKey);
  published = await issue(holder);
});

describe("a published generation", () => {
  it("verifies when an operator device signed it, and names the recipient police:<n>", async () => {
    const doc = await verifyServiceKey({ ...published, chain: holder.chain }, world.trust(), NOW);
    expect(doc).toMatchObject({ commune: COMMUNE, service: "police", number: 1, key: servicePublic });
    expect(doc.issuer).toBe(await fingerprint(b64urlDecode(holder.signKey)));
    expect(serviceRecipient(doc)).toEqual({ kind: "service", id: "police:1", key: servicePublic });
    expect(service.privateKey.extractable).toBe(true);
  });

  it("is refused when older than the newest generation this device verified", async () => {
    const wire = { ...published, chain: holder.chain };
    await expect(verifyServiceKey(wire, world.trust(), NOW, 1)).resolves.toBeDefined();
    await expectCode(verifyServiceKey(wire, world.trust(), NOW, 2), "stale_service_key");
  });

  it("is refused when signed by a device that is not an operator's", async () => {
    const doc = await issue(merchant);
    await expectCode(verifyServiceKey({ ...doc, chain: merchant.chain }, world.trust(), NOW), "not_allowed_recipient");
  });

  it("stops verifying once its signer is revoked", async () => {
    await expectCode(
      verifyServiceKey({ ...published, chain: holder.chain }, world.trust(await listRevoking(holder)), NOW),
      "revoked",
    );
  });

  it("is refused when altered, when its issuer is another device, or for another commune", async () => {
    const body = JSON.parse(published.body) as Record<string, unknown>;
    const altered = await signDocument({ ...body, number: 2 }, newcomer.sign.privateKey);
    await expectCode(
      verifyServiceKey({ body: altered.body, signature: published.signature, chain: holder.chain }, world.trust(), NOW),
      "bad_signature",
    );
    // Signed by the holder, but naming the newcomer as issuer.
    const claimed = await signDocument(
      { ...body, issuer: await fingerprint(b64urlDecode(newcomer.signKey)) },
      holder.sign.privateKey,
    );
    await expectCode(verifyServiceKey({ ...claimed, chain: holder.chain }, world.trust(), NOW), "broken_chain");
    const elsewhere = await issue(holder, 1, servicePublic, "commune-2");
    await expectCode(verifyServiceKey({ ...elsewhere, chain: holder.chain }, world.trust(), NOW), "wrong_commune");
    await expectCode(verifyServiceKey({ ...published }, world.trust(), NOW), "malformed");
  });

  it("cannot be issued under a key other than the signing one", async () => {
    const wrongIssuer = issueServiceKey(holder.sign.privateKey, {
      commune: COMMUNE,
      number: 1,
      publicKey: servicePublic,
      issuedAt: NOW,
      issuer: await fingerprint(b64urlDecode(holder.signKey)),
    });
    await expectCode(wrongIssuer, "malformed");
    await expectCode(issue(holder, 0), "malformed");
    // A device key (non-extractable) cannot be granted: only service keys are re-wrapped.
    await expectCode(grantTo(newcomer, holder, merchant.enc.privateKey), "malformed");
  });
});

describe("a grant", () => {
  let doc: ServiceKeyDocument;

  beforeAll(async () => {
    doc = await verifyServiceKey({ ...published, chain: holder.chain }, world.trust(), NOW);
  });

  const me = (device: Device) => ({ privateKey: device.enc.privateKey, publicKey: device.encKey });

  it("hands the private key to a new operator device, which then reads police history", async () => {
    const history = await seal(
      { commune: COMMUNE, incident: "incident-1", message: "message-1" },
      senderOf(merchant),
      { text: "avant l'arrivée du nouvel opérateur", fields: {}, attachments: [] },
      [recipientOf(merchant), serviceRecipient(doc)],
      NOW - 100,
    );
    const grant = await grantTo(newcomer);
    expect(parseGrant(grant)).toMatchObject({ recipient: newcomer.id, recipient_key: newcomer.encKey, number: 1 });
    expect(grant.body).not.toContain(b64urlEncode(new Uint8Array(await crypto.subtle.exportKey("pkcs8", service.privateKey)).slice(16)));
    const key = await openGrant(grant, holder.chain, newcomer.id, me(newcomer), doc, world.trust(), NOW);
    expect(key.extractable).toBe(true);
    expect(await x25519PublicOf(key)).toBe(servicePublic);
    const opened = await openEnvelope(
      history.wire,
      [],
      { commune: COMMUNE, incident: "incident-1", message: "message-1" },
      { kind: "service", id: "police:1", privateKey: key, publicKey: servicePublic },
      world.trust(),
    );
    expect(opened.text).toBe("avant l'arrivée du nouvel opérateur");
  });

  it("opens only on the device it names, with the key it names", async () => {
    const grant = await grantTo(newcomer);
    await expectCode(openGrant(grant, holder.chain, merchant.id, me(merchant), doc, world.trust(), NOW), "not_a_recipient");
    await expectCode(
      openGrant(grant, holder.chain, newcomer.id, { ...me(newcomer), publicKey: merchant.encKey }, doc, world.trust(), NOW),
      "not_a_recipient",
    );
    await expectCode(
      openGrant(grant, holder.chain, newcomer.id, { ...me(newcomer), privateKey: merchant.enc.privateKey }, doc, world.trust(), NOW),
      "undecryptable",
    );
  });

  it("is refused when it wraps another key than the published one, or another generation", async () => {
    const other = await generateServiceKey();
    await expectCode(
      openGrant(await grantTo(newcomer, holder, other.privateKey), holder.chain, newcomer.id, me(newcomer), doc, world.trust(), NOW),
      "wrong_service_key",
    );
    await expectCode(
      openGrant(await grantTo(newcomer, holder, service.privateKey, 2), holder.chain, newcomer.id, me(newcomer), doc, world.trust(), NOW),
      "wrong_service_key",
    );
  });

  it("is refused when its granter is revoked or is not an operator device", async () => {
    const grant = await grantTo(newcomer);
    await expectCode(
      openGrant(grant, holder.chain, newcomer.id, me(newcomer), doc, world.trust(await listRevoking(holder)), NOW),
      "revoked",
    );
    const byMerchant = await grantTo(newcomer, merchant);
    await expectCode(openGrant(byMerchant, merchant.chain, newcomer.id, me(newcomer), doc, world.trust(), NOW), "not_allowed_recipient");
    await expectCode(openGrant(grant, newcomer.chain, newcomer.id, me(newcomer), doc, world.trust(), NOW), "broken_chain");
  });

  it("still opens when its granter was revoked after granting (the key check is what counts)", async () => {
    const grant = await grantTo(newcomer);
    const revokedLater = world.trust(await listRevoking(holder, NOW + 10));
    const key = await openGrant(grant, holder.chain, newcomer.id, me(newcomer), doc, revokedLater, NOW + 20);
    expect(await x25519PublicOf(key)).toBe(servicePublic);
  });
});

describe("an older generation, judged as of its issue", () => {
  const issuedAt = NOW - 1_000;
  let older: SignedDocument;

  beforeAll(async () => {
    older = await issueServiceKey(holder.sign.privateKey, {
      commune: COMMUNE,
      number: 1,
      publicKey: servicePublic,
      issuedAt,
      issuer: holder.signKey,
    });
  });

  it("still verifies when its signer was revoked after issuing it, but not as the current one", async () => {
    const trust = world.trust(await listRevoking(holder, issuedAt + 10));
    const wire = { ...older, chain: holder.chain };
    const doc = await verifyServiceKey(wire, trust, NOW, 0, { asOfIssue: true });
    expect(doc).toMatchObject({ number: 1, key: servicePublic, issued_at: issuedAt });
    await expectCode(verifyServiceKey(wire, trust, NOW), "revoked");
  });

  it("is refused when its signer was revoked before issuing it", async () => {
    const trust = world.trust(await listRevoking(holder, issuedAt - 10));
    await expectCode(
      verifyServiceKey({ ...older, chain: holder.chain }, trust, NOW, 0, { asOfIssue: true }),
      "revoked",
    );
  });

  it("is not stale when newer generations were verified since", async () => {
    const wire = { ...older, chain: holder.chain };
    await expectCode(verifyServiceKey(wire, world.trust(), NOW, 2), "stale_service_key");
    const doc = await verifyServiceKey(wire, world.trust(), NOW, 2, { asOfIssue: true });
    expect(doc.number).toBe(1);
  });

  it("is refused when dated before its signer was certified", async () => {
    const backdated = await issueServiceKey(holder.sign.privateKey, {
      commune: COMMUNE,
      number: 1,
      publicKey: servicePublic,
      issuedAt: holder.cert.issued_at - 10_000,
      issuer: holder.signKey,
    });
    const wire = { ...backdated, chain: holder.chain };
    await expect(verifyServiceKey(wire, world.trust(), NOW)).resolves.toBeDefined();
    await expectCode(verifyServiceKey(wire, world.trust(), NOW, 0, { asOfIssue: true }), "expired");
  });

  it("keeps every other check: operator signer, signature, commune", async () => {
    const byMerchant = await issueServiceKey(merchant.sign.privateKey, {
      commune: COMMUNE,
      number: 1,
      publicKey: servicePublic,
      issuedAt,
      issuer: merchant.signKey,
    });
    await expectCode(
      verifyServiceKey({ ...byMerchant, chain: merchant.chain }, world.trust(), NOW, 0, { asOfIssue: true }),
      "not_allowed_recipient",
    );
    const body = JSON.parse(older.body) as Record<string, unknown>;
    const altered = await signDocument({ ...body, number: 2 }, newcomer.sign.privateKey);
    await expectCode(
      verifyServiceKey(
        { body: altered.body, signature: older.signature, chain: holder.chain },
        world.trust(),
        NOW,
        0,
        { asOfIssue: true },
      ),
      "bad_signature",
    );
    const elsewhere = await issueServiceKey(holder.sign.privateKey, {
      commune: "commune-2",
      number: 1,
      publicKey: servicePublic,
      issuedAt,
      issuer: holder.signKey,
    });
    await expectCode(
      verifyServiceKey({ ...elsewhere, chain: holder.chain }, world.trust(), NOW, 0, { asOfIssue: true }),
      "wrong_commune",
    );
  });
});

/**
 * Writes tests/vectors/service-key-v1-ts.json: service-key documents signed and grants
 * sealed by serviceKey.ts, for src/maillage/wire (Python) to verify and open. Run:
 * `cd frontend && npm run vectors`.
 *
 * Reuses the keys, chains, revocation list and police keys of the Python file
 * (service-key-v1.json), so the expected outcomes are those of the same situations.
 * Every case is checked here before the file is written. Recipient selection has no
 * TypeScript-made data (the directory comes from the server) and stays in the Python
 * file, which both languages read. Test keys only.
 */

import { expect, it } from "vitest";

import pythonVectors from "../../tests/vectors/service-key-v1.json";
import { ENVELOPE_MESSAGES, EnvelopeError, type TrustContext } from "../src/envelope/envelope";
import { importX25519Private, x25519PublicOf } from "../src/envelope/hpke";
import { issueServiceKey, openGrant, sealGrant, verifyServiceKey } from "../src/envelope/serviceKey";
import { b64urlDecode, b64urlEncode } from "../src/trust/b64";
import {
  parseCertificate,
  signDocument,
  verifyRevocationList,
  type SignedDocument,
} from "../src/trust/chain";
import { importEd25519Seed } from "../tests/envelope-vector-types";
import type {
  Expect,
  GrantCase,
  ServiceKeyCase,
  ServiceKeyVectors,
} from "../tests/service-key-vector-types";

const source = pythonVectors as unknown as ServiceKeyVectors;
const OUTPUT = new URL("../../tests/vectors/service-key-v1-ts.json", import.meta.url);
const NOW = source.now;
const KEY_ISSUED = NOW - 86400;
const REVOKED_AT = KEY_ISSUED + 5000;

interface Signed {
  body: string;
  signature: string;
  chain: SignedDocument[];
}

async function trust(): Promise<TrustContext> {
  const revocations = await verifyRevocationList(
    source.revocations,
    source.revocations.chain,
    source.root.public_key,
    source.root.fingerprint,
    source.commune,
    0,
    NOW,
  );
  return {
    rootPublicKey: source.root.public_key,
    pinnedFingerprint: source.root.fingerprint,
    commune: source.commune,
    revocations,
  };
}

async function signer(name: string): Promise<{ key: CryptoKey; issuer: string; chain: SignedDocument[] }> {
  const device = source.devices[name];
  return {
    key: await importEd25519Seed(device.sign_private),
    issuer: parseCertificate(device.chain[0]).sign_key,
    chain: device.chain,
  };
}

async function policePublic(number: number): Promise<string> {
  return x25519PublicOf(await importX25519Private(b64urlDecode(source.police[String(number)]), true));
}

async function document(
  number: number,
  by = "operator",
  issuedAt = KEY_ISSUED,
): Promise<Signed> {
  const s = await signer(by);
  const doc = await issueServiceKey(s.key, {
    commune: source.commune,
    number,
    publicKey: await policePublic(number),
    issuedAt,
    issuer: s.issuer,
  });
  return { ...doc, chain: s.chain };
}

async function outcome(work: () => Promise<Record<string, unknown>>): Promise<Expect> {
  try {
    return { ok: true, ...(await work()) };
  } catch (error) {
    if (error instanceof EnvelopeError) return { ok: false, code: error.code };
    throw error;
  }
}

async function serviceKeyCase(
  name: string,
  description: string,
  wire: Signed,
  expected: Expect,
  lastSeen = 0,
  asOfIssue = false,
): Promise<ServiceKeyCase> {
  const got = await outcome(async () => {
    const body = await verifyServiceKey(wire, await trust(), NOW, lastSeen, { asOfIssue });
    return { number: body.number, key: body.key };
  });
  expect(got, name).toEqual(expected);
  return { name, description, wire, last_seen_number: lastSeen, as_of_issue: asOfIssue, expect: expected };
}

interface GrantOptions {
  by?: string;
  number?: number;
  /** The generation whose private key is wrapped; `number` unless a case lies. */
  police?: number;
  issuedAt?: number;
}

async function grant(
  recipient: string,
  options: GrantOptions = {},
): Promise<{ grant: SignedDocument; granter_chain: SignedDocument[] }> {
  const number = options.number ?? 2;
  const police = options.police ?? number;
  const issuedAt = options.issuedAt ?? KEY_ISSUED + 60;
  const s = await signer(options.by ?? "operator");
  const doc = await sealGrant(s.key, {
    commune: source.commune,
    number,
    recipientDevice: source.devices[recipient].device,
    recipientKey: source.devices[recipient].public_key,
    servicePrivateKey: await importX25519Private(b64urlDecode(source.police[String(police)]), true),
    issuedAt,
    issuer: s.issuer,
  });
  return { grant: doc, granter_chain: s.chain };
}

async function grantCase(
  name: string,
  description: string,
  granted: { grant: SignedDocument; granter_chain: SignedDocument[] },
  opener: string,
  expected: Expect,
): Promise<GrantCase> {
  const context = await trust();
  const serviceKey = await document(2);
  const verified = await verifyServiceKey(serviceKey, context, NOW);
  const fixture = source.devices[opener];
  const me = {
    privateKey: await importX25519Private(b64urlDecode(fixture.private_key), false),
    publicKey: fixture.public_key,
  };
  const got = await outcome(async () => {
    const key = await openGrant(
      granted.grant,
      granted.granter_chain,
      fixture.device,
      me,
      verified,
      context,
      NOW,
    );
    return { public_key: await x25519PublicOf(key) };
  });
  expect(got, name).toEqual(expected);
  return { name, description, ...granted, service_key: serviceKey, opener, expect: expected };
}

async function serviceKeyCases(): Promise<ServiceKeyCase[]> {
  const valid = await document(2);
  const ok2: Expect = { ok: true, number: 2, key: await policePublic(2) };
  const byRevoked = await document(1, "revoked_operator");
  return [
    await serviceKeyCase("valid", "Generation 2 signed by an operator device.", valid, ok2),
    await serviceKeyCase("stale", "Older than the newest generation verified.", valid,
      { ok: false, code: "stale_service_key" }, 3),
    await serviceKeyCase("older_generation_for_history", "Read as of its issued_at.", valid, ok2, 3, true),
    await serviceKeyCase("signed_by_merchant", "Only operator devices sign service keys.",
      await document(2, "merchant"), { ok: false, code: "not_allowed_recipient" }),
    await serviceKeyCase("signer_revoked", "Signed by an operator device revoked since.", byRevoked,
      { ok: false, code: "revoked" }),
    await serviceKeyCase("signer_revoked_after_issue_as_of_issue", "Valid at its issued_at.",
      byRevoked, { ok: true, number: 1, key: await policePublic(1) }, 0, true),
    await serviceKeyCase("signer_revoked_before_issue_as_of_issue", "Issued after the revocation.",
      await document(1, "revoked_operator", REVOKED_AT + 10), { ok: false, code: "revoked" }, 0, true),
    await serviceKeyCase("bad_signature", "Signature of another body.",
      { ...valid, signature: (await document(3)).signature }, { ok: false, code: "bad_signature" }),
  ];
}

async function grantCases(): Promise<GrantCase[]> {
  const ok: Expect = { ok: true, public_key: await policePublic(2) };
  const valid = await grant("second_operator");
  const body = JSON.parse(valid.grant.body) as Record<string, unknown>;
  const wrapped = b64urlDecode(body.wrapped as string);
  wrapped[0] ^= 1;
  const operator = await signer("operator");
  const altered = await signDocument({ ...body, wrapped: b64urlEncode(wrapped) }, operator.key);
  return [
    await grantCase("valid", "Generation 2 granted to the second operator.", valid, "second_operator", ok),
    await grantCase("other_device", "Opened by a device it was not granted to.", valid,
      "third_operator", { ok: false, code: "not_a_recipient" }),
    await grantCase("other_generation", "A grant of generation 3 against generation 2.",
      await grant("second_operator", { number: 3 }), "second_operator",
      { ok: false, code: "wrong_service_key" }),
    await grantCase("not_the_published_key", "Wraps generation 3's private key as generation 2.",
      await grant("second_operator", { police: 3 }), "second_operator",
      { ok: false, code: "wrong_service_key" }),
    await grantCase("wrapped_altered", "Wrapped key altered, grant re-signed.",
      { ...valid, grant: altered }, "second_operator", { ok: false, code: "undecryptable" }),
    await grantCase("granter_merchant", "Only operator devices grant the key.",
      await grant("second_operator", { by: "merchant" }), "second_operator",
      { ok: false, code: "not_allowed_recipient" }),
    await grantCase("granter_revoked_since", "Granted before the granter's revocation.",
      await grant("second_operator", { by: "revoked_operator" }), "second_operator", ok),
    await grantCase("granter_revoked_before", "Granted after the granter's revocation.",
      await grant("second_operator", { by: "revoked_operator", issuedAt: REVOKED_AT + 1 }),
      "second_operator", { ok: false, code: "revoked" }),
  ];
}

it("writes tests/vectors/service-key-v1-ts.json", async () => {
  const doc: ServiceKeyVectors = {
    version: 1,
    generated_by: "frontend/scripts/service-key-vectors.gen.ts",
    description:
      "Service-key documents signed and grants sealed by TypeScript, with the keys of " +
      "service-key-v1.json; recipient selection lives in that file.",
    messages: { ...ENVELOPE_MESSAGES },
    commune: source.commune,
    root: source.root,
    revocations: source.revocations,
    now: NOW,
    devices: source.devices,
    police: source.police,
    service_keys: await serviceKeyCases(),
    grants: await grantCases(),
    recipients: [],
  };
  const fs = (await import("node:fs" as string)) as {
    writeFileSync(path: URL, data: string): void;
  };
  fs.writeFileSync(OUTPUT, JSON.stringify(doc, null, 1) + "\n");
});

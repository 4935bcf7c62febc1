/**
 * Writes tests/vectors/content-key-grant-v1-ts.json: envelopes sealed by sealing.ts and
 * content-key grants sealed by contentGrant.ts, for src/maillage/wire (Python) to open.
 * Run: `cd frontend && npm run vectors` (or only this file:
 * `npx vitest run --config scripts/vitest.config.ts scripts/content-key-grant-vectors.gen.ts`).
 *
 * Reuses the devices, root and revocation list of the Python file
 * (content-key-grant-v1.json), so the expected outcomes are those of the same
 * situations. K comes out of `openEnvelope` on the operator's device, as it does when an
 * operator dispatches. Every case is checked here before the file is written. Test keys
 * only.
 */

import { expect, it } from "vitest";

import pythonVectors from "../../tests/vectors/content-key-grant-v1.json";
import {
  openContentKeyGrant,
  openEnvelopeWithGrant,
  sealContentKeyGrant,
} from "../src/envelope/contentGrant";
import { ENVELOPE_MESSAGES, sha256B64, type Binding } from "../src/envelope/envelope";
import { openEnvelope } from "../src/envelope/opening";
import { seal } from "../src/envelope/sealing";
import { b64urlDecode, b64urlEncode } from "../src/trust/b64";
import { fingerprint, parseCertificate, signDocument, type SignedDocument } from "../src/trust/chain";
import {
  grantee,
  outcome,
  trust,
  type ContentGrantVectors,
  type EnvelopeFixture,
  type Expect,
  type GrantCase,
  type OpeningCase,
} from "../tests/content-grant-vector-types";
import { importEd25519Seed } from "../tests/envelope-vector-types";

const source = pythonVectors as unknown as ContentGrantVectors;
const OUTPUT = new URL("../../tests/vectors/content-key-grant-v1-ts.json", import.meta.url);
const NOW = source.now;
const KEY_ISSUED = NOW - 86400;
const REVOKED_AT = KEY_ISSUED + 5000;
const SENT_AT = KEY_ISSUED + 1000;
const GRANTED_AT = KEY_ISSUED + 2000;
const OTHER_INCIDENT = "0b2c4d6e-8f1a-4b3c-9d5e-7f9a1b3c5d10";
const OTHER_COMMUNE = "8d7e6f5a-4b3c-4d2e-9f1a-0b1c2d3e4f07";

interface Granted {
  grant: SignedDocument;
  granter_chain: SignedDocument[];
}

async function signer(name: string): Promise<{ key: CryptoKey; issuer: string; chain: SignedDocument[] }> {
  const device = source.devices[name];
  return {
    key: await importEd25519Seed(device.sign_private),
    issuer: parseCertificate(device.chain[0]).sign_key,
    chain: device.chain,
  };
}

/** The Python file's photo: SHA-256 of the label, eight times. */
async function photo(): Promise<Uint8Array> {
  const label = new TextEncoder().encode("maillage content-key-grant-v1 photo");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", label));
  const data = new Uint8Array(digest.length * 8);
  for (let i = 0; i < 8; i++) data.set(digest, i * digest.length);
  return data;
}

function text(name: string): string {
  return `Vol à l'étalage (${name}, TypeScript)`;
}

/** A merchant's report to the operator device, and K as the operator's device reads it. */
async function envelope(name: string, binding: Binding): Promise<EnvelopeFixture> {
  const merchant = source.devices.merchant;
  const operator = source.devices.operator;
  const sealed = await seal(
    binding,
    {
      signPrivate: await importEd25519Seed(merchant.sign_private),
      device: merchant.device,
      serial: merchant.serial,
      chain: merchant.chain,
    },
    {
      text: text(name),
      fields: { direction: "nord" },
      attachments: [{ data: await photo(), media: "image/jpeg", width: 64, height: 48 }],
    },
    [
      { kind: "device", id: merchant.device, key: merchant.public_key },
      { kind: "device", id: operator.device, key: operator.public_key },
    ],
    SENT_AT,
  );
  const { device, opener } = await grantee(source, "operator");
  const opened = await openEnvelope(
    sealed.wire,
    sealed.attachments,
    binding,
    { kind: "device", id: device, ...opener },
    await trust(source),
  );
  return {
    binding,
    wire: sealed.wire,
    attachments: sealed.attachments.map(b64urlEncode),
    content_key: b64urlEncode(opened.contentKey),
  };
}

interface GrantOptions {
  by?: string;
  binding?: Binding;
  issuedAt?: number;
}

async function grant(
  envelopes: Record<string, EnvelopeFixture>,
  recipient: string,
  key: string,
  options: GrantOptions = {},
): Promise<Granted> {
  const s = await signer(options.by ?? "operator");
  const binding = options.binding ?? envelopes.first.binding;
  const doc = await sealContentKeyGrant(s.key, {
    ...binding,
    recipientDevice: source.devices[recipient].device,
    recipientKey: source.devices[recipient].public_key,
    contentKey: b64urlDecode(key),
    issuedAt: options.issuedAt ?? GRANTED_AT,
    issuer: s.issuer,
  });
  return { grant: doc, granter_chain: s.chain };
}

/** The grant with a body the sealing helper would refuse, signed anyway. */
async function resigned(granted: Granted, changes: Record<string, unknown>, by = "operator"): Promise<Granted> {
  const body = { ...(JSON.parse(granted.grant.body) as Record<string, unknown>), ...changes };
  return { ...granted, grant: await signDocument(body, (await signer(by)).key) };
}

function fail(code: string): Expect {
  return { ok: false, code };
}

async function openingCase(
  envelopes: Record<string, EnvelopeFixture>,
  name: string,
  description: string,
  granted: Granted,
  expected: Expect,
  options: { envelope?: string; opener?: string; attachments?: string[] } = {},
): Promise<OpeningCase> {
  const envelopeName = options.envelope ?? "first";
  const fixture = envelopes[envelopeName];
  const opener = options.opener ?? "agent";
  const attachments = options.attachments ?? fixture.attachments;
  const { device, opener: keys } = await grantee(source, opener);
  const got = await outcome(async () => {
    const opened = await openEnvelopeWithGrant(
      fixture.wire,
      attachments.map((a) => b64urlDecode(a)),
      fixture.binding,
      granted.grant,
      granted.granter_chain,
      device,
      keys,
      await trust(source),
    );
    return {
      text: opened.text,
      attachments: await Promise.all(opened.attachments.map((a) => sha256B64(a.data))),
      content_key: b64urlEncode(opened.contentKey),
    };
  });
  expect(got, name).toEqual(expected);
  return { name, description, envelope: envelopeName, attachments, ...granted, opener, expect: expected };
}

async function openingCases(envelopes: Record<string, EnvelopeFixture>): Promise<OpeningCase[]> {
  const first = envelopes.first.content_key;
  const second = envelopes.second.content_key;
  const opened: Expect = {
    ok: true,
    text: text("first"),
    attachments: [await sha256B64(await photo())],
    content_key: first,
  };
  const valid = await grant(envelopes, "agent", first);
  const otherSignature = (await grant(envelopes, "agent", first, { binding: envelopes.second.binding }))
    .grant.signature;
  const wrapped = b64urlDecode((JSON.parse(valid.grant.body) as { wrapped: string }).wrapped);
  wrapped[0] ^= 1;
  const sealedPhoto = b64urlDecode(envelopes.first.attachments[0]);
  sealedPhoto[0] ^= 1;
  const secondPrint = await fingerprint(b64urlDecode((await signer("second_operator")).issuer));
  const c = (
    name: string,
    description: string,
    granted: Granted,
    expected: Expect,
    options: { envelope?: string; opener?: string; attachments?: string[] } = {},
  ) => openingCase(envelopes, name, description, granted, expected, options);
  return [
    await c("valid", "The operator grants the first message's K to the agent.", valid, opened),
    await c("granter_revoked_since", "Granted before the granter's revocation: still opens.",
      await grant(envelopes, "agent", first, { by: "revoked_operator" }), opened),
    await c("granter_revoked_before", "Granted after the granter's revocation.",
      await grant(envelopes, "agent", first, { by: "revoked_operator", issuedAt: REVOKED_AT + 1 }),
      fail("revoked")),
    await c("other_message", "A valid grant of the second message, presented with the first.",
      await grant(envelopes, "agent", second, { binding: envelopes.second.binding }), fail("wrong_context")),
    await c("other_incident", "A grant naming the same message id in another incident.",
      await grant(envelopes, "agent", first, { binding: { ...envelopes.first.binding, incident: OTHER_INCIDENT } }),
      fail("wrong_context")),
    await c("other_message_for_another_device", "The binding is checked before the recipient.",
      await grant(envelopes, "second_operator", second, { binding: envelopes.second.binding }),
      fail("wrong_context")),
    await c("wrong_key", "Names the first message but carries the second message's K.",
      await grant(envelopes, "agent", second), fail("undecryptable")),
    await c("other_device", "Opened by a device it was not granted to.", valid, fail("not_a_recipient"),
      { opener: "third_operator" }),
    await c("granter_agent", "Signed by an agent's device: only operator devices grant.",
      await grant(envelopes, "second_operator", first, { by: "agent" }), fail("not_allowed_recipient"),
      { opener: "second_operator" }),
    await c("granter_rogue_root", "Granter certified under another root.",
      await grant(envelopes, "agent", first, { by: "rogue" }), fail("broken_chain")),
    await c("tampered_signature", "Signature of another grant.",
      { ...valid, grant: { ...valid.grant, signature: otherSignature } }, fail("bad_grant")),
    await c("issuer_not_signer", "Body names the second operator, the operator signed.",
      await resigned(valid, { issuer: secondPrint }), fail("bad_grant")),
    await c("other_granter_chain", "Signed by the operator, presented with the second operator's chain.",
      { ...valid, granter_chain: source.devices.second_operator.chain }, fail("bad_grant")),
    await c("wrong_commune", "A valid granter, a grant naming another commune.",
      await resigned(valid, { commune: OTHER_COMMUNE }), fail("wrong_commune")),
    await c("wrapped_altered", "Wrapped key altered, grant re-signed.",
      await resigned(valid, { wrapped: b64urlEncode(wrapped) }), fail("undecryptable")),
    await c("wrapped_short", "`wrapped` must be 48 bytes.",
      await resigned(valid, { wrapped: b64urlEncode(wrapped.slice(0, 47)) }), fail("bad_grant")),
    await c("not_canonical", "Body with whitespace.",
      { ...valid, grant: { ...valid.grant, body: JSON.stringify(JSON.parse(valid.grant.body), null, 1) } },
      fail("bad_grant")),
    await c("attachment_tampered", "The envelope's own checks come first, grant or not.", valid,
      fail("tampered"), { attachments: [b64urlEncode(sealedPhoto)] }),
  ];
}

/** The grant alone, on grants of the opening cases. */
async function grantCases(openings: OpeningCase[], envelopes: Record<string, EnvelopeFixture>): Promise<GrantCase[]> {
  const chosen: Record<string, Expect> = {
    valid: { ok: true, content_key: envelopes.first.content_key },
    wrong_key: { ok: true, content_key: envelopes.second.content_key },
    other_device: fail("not_a_recipient"),
    granter_agent: fail("not_allowed_recipient"),
    tampered_signature: fail("bad_grant"),
    wrapped_altered: fail("undecryptable"),
    wrong_commune: fail("wrong_commune"),
  };
  const cases: GrantCase[] = [];
  for (const [name, expected] of Object.entries(chosen)) {
    const from = openings.find((o) => o.name === name) as OpeningCase;
    const { device, opener } = await grantee(source, from.opener);
    const got = await outcome(async () => ({
      content_key: b64urlEncode(
        await openContentKeyGrant(from.grant, from.granter_chain, device, opener, await trust(source)),
      ),
    }));
    expect(got, name).toEqual(expected);
    cases.push({
      name,
      description: from.description,
      grant: from.grant,
      granter_chain: from.granter_chain,
      opener: from.opener,
      expect: expected,
    });
  }
  return cases;
}

it("writes tests/vectors/content-key-grant-v1-ts.json", async () => {
  const envelopes = {
    first: await envelope("first", source.envelopes.first.binding),
    second: await envelope("second", source.envelopes.second.binding),
  };
  const openings = await openingCases(envelopes);
  const doc: ContentGrantVectors = {
    version: 1,
    generated_by: "frontend/scripts/content-key-grant-vectors.gen.ts",
    description:
      "Envelopes and content-key grants sealed by TypeScript, with the devices of " +
      "content-key-grant-v1.json; each case as in that file.",
    messages: { ...ENVELOPE_MESSAGES },
    commune: source.commune,
    root: source.root,
    revocations: source.revocations,
    now: NOW,
    devices: source.devices,
    envelopes,
    openings,
    grants: await grantCases(openings, envelopes),
  };
  const fs = (await import("node:fs" as string)) as {
    writeFileSync(path: URL, data: string): void;
  };
  fs.writeFileSync(OUTPUT, JSON.stringify(doc, null, 1) + "\n");
});

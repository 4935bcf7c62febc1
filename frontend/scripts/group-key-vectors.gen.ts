/**
 * Writes tests/vectors/group-key-v1-ts.json: group-key generations signed, grants sealed
 * and broadcasts sealed by groupKey.ts and broadcast.ts, for src/maillage/wire (Python)
 * to verify and open. Run: `cd frontend && npm run vectors`.
 *
 * Reuses the keys, chains, revocation list and group keys of the Python file
 * (group-key-v1.json), so the expected outcomes are those of the same situations. Every
 * case is checked here before the file is written. Test keys only.
 */

import { expect, it } from "vitest";

import pythonVectors from "../../tests/vectors/group-key-v1.json";
import { ENVELOPE_MESSAGES, sha256B64, type ContentInput } from "../src/envelope/envelope";
import { openBroadcast, sealBroadcast } from "../src/envelope/broadcast";
import {
  issueGroupKey,
  openGroupGrant,
  parseGroupKeyDocument,
  sealGroupGrant,
  verifyGroupKey,
} from "../src/envelope/groupKey";
import { importX25519Private, x25519PublicOf } from "../src/envelope/hpke";
import { b64urlDecode, b64urlEncode } from "../src/trust/b64";
import { parseCertificate, signDocument, type SignedDocument } from "../src/trust/chain";
import { importEd25519Seed } from "../tests/envelope-vector-types";
import {
  groupOpener,
  outcome,
  trust,
  type BroadcastCase,
  type Expect,
  type GroupGrantCase,
  type GroupKeyCase,
  type GroupKeyVectors,
} from "../tests/group-key-vector-types";

const source = pythonVectors as unknown as GroupKeyVectors;
const OUTPUT = new URL("../../tests/vectors/group-key-v1-ts.json", import.meta.url);
const NOW = source.now;
const ISSUED = (n: number): number => source.issued_at[String(n)];
const SECTOR = source.sector_scope;
const REVOKED_AT = ISSUED(2) - 1000;
const SENT_AT = NOW - 100;
const BROADCAST = "3f0c2a55-6d1e-4b7a-9c8d-0e1f2a3b4c5d";
const TEXT = "Fermeture de la place du marché : évitez le secteur jusqu'à 18 h.";

interface Signed {
  body: string;
  signature: string;
  chain: SignedDocument[];
}

async function signer(name: string) {
  const device = source.devices[name];
  const leaf = parseCertificate(device.chain[0]);
  return {
    key: await importEd25519Seed(device.sign_private),
    issuer: leaf.sign_key,
    chain: device.chain,
    device: device.device,
    serial: leaf.serial,
  };
}

async function groupPrivate(ref: string): Promise<CryptoKey> {
  return importX25519Private(b64urlDecode(source.groups[ref]), true);
}

async function groupPublic(ref: string): Promise<string> {
  return x25519PublicOf(await groupPrivate(ref));
}

interface DocumentOptions {
  scope?: string;
  by?: string;
  commune?: string;
  ref?: string;
  previous?: string | null;
}

/** Generation `number`, linked to the canonical generation number − 1 of its scope. */
async function document(number: number, options: DocumentOptions = {}): Promise<Signed> {
  const scope = options.scope ?? "commune";
  const s = await signer(options.by ?? "operator");
  let previous = options.previous;
  if (previous === undefined) {
    previous =
      number === 1
        ? null
        : (await parseGroupKeyDocument(await document(number - 1, { scope }))).digest;
  }
  const doc = await issueGroupKey(s.key, {
    commune: options.commune ?? source.commune,
    scope,
    number,
    previous,
    publicKey: await groupPublic(options.ref ?? `${scope}:${number}`),
    issuedAt: ISSUED(number),
    issuer: s.issuer,
  });
  return { ...doc, chain: s.chain };
}

async function okDocument(wire: Signed, ref: string): Promise<Expect> {
  const body = await parseGroupKeyDocument(wire);
  return { ok: true, number: body.number, key: await groupPublic(ref), digest: body.digest };
}

const fail = (code: string): Expect => ({ ok: false, code });

async function keyCase(
  name: string,
  description: string,
  wire: Signed,
  expected: Expect,
  options: { scope?: string; last?: Signed | null; asOfIssue?: boolean } = {},
): Promise<GroupKeyCase> {
  const scope = options.scope ?? "commune";
  const last = options.last ?? null;
  const asOfIssue = options.asOfIssue ?? false;
  const known = last === null ? null : await parseGroupKeyDocument(last);
  const got = await outcome(async () => {
    const body = await verifyGroupKey(wire, await trust(source), NOW, scope, known, { asOfIssue });
    return { number: body.number, key: body.key, digest: body.digest };
  });
  expect(got, name).toEqual(expected);
  return { name, description, wire, scope, last, as_of_issue: asOfIssue, expect: expected };
}

async function keyCases(): Promise<GroupKeyCase[]> {
  const [g1, g2, g3] = [await document(1), await document(2), await document(3)];
  const s1 = await document(1, { scope: SECTOR });
  const byRevoked = await document(1, { by: "revoked_operator" });
  return [
    await keyCase("first", "Generation 1, nothing known yet.", g1, await okDocument(g1, "commune:1")),
    await keyCase("next", "Generation 2 names generation 1.", g2, await okDocument(g2, "commune:2"),
      { last: g1 }),
    await keyCase("stale", "Older than the newest known.", g1, fail("stale_group_key"), { last: g2 }),
    await keyCase("older_for_history", "Read as of its issued_at.", g1,
      await okDocument(g1, "commune:1"), { last: g2, asOfIssue: true }),
    await keyCase("fork", "Another generation 2.", await document(2, { ref: "commune:2-fork" }),
      fail("wrong_group_key"), { last: g2 }),
    await keyCase("broken_link", "previous is not generation 1's digest.",
      await document(2, { previous: (await parseGroupKeyDocument(s1)).digest }),
      fail("wrong_group_key"), { last: g1 }),
    await keyCase("gap", "Generation 3 after generation 1.", g3, fail("wrong_group_key"), { last: g1 }),
    await keyCase("sector", "A sector's generation 1.", s1, await okDocument(s1, `${SECTOR}:1`),
      { scope: SECTOR }),
    await keyCase("wrong_scope", "A sector's generation as the commune's.", s1, fail("wrong_scope")),
    await keyCase("wrong_commune", "Naming another commune.",
      await document(1, { commune: "8d7e6f5a-4b3c-4d2e-9f1a-0b1c2d3e4f07" }), fail("wrong_commune")),
    await keyCase("signed_by_merchant", "Only operators issue group keys.",
      await document(1, { by: "merchant" }), fail("not_allowed_recipient")),
    await keyCase("signer_revoked", "Signer revoked since.", byRevoked, fail("revoked")),
    await keyCase("signer_revoked_as_of_issue", "Valid at its issued_at.", byRevoked,
      await okDocument(byRevoked, "commune:1"), { asOfIssue: true }),
    await keyCase("bad_signature", "Signature of another document.",
      { ...g2, signature: g3.signature }, fail("bad_signature")),
  ];
}

async function grant(
  recipient: string,
  options: { by?: string; number?: number; scope?: string; ref?: string; issuedAt?: number } = {},
): Promise<{ grant: SignedDocument; granter_chain: SignedDocument[] }> {
  const number = options.number ?? 2;
  const scope = options.scope ?? "commune";
  const s = await signer(options.by ?? "operator");
  const doc = await sealGroupGrant(s.key, {
    commune: source.commune,
    scope,
    number,
    recipientDevice: source.devices[recipient].device,
    recipientKey: source.devices[recipient].public_key,
    groupPrivateKey: await groupPrivate(options.ref ?? `${scope}:${number}`),
    issuedAt: options.issuedAt ?? ISSUED(2) + 60,
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
  scope = "commune",
): Promise<GroupGrantCase> {
  const context = await trust(source);
  const groupKey = await document(2, { scope });
  const verified = await verifyGroupKey(groupKey, context, NOW, scope);
  const fixture = source.devices[opener];
  const me = {
    privateKey: await importX25519Private(b64urlDecode(fixture.private_key), false),
    publicKey: fixture.public_key,
  };
  const got = await outcome(async () => {
    const key = await openGroupGrant(
      granted.grant,
      granted.granter_chain,
      fixture.device,
      me,
      verified,
      context,
    );
    return { public_key: await x25519PublicOf(key) };
  });
  expect(got, name).toEqual(expected);
  return { name, description, ...granted, group_key: groupKey, scope, opener, expect: expected };
}

async function grantCases(): Promise<GroupGrantCase[]> {
  const ok: Expect = { ok: true, public_key: await groupPublic("commune:2") };
  const valid = await grant("merchant");
  const body = JSON.parse(valid.grant.body) as Record<string, unknown>;
  const wrapped = b64urlDecode(body.wrapped as string);
  wrapped[0] ^= 1;
  const operator = await signer("operator");
  const altered = await signDocument({ ...body, wrapped: b64urlEncode(wrapped) }, operator.key);
  return [
    await grantCase("merchant", "Generation 2 granted to a merchant.", valid, "merchant", ok),
    await grantCase("operator", "Operators hold it too.", await grant("second_operator"),
      "second_operator", ok),
    await grantCase("sector", "A sector's generation 2.", await grant("merchant", { scope: SECTOR }),
      "merchant", { ok: true, public_key: await groupPublic(`${SECTOR}:2`) }, SECTOR),
    await grantCase("other_device", "Opened by another device.", valid, "second_merchant",
      fail("not_a_recipient")),
    await grantCase("other_generation", "Generation 3's grant.", await grant("merchant", { number: 3 }),
      "merchant", fail("wrong_group_key")),
    await grantCase("not_the_published_key", "Another private key as generation 2.",
      await grant("merchant", { ref: "commune:2-fork" }), "merchant", fail("wrong_group_key")),
    await grantCase("other_scope", "A sector's grant, the commune's generation.",
      await grant("merchant", { scope: SECTOR }), "merchant", fail("wrong_scope")),
    await grantCase("wrapped_altered", "Wrapped key altered, re-signed.", { ...valid, grant: altered },
      "merchant", fail("undecryptable")),
    await grantCase("granter_merchant", "Only operators grant.",
      await grant("second_merchant", { by: "merchant" }), "second_merchant",
      fail("not_allowed_recipient")),
    await grantCase("granter_revoked_since", "Granted before the revocation.",
      await grant("merchant", { by: "revoked_operator", issuedAt: REVOKED_AT - 10 }), "merchant", ok),
    await grantCase("granter_revoked_before", "Granted after the revocation.",
      await grant("merchant", { by: "revoked_operator" }), "merchant", fail("revoked")),
  ];
}

const PHOTO = new Uint8Array(1024).map((_, i) => (i * 7) % 256);

async function seal(
  options: { by?: string; number?: number; scope?: string; sentAt?: number; photo?: boolean } = {},
): Promise<{ wire: unknown; attachments: string[] }> {
  const scope = options.scope ?? "commune";
  const s = await signer(options.by ?? "operator");
  const groupKey = await parseGroupKeyDocument(await document(options.number ?? 2, { scope }));
  const input: ContentInput = {
    text: TEXT,
    fields: { kind: "fermeture" },
    attachments: options.photo ? [{ data: PHOTO, media: "image/jpeg", width: 32, height: 32 }] : [],
  };
  const sealed = await sealBroadcast(
    { commune: source.commune, scope, broadcast: BROADCAST },
    { signPrivate: s.key, device: s.device, serial: s.serial, chain: s.chain },
    groupKey,
    input,
    options.sentAt ?? SENT_AT,
  );
  return { wire: sealed.wire, attachments: sealed.attachments.map(b64urlEncode) };
}

async function opened(by: string, number = 2, photo = false): Promise<Expect> {
  return {
    ok: true,
    text: TEXT,
    fields: { kind: "fermeture" },
    sender: source.devices[by].device,
    number,
    attachments: photo ? [{ media: "image/jpeg", sha256: await sha256B64(PHOTO) }] : [],
  };
}

async function broadcastCase(
  name: string,
  description: string,
  sealed: { wire: unknown; attachments: string[] },
  expected: Expect,
  options: { group?: string; supersededAt?: number | null; binding?: BroadcastCase["expected"] } = {},
): Promise<BroadcastCase> {
  const group = options.group ?? "commune:2";
  const supersededAt = options.supersededAt ?? null;
  const scope = group.slice(0, group.lastIndexOf(":"));
  const binding = options.binding ?? { commune: source.commune, scope, broadcast: BROADCAST };
  const opener = await groupOpener(source, group, supersededAt);
  const got = await outcome(async () => {
    const result = await openBroadcast(
      sealed.wire,
      sealed.attachments.map(b64urlDecode),
      binding,
      opener,
      await trust(source),
    );
    return {
      text: result.text,
      fields: result.fields,
      sender: result.sender.device,
      number: result.header.number,
      attachments: await Promise.all(
        result.attachments.map(async (a) => ({ media: a.media, sha256: await sha256B64(a.data) })),
      ),
    };
  });
  expect(got, name).toEqual(expected);
  return {
    name,
    description,
    ...sealed,
    expected: binding,
    opener: { group, superseded_at: supersededAt },
    expect: expected,
  };
}

async function broadcastCases(): Promise<BroadcastCase[]> {
  const valid = await seal();
  const wire = valid.wire as { content: string };
  const content = b64urlDecode(wire.content);
  content[0] ^= 1;
  return [
    await broadcastCase("valid", "An operator's message to the commune.", valid, await opened("operator")),
    await broadcastCase("with_photo", "With one sealed attachment.", await seal({ photo: true }),
      await opened("operator", 2, true)),
    await broadcastCase("sector_by_merchant", "A merchant to a sector.",
      await seal({ by: "merchant", scope: SECTOR }), await opened("merchant"), { group: `${SECTOR}:2` }),
    await broadcastCase("commune_by_merchant", "Only operators broadcast to the commune.",
      await seal({ by: "merchant" }), fail("not_allowed_sender")),
    await broadcastCase("older_generation_sent_before_rotation", "Generation 1, sent before 2.",
      await seal({ number: 1, sentAt: ISSUED(2) - 60 }), await opened("operator", 1),
      { group: "commune:1", supersededAt: ISSUED(2) }),
    await broadcastCase("older_generation_sent_after_rotation", "Generation 1, sent after 2.",
      await seal({ number: 1 }), fail("stale_group_key"), { group: "commune:1", supersededAt: ISSUED(2) }),
    await broadcastCase("other_generation", "This device holds generation 3.", valid,
      fail("not_a_recipient"), { group: "commune:3" }),
    await broadcastCase("sender_revoked_before", "Sent after its sender was revoked.",
      await seal({ by: "revoked_operator" }), fail("revoked")),
    await broadcastCase("other_scope", "Filed under a sector.", valid, fail("wrong_context"),
      { binding: { commune: source.commune, scope: SECTOR, broadcast: BROADCAST } }),
    await broadcastCase("content_altered", "One bit of the content flipped.",
      { ...valid, wire: { ...(valid.wire as object), content: b64urlEncode(content) } }, fail("tampered")),
  ];
}

it("writes tests/vectors/group-key-v1-ts.json", async () => {
  const doc: GroupKeyVectors = {
    version: 1,
    generated_by: "frontend/scripts/group-key-vectors.gen.ts",
    description:
      "Group-key generations signed, grants and broadcasts sealed by TypeScript, with the " +
      "keys of group-key-v1.json.",
    messages: { ...ENVELOPE_MESSAGES },
    commune: source.commune,
    sector_scope: SECTOR,
    root: source.root,
    revocations: source.revocations,
    now: NOW,
    issued_at: source.issued_at,
    devices: source.devices,
    groups: source.groups,
    group_keys: await keyCases(),
    grants: await grantCases(),
    broadcasts: await broadcastCases(),
  };
  const fs = (await import("node:fs" as string)) as {
    writeFileSync(path: URL, data: string): void;
  };
  fs.writeFileSync(OUTPUT, JSON.stringify(doc, null, 1) + "\n");
});

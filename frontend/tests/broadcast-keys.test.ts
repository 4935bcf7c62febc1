/**
 * broadcasts/keys.ts: the decisions of the group-key lifecycle, run on the real wire code
 * (groupKey.ts, broadcast.ts, trust/chain.ts) in a small commune of real certificates:
 * the chain of generations 1..n, when an operator device publishes the next one, which
 * pending devices get a grant, and a broadcast opened through a grant so chosen.
 */

import { beforeAll, describe, expect, it } from "vitest";

import {
  decideGroupKeyAction,
  openerFor,
  selectGrantees,
  verifyGenerations,
  type ServedGeneration,
} from "../src/broadcasts/keys";
import type { GroupKeyOutcome } from "../src/broadcasts/groupKeyFlow";
import { carried, concernsKey } from "../src/broadcasts/model";
import type { StreamEvent } from "../src/live/stream";
import { openBroadcast, sealBroadcast } from "../src/envelope/broadcast";
import { EnvelopeError } from "../src/envelope/envelope";
import {
  bodyDigest,
  generateGroupKey,
  issueGroupKey,
  openGroupGrant,
  sealGroupGrant,
  type GroupKeyDocument,
} from "../src/envelope/groupKey";
import { x25519PublicOf } from "../src/envelope/hpke";
import { TrustError, verifyRevocationList, type RevocationList } from "../src/trust/chain";
import { COMMUNE, NOW, SHOP, entry, makeWorld, senderOf, type Device, type World } from "./envelope-world";

const SCOPE = "commune";

let world: World;
let operator: Device;
let other: Device;
let merchant: Device;
let agent: Device;
let pairs: CryptoKeyPair[];
let served: ServedGeneration[];

async function issue(
  by: Device,
  number: number,
  previous: string | null,
  pair: CryptoKeyPair,
  issuedAt = NOW - 1000 + number,
): Promise<ServedGeneration> {
  const doc = await issueGroupKey(by.sign.privateKey, {
    commune: COMMUNE,
    scope: SCOPE,
    number,
    previous,
    publicKey: await x25519PublicOf(pair.privateKey),
    issuedAt,
    issuer: by.signKey,
  });
  return { ...doc, chain: by.chain };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error instanceof EnvelopeError || error instanceof TrustError).toBe(true);
  return (error as EnvelopeError).code;
}

async function listRevoking(device: Device, at: number): Promise<RevocationList> {
  const doc = await world.revocations(1, [entry(device, at)]);
  return verifyRevocationList(doc, [], world.rootKey, world.rootPrint, COMMUNE, 0, NOW);
}

const verify = (list: ServedGeneration[], known: GroupKeyDocument | null = null, trust = world.trust()) =>
  verifyGenerations(list, trust, NOW, SCOPE, known);

beforeAll(async () => {
  world = await makeWorld();
  operator = await world.device("operator-1", "operateur");
  other = await world.device("operator-2", "operateur");
  merchant = await world.device("merchant-1", "commercant", SHOP);
  agent = await world.device("agent-1", "agent");
  pairs = [await generateGroupKey(), await generateGroupKey(), await generateGroupKey()];
  served = [];
  let previous: string | null = null;
  for (let n = 1; n <= 3; n++) {
    const wire = await issue(operator, n, previous, pairs[n - 1]);
    served.push(wire);
    previous = await bodyDigest(wire.body);
  }
});

describe("the chain of generations", () => {
  it("verifies 1..n in order, each linked to the one before", async () => {
    const verified = await verify(served);
    expect(verified.docs.map((d) => d.number)).toEqual([1, 2, 3]);
    expect(verified.latest?.number).toBe(3);
    expect(verified.latest?.previous).toBe(verified.docs[1].digest);
    expect(verified.latestUntrusted).toBeNull();
    expect(decideGroupKeyAction(verified, false)).toEqual({ kind: "keep", number: 3 });
  });

  it("refuses a gap, a list that does not start at 1, and a fork", async () => {
    expect(await codeOf(verify([served[0], served[2]]))).toBe("wrong_group_key");
    expect(await codeOf(verify([served[1], served[2]]))).toBe("wrong_group_key");
    // Another operator's generation 2, naming generation 1 but another key: a fork.
    const fork = await issue(other, 2, await bodyDigest(served[0].body), pairs[2]);
    const forked = await verify([served[0], fork]);
    expect(forked.latest?.key).not.toBe((await verify(served.slice(0, 2))).latest?.key);
    const known = (await verify(served.slice(0, 2))).latest;
    expect(await codeOf(verify([served[0], fork], known))).toBe("wrong_group_key");
    // And one that does not name its predecessor at all.
    const unlinked = await issue(operator, 2, await bodyDigest(served[1].body), pairs[1]);
    expect(await codeOf(verify([served[0], unlinked]))).toBe("wrong_group_key");
  });

  it("refuses a server that forgets what this browser verified", async () => {
    const known = (await verify(served)).latest;
    expect(await codeOf(verify(served.slice(0, 2), known))).toBe("stale_group_key");
    expect(await codeOf(verify([], known))).toBe("stale_group_key");
    const again = await verify(served, known);
    expect(again.latest?.digest).toBe(known?.digest);
  });

  it("keeps older generations whose signer was revoked since, and replaces such a latest one", async () => {
    const trust = world.trust(await listRevoking(operator, NOW - 10));
    const verified = await verify(served, null, trust);
    expect(verified.docs).toHaveLength(3);
    expect(verified.latestUntrusted).toBe("revoked");
    const action = decideGroupKeyAction(verified, false);
    expect(action).toEqual({
      kind: "rotate",
      number: 4,
      previous: verified.docs[2].digest,
      reason: "revoked",
    });
    // Signed by a device revoked BEFORE it was issued: refused outright.
    const late = await issue(operator, 4, verified.docs[2].digest, pairs[0], NOW - 5);
    expect(await codeOf(verify([...served, late], null, trust))).toBe("revoked");
  });

  it("creates generation 1 when there is none, rotates when the server asks", async () => {
    expect(decideGroupKeyAction(await verify([]), false)).toEqual({
      kind: "create",
      number: 1,
      previous: null,
    });
    const verified = await verify(served);
    expect(decideGroupKeyAction(verified, true)).toMatchObject({
      kind: "rotate",
      number: 4,
      previous: verified.latest?.digest,
    });
  });
});

describe("grants to pending devices", () => {
  it("wraps for merchants and operators whose chain verifies, each once, never for oneself", async () => {
    const pending = [
      { device: merchant.id, chain: merchant.chain, enc_public_key: merchant.encKey },
      { device: merchant.id, chain: merchant.chain },
      { device: other.id, chain: other.chain },
      { device: operator.id, chain: operator.chain },
    ];
    const chosen = await selectGrantees(pending, world.trust(), NOW, SCOPE, new Set([operator.id]));
    expect(chosen.grantees.map((g) => [g.device, g.encKey])).toEqual([
      [merchant.id, merchant.encKey],
      [other.id, other.encKey],
    ]);
    expect(chosen.refused).toEqual([]);
  });

  it("refuses an agent, a revoked device, a chain of another device and a swapped key", async () => {
    const trust = world.trust(await listRevoking(other, NOW - 10));
    const impostor = await world.device("merchant-2", "commercant", SHOP);
    const pending = [
      { device: agent.id, chain: agent.chain },
      { device: other.id, chain: other.chain },
      { device: "merchant-3", chain: impostor.chain },
      { device: merchant.id, chain: merchant.chain, enc_public_key: impostor.encKey },
      { device: "broken", chain: "not a chain" },
    ];
    const chosen = await selectGrantees(pending, trust, NOW, SCOPE);
    expect(chosen.grantees).toEqual([]);
    expect(chosen.refused).toEqual([
      { device: agent.id, code: "not_allowed_recipient" },
      { device: other.id, code: "revoked" },
      { device: "merchant-3", code: "wrong_device" },
      { device: merchant.id, code: "wrong_device" },
      { device: "broken", code: "malformed" },
    ]);
  });

  it("lets a chosen merchant open a broadcast sealed once to the latest generation", async () => {
    const trust = world.trust();
    const verified = await verify(served);
    const latest = verified.latest!;
    const [grantee] = (
      await selectGrantees([{ device: merchant.id, chain: merchant.chain }], trust, NOW, SCOPE)
    ).grantees;
    const grant = await sealGroupGrant(operator.sign.privateKey, {
      commune: COMMUNE,
      scope: SCOPE,
      number: latest.number,
      recipientDevice: grantee.device,
      recipientKey: grantee.encKey,
      groupPrivateKey: pairs[2].privateKey,
      issuedAt: NOW,
      issuer: operator.signKey,
    });
    const privateKey = await openGroupGrant(
      grant,
      operator.chain,
      merchant.id,
      { privateKey: merchant.enc.privateKey, publicKey: merchant.encKey },
      latest,
      trust,
    );
    const binding = { commune: COMMUNE, scope: SCOPE, broadcast: crypto.randomUUID() };
    const text = "Fermeture de la rue du Marché à 18 h";
    const sealed = await sealBroadcast(binding, senderOf(operator), latest, { text, fields: {}, attachments: [] }, NOW);
    const opener = openerFor(verified.docs, {
      scope: SCOPE,
      number: latest.number,
      privateKey,
      publicKey: latest.key,
    });
    expect(opener.supersededAt).toBeNull();
    const opened = await openBroadcast(sealed.wire, [], binding, opener, trust);
    expect(opened.text).toBe(text);
    expect(opened.sender.device).toBe(operator.id);
  });

  it("marks an older generation superseded at the next one's issue", async () => {
    const verified = await verify(served);
    const opener = openerFor(verified.docs, {
      scope: SCOPE,
      number: 2,
      privateKey: pairs[1].privateKey,
      publicKey: verified.docs[1].key,
    });
    expect(opener.supersededAt).toBe(verified.docs[2].issued_at);
    // Sealed to generation 2 after generation 3 was issued: refused by the opener.
    const binding = { commune: COMMUNE, scope: SCOPE, broadcast: crypto.randomUUID() };
    const late = await sealBroadcast(
      binding,
      senderOf(operator),
      verified.docs[1],
      { text: "trop tard", fields: {}, attachments: [] },
      verified.docs[2].issued_at,
    );
    expect(await codeOf(openBroadcast(late.wire, [], binding, opener, world.trust()))).toBe(
      "stale_group_key",
    );
  });
});

describe("which live events make a device fetch the key again", () => {
  const event = (kind: StreamEvent["kind"], payload: Record<string, unknown>): StreamEvent => ({
    seq: 1,
    kind,
    at: "",
    actorKind: "member",
    targetType: "groupkey",
    targetId: "k",
    shop: null,
    member: null,
    payload,
    sealed: null,
  });
  const held: GroupKeyOutcome = { state: "held", number: 2, granted: 0, refused: [], holders: null };

  it("skips grants and publications of a generation already held, not newer ones", () => {
    expect(concernsKey(event("group_key.grants_added", { number: 2 }), held)).toBe(false);
    expect(concernsKey(event("group_key.published", { number: 2 }), held)).toBe(false);
    expect(concernsKey(event("group_key.published", { number: 3 }), held)).toBe(true);
    expect(concernsKey(event("group_key.grants_added", { number: 2 }), { state: "waiting", number: 2 })).toBe(true);
    expect(concernsKey(event("group_key.grants_added", {}), null)).toBe(true);
  });

  it("skips certified devices that hold no broadcast key", () => {
    expect(concernsKey(event("device.certified", { role: "commercant" }), held)).toBe(true);
    expect(concernsKey(event("device.certified", { role: "coordinateur" }), held)).toBe(false);
    expect(concernsKey(event("member.suspended", {}), held)).toBe(true);
  });
});

describe("what the panel says after the key ran again", () => {
  it("keeps « created » for the same generation and adds up the grants", () => {
    const created: GroupKeyOutcome = { state: "created", number: 1, granted: 1, refused: [], holders: null };
    const later: GroupKeyOutcome = {
      state: "held",
      number: 1,
      granted: 2,
      refused: [{ device: "d", code: "revoked" }],
      holders: null,
    };
    expect(carried(created, later)).toEqual({ ...later, state: "created", granted: 3 });
    const rotated: GroupKeyOutcome = { state: "created", number: 2, granted: 0, refused: [], holders: null };
    expect(carried(created, rotated)).toEqual(rotated);
    expect(carried(null, later)).toEqual(later);
  });
});

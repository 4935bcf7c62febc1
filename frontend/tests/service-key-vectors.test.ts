/**
 * serviceKey.ts and recipients.ts against tests/vectors/service-key-v1.json (written and
 * checked by tests/vectors/generate_service_key_vectors.py) and service-key-v1-ts.json
 * (signed and sealed here by scripts/service-key-vectors.gen.ts): every service-key
 * document, grant and key directory must end as the file says.
 */

import { describe, expect, it } from "vitest";

import pythonVectors from "../../tests/vectors/service-key-v1.json";
import tsVectors from "../../tests/vectors/service-key-v1-ts.json";
import { ENVELOPE_MESSAGES, EnvelopeError, type TrustContext } from "../src/envelope/envelope";
import { importX25519Private, x25519PublicOf } from "../src/envelope/hpke";
import { resolveRecipients, type TrustState } from "../src/envelope/recipients";
import { openGrant, verifyServiceKey } from "../src/envelope/serviceKey";
import { b64urlDecode } from "../src/trust/b64";
import { parseChain, parseSignedDocument, verifyRevocationList } from "../src/trust/chain";
import type { Expect, ServiceKeyVectors } from "./service-key-vector-types";

async function trust(vectors: ServiceKeyVectors): Promise<TrustContext> {
  const revocations = await verifyRevocationList(
    vectors.revocations,
    vectors.revocations.chain,
    vectors.root.public_key,
    vectors.root.fingerprint,
    vectors.commune,
    0,
    vectors.now,
  );
  return {
    rootPublicKey: vectors.root.public_key,
    pinnedFingerprint: vectors.root.fingerprint,
    commune: vectors.commune,
    revocations,
  };
}

async function outcome(work: () => Promise<Record<string, unknown>>): Promise<Expect> {
  try {
    return { ok: true, ...(await work()) };
  } catch (error) {
    if (error instanceof EnvelopeError) return { ok: false, code: error.code };
    throw error;
  }
}

for (const [label, raw] of [
  ["written by Python", pythonVectors],
  ["written by TypeScript", tsVectors],
] as const) {
  const vectors = raw as unknown as ServiceKeyVectors;

  describe(`service-key vectors ${label}`, () => {
    it("carry the shared message table", () => {
      expect(vectors.messages).toEqual(ENVELOPE_MESSAGES);
    });

    for (const c of vectors.service_keys) {
      it(`document: ${c.name}`, async () => {
        const got = await outcome(async () => {
          const body = await verifyServiceKey(c.wire, await trust(vectors), vectors.now, c.last_seen_number, {
            asOfIssue: c.as_of_issue,
          });
          return { number: body.number, key: body.key };
        });
        expect(got).toEqual(c.expect);
      });
    }

    for (const c of vectors.grants) {
      it(`grant: ${c.name}`, async () => {
        const context = await trust(vectors);
        const document = await verifyServiceKey(c.service_key, context, vectors.now);
        const opener = vectors.devices[c.opener];
        const me = {
          privateKey: await importX25519Private(b64urlDecode(opener.private_key), false),
          publicKey: opener.public_key,
        };
        const got = await outcome(async () => {
          const key = await openGrant(
            parseSignedDocument(c.grant),
            parseChain(c.granter_chain),
            opener.device,
            me,
            document,
            context,
            vectors.now,
          );
          return { public_key: await x25519PublicOf(key) };
        });
        expect(got).toEqual(c.expect);
      });
    }

    for (const c of vectors.recipients) {
      it(`recipients: ${c.name}`, async () => {
        const state: TrustState = {
          rootPublicKey: vectors.root.public_key,
          pinnedFingerprint: vectors.root.fingerprint,
          commune: vectors.commune,
          lastRevocationNumber: c.state.last_revocation_number,
          knownRevokedSerials: c.state.known_revoked_serials,
          lastServiceKeyNumber: c.state.last_service_key_number,
        };
        const got = await outcome(async () => {
          const resolution = await resolveRecipients(c.directory, state, vectors.now);
          return {
            recipients: resolution.recipients.map((r) => ({ kind: r.kind, id: r.id, key: r.key })),
            refused: resolution.refused,
            state: {
              last_revocation_number: resolution.state.lastRevocationNumber,
              known_revoked_serials: resolution.state.knownRevokedSerials,
              last_service_key_number: resolution.state.lastServiceKeyNumber,
            },
          };
        });
        expect(got).toEqual(c.expect);
      });
    }
  });
}

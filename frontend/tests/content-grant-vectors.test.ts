/**
 * contentGrant.ts against tests/vectors/content-key-grant-v1.json (written and checked by
 * tests/vectors/generate_content_key_grant_vectors.py) and content-key-grant-v1-ts.json
 * (sealed here by scripts/content-key-grant-vectors.gen.ts): every grant, alone and
 * opening its envelope, must end as the file says.
 */

import { describe, expect, it } from "vitest";

import pythonVectors from "../../tests/vectors/content-key-grant-v1.json";
import tsVectors from "../../tests/vectors/content-key-grant-v1-ts.json";
import { openContentKeyGrant, openEnvelopeWithGrant } from "../src/envelope/contentGrant";
import { ENVELOPE_MESSAGES, sha256B64 } from "../src/envelope/envelope";
import { b64urlDecode, b64urlEncode } from "../src/trust/b64";
import { parseChain, parseSignedDocument } from "../src/trust/chain";
import { grantee, outcome, trust, type ContentGrantVectors } from "./content-grant-vector-types";

for (const [label, raw] of [
  ["written by Python", pythonVectors],
  ["written by TypeScript", tsVectors],
] as const) {
  const vectors = raw as unknown as ContentGrantVectors;

  describe(`content-key grant vectors ${label}`, () => {
    it("carry the shared message table", () => {
      expect(vectors.messages).toEqual(ENVELOPE_MESSAGES);
    });

    for (const c of vectors.openings) {
      it(`opening: ${c.name}`, async () => {
        const envelope = vectors.envelopes[c.envelope];
        const { device, opener } = await grantee(vectors, c.opener);
        const got = await outcome(async () => {
          const opened = await openEnvelopeWithGrant(
            envelope.wire,
            c.attachments.map(b64urlDecode),
            envelope.binding,
            parseSignedDocument(c.grant),
            parseChain(c.granter_chain),
            device,
            opener,
            await trust(vectors),
          );
          return {
            text: opened.text,
            attachments: await Promise.all(opened.attachments.map((a) => sha256B64(a.data))),
            content_key: b64urlEncode(opened.contentKey),
          };
        });
        expect(got).toEqual(c.expect);
      });
    }

    for (const c of vectors.grants) {
      it(`grant: ${c.name}`, async () => {
        const { device, opener } = await grantee(vectors, c.opener);
        const got = await outcome(async () => {
          const key = await openContentKeyGrant(
            parseSignedDocument(c.grant),
            parseChain(c.granter_chain),
            device,
            opener,
            await trust(vectors),
          );
          return { content_key: b64urlEncode(key) };
        });
        expect(got).toEqual(c.expect);
      });
    }
  });
}

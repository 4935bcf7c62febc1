/**
 * envelope.ts against the shared vectors: tests/vectors/envelope-v1.json (sealed by
 * Python) and envelope-v1-ts.json (sealed here by scripts/envelope-vectors.gen.ts).
 * Every case must end as the file says, with the same code, and the message table must
 * be the other implementation's, sentence for sentence.
 */

import { describe, expect, it } from "vitest";

import pythonVectors from "../../tests/vectors/envelope-v1.json";
import tsVectors from "../../tests/vectors/envelope-v1-ts.json";
import { ENVELOPE_MESSAGES, EnvelopeError } from "../src/envelope/envelope";
import { openEnvelope } from "../src/envelope/opening";
import { b64urlDecode, b64urlEncode } from "../src/trust/b64";
import { verifyRevocationList } from "../src/trust/chain";
import { openerFromFixture, type EnvelopeVectors } from "./envelope-vector-types";

async function runCase(vectors: EnvelopeVectors, index: number): Promise<unknown> {
  const c = vectors.cases[index];
  const revocations = await verifyRevocationList(
    vectors.revocations,
    vectors.revocations.chain,
    vectors.root.public_key,
    vectors.root.fingerprint,
    vectors.commune,
    0,
    vectors.now,
  );
  const trust = {
    rootPublicKey: vectors.root.public_key,
    pinnedFingerprint: vectors.root.fingerprint,
    commune: vectors.commune,
    revocations,
  };
  const opener = await openerFromFixture(vectors.fixtures.openers[c.opener]);
  try {
    const opened = await openEnvelope(
      c.wire,
      c.attachments.map((a) => b64urlDecode(a)),
      c.expected,
      opener,
      trust,
    );
    return {
      text: opened.text,
      fields: opened.fields,
      attachments: opened.attachments.map((a) => ({
        data: b64urlEncode(a.data),
        media: a.media,
        width: a.width,
        height: a.height,
      })),
    };
  } catch (error) {
    if (error instanceof EnvelopeError) return { error: error.code };
    throw error;
  }
}

const REQUIRED_ERRORS = [
  "revoked",
  "tampered",
  "bad_signature",
  "wrong_context",
  "wrong_sender",
  "broken_chain",
  "not_a_recipient",
  "undecryptable",
  "unsupported_version",
  "not_canonical",
];

for (const [label, raw] of [
  ["sealed by Python", pythonVectors],
  ["sealed by TypeScript", tsVectors],
] as const) {
  const vectors = raw as unknown as EnvelopeVectors;

  describe(`envelope vectors ${label}`, () => {
    it("come from the expected implementation and carry the same message table", () => {
      expect(vectors.version).toBe(1);
      expect(vectors.generated_by).toMatch(label.endsWith("Python") ? /^python/ : /^typescript/);
      expect(vectors.messages).toEqual(ENVELOPE_MESSAGES);
    });

    it("cover the cases the contract requires", () => {
      const results = vectors.cases.map((c) => c.result);
      const errors = new Set(results.flatMap((r) => ("error" in r ? [r.error] : [])));
      for (const code of REQUIRED_ERRORS) expect(errors, code).toContain(code);
      const opened = results.filter((r) => !("error" in r));
      expect(opened.length).toBeGreaterThanOrEqual(4);
      expect(opened.some((r) => "attachments" in r && r.attachments.length === 2)).toBe(true);
      const openers = new Set(vectors.cases.map((c) => c.opener));
      expect(openers).toContain("police");
    });

    vectors.cases.forEach((c, index) => {
      it(`${c.name}: ${"error" in c.result ? c.result.error : "opens"}`, async () => {
        expect(await runCase(vectors, index)).toEqual(c.result);
      });
    });
  });
}

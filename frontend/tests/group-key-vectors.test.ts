/**
 * groupKey.ts and broadcast.ts against tests/vectors/group-key-v1.json (written and
 * checked by tests/vectors/generate_group_key_vectors.py) and group-key-v1-ts.json
 * (signed and sealed here by scripts/group-key-vectors.gen.ts): every generation
 * document, grant and broadcast must end as the file says.
 */

import { describe, expect, it } from "vitest";

import pythonVectors from "../../tests/vectors/group-key-v1.json";
import tsVectors from "../../tests/vectors/group-key-v1-ts.json";
import { openBroadcast } from "../src/envelope/broadcast";
import { ENVELOPE_MESSAGES, sha256B64 } from "../src/envelope/envelope";
import { openGroupGrant, parseGroupKeyDocument, verifyGroupKey } from "../src/envelope/groupKey";
import { importX25519Private, x25519PublicOf } from "../src/envelope/hpke";
import { b64urlDecode } from "../src/trust/b64";
import { parseChain, parseSignedDocument } from "../src/trust/chain";
import { groupOpener, outcome, trust, type GroupKeyVectors } from "./group-key-vector-types";

for (const [label, raw] of [
  ["written by Python", pythonVectors],
  ["written by TypeScript", tsVectors],
] as const) {
  const vectors = raw as unknown as GroupKeyVectors;

  describe(`group-key vectors ${label}`, () => {
    it("carry the shared message table", () => {
      expect(vectors.messages).toEqual(ENVELOPE_MESSAGES);
    });

    for (const c of vectors.group_keys) {
      it(`generation: ${c.name}`, async () => {
        const last = c.last === null ? null : await parseGroupKeyDocument(parseSignedDocument(c.last));
        const got = await outcome(async () => {
          const body = await verifyGroupKey(c.wire, await trust(vectors), vectors.now, c.scope, last, {
            asOfIssue: c.as_of_issue,
          });
          return { number: body.number, key: body.key, digest: body.digest };
        });
        expect(got).toEqual(c.expect);
      });
    }

    for (const c of vectors.grants) {
      it(`grant: ${c.name}`, async () => {
        const context = await trust(vectors);
        const document = await verifyGroupKey(c.group_key, context, vectors.now, c.scope);
        const opener = vectors.devices[c.opener];
        const me = {
          privateKey: await importX25519Private(b64urlDecode(opener.private_key), false),
          publicKey: opener.public_key,
        };
        const got = await outcome(async () => {
          const key = await openGroupGrant(
            parseSignedDocument(c.grant),
            parseChain(c.granter_chain),
            opener.device,
            me,
            document,
            context,
          );
          return { public_key: await x25519PublicOf(key) };
        });
        expect(got).toEqual(c.expect);
      });
    }

    for (const c of vectors.broadcasts) {
      it(`broadcast: ${c.name}`, async () => {
        const opener = await groupOpener(vectors, c.opener.group, c.opener.superseded_at);
        const got = await outcome(async () => {
          const opened = await openBroadcast(
            c.wire,
            c.attachments.map(b64urlDecode),
            c.expected,
            opener,
            await trust(vectors),
          );
          return {
            text: opened.text,
            fields: opened.fields,
            sender: opened.sender.device,
            number: opened.header.number,
            attachments: await Promise.all(
              opened.attachments.map(async (a) => ({ media: a.media, sha256: await sha256B64(a.data) })),
            ),
          };
        });
        expect(got).toEqual(c.expect);
      });
    }
  });
}

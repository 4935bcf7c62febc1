/**
 * envelope.ts against a real little commune (envelope-world.ts): round trips with
 * non-extractable device keys and with a service key, then every way of breaking an
 * envelope, each with the code docs/envelope.md gives it.
 */

import { beforeAll, describe, expect, it } from "vitest";

import { ENVELOPE_MESSAGES, EnvelopeError, MAX_ATTACHMENT_BYTES, checkParts, headerToJson, parseWire, type Attachment, type Binding, type Header, type Opener, type Sealed, type WireEnvelope } from "../src/envelope/envelope";
import { seal, sealPart, wrapKey } from "../src/envelope/sealing";
import { openEnvelope } from "../src/envelope/opening";
import { x25519PublicOf } from "../src/envelope/hpke";
import { b64urlDecode, b64urlEncode } from "../src/trust/b64";
import { canonicalBytes } from "../src/trust/canonical";
import { signDocument, verifyRevocationList, type RevocationList } from "../src/trust/chain";
import {
  COMMUNE,
  NOW,
  SHOP,
  entry,
  makeWorld,
  openerOf,
  recipientOf,
  senderOf,
  x25519,
  type Device,
  type World,
} from "./envelope-world";

const BINDING: Binding = { commune: COMMUNE, incident: "incident-1", message: "message-1" };
const PHOTO_A: Attachment = {
  data: new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3, 4, 5]),
  media: "image/jpeg",
  width: 1600,
  height: 1200,
};
const PHOTO_B: Attachment = {
  data: crypto.getRandomValues(new Uint8Array(5000)),
  media: "image/jpeg",
  width: 900,
  height: 1600,
};

let world: World;
let merchant: Device;
let operator: Device;
let other: Device;
let service: CryptoKeyPair;
let serviceOpener: Opener;

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(EnvelopeError);
  expect((error as EnvelopeError).code).toBe(code);
  expect((error as EnvelopeError).message).not.toBe("");
}

function headerObj(wire: WireEnvelope): Record<string, unknown> {
  return JSON.parse(wire.body) as Record<string, unknown>;
}

/** Rewrite the header and sign it with `signer` (the real sender unless said otherwise). */
async function resign(
  wire: WireEnvelope,
  edit: (header: Record<string, unknown>) => void,
  signer: Device = merchant,
): Promise<WireEnvelope> {
  const header = headerObj(wire);
  edit(header);
  const doc = await signDocument(header, signer.sign.privateKey);
  return { ...wire, body: doc.body, signature: doc.signature };
}

async function sealBasic(attachments: Attachment[] = []): Promise<Sealed> {
  return seal(
    BINDING,
    senderOf(merchant),
    { text: "Vol à l'étalage, individu parti vers la gare 🚉", fields: { category: "vol" }, attachments },
    [recipientOf(operator), recipientOf(merchant), { kind: "service", id: "police:1", key: serviceOpener.publicKey }],
    NOW,
  );
}

beforeAll(async () => {
  world = await makeWorld();
  merchant = await world.device("merchant-device", "commercant", SHOP);
  operator = await world.device("operator-device", "operateur");
  other = await world.device("other-device", "commercant", "shop-2");
  service = await x25519(true);
  serviceOpener = {
    kind: "service",
    id: "police:1",
    privateKey: service.privateKey,
    publicKey: await x25519PublicOf(service.privateKey),
  };
});

describe("sealing and opening", () => {
  it("opens text and fields on every recipient device, with non-extractable keys", async () => {
    expect(operator.enc.privateKey.extractable).toBe(false);
    const sealed = await sealBasic();
    for (const device of [operator, merchant]) {
      const opened = await openEnvelope(sealed.wire, [], BINDING, openerOf(device), world.trust());
      expect(opened.text).toBe("Vol à l'étalage, individu parti vers la gare 🚉");
      expect(opened.fields).toEqual({ category: "vol" });
      expect(opened.attachments).toEqual([]);
      expect(opened.sender.device).toBe(merchant.id);
    }
  });

  it("opens two attachments in order, with their sealed sizes in the header", async () => {
    const sealed = await sealBasic([PHOTO_A, PHOTO_B]);
    expect(sealed.attachments.map((a) => a.length)).toEqual([8 + 16, 5000 + 16]);
    const [header] = parseWire(sealed.wire);
    expect(header.attachments.map((a) => a.size)).toEqual([24, 5016]);
    expect(header.recipients.map((r) => `${r.kind}:${r.id}`)).toEqual([
      "device:merchant-device",
      "device:operator-device",
      "service:police:1",
    ]);
    const opened = await openEnvelope(
      sealed.wire,
      sealed.attachments,
      BINDING,
      openerOf(operator),
      world.trust(),
    );
    expect(opened.attachments).toEqual([PHOTO_A, PHOTO_B]);
    // The server sees sealed bytes only: nothing of the photo in clear.
    expect(b64urlEncode(sealed.attachments[0])).not.toContain(b64urlEncode(PHOTO_A.data));
  });

  it("opens with the police service key", async () => {
    const sealed = await sealBasic([PHOTO_A]);
    const opened = await openEnvelope(
      sealed.wire,
      sealed.attachments,
      BINDING,
      serviceOpener,
      world.trust(),
    );
    expect(opened.attachments[0].data).toEqual(PHOTO_A.data);
  });

  it("keeps a message readable when its sender is revoked after sending, not before", async () => {
    const sealed = await sealBasic();
    const later = await world.revocations(1, [entry(merchant, NOW + 10)]);
    const before = await world.revocations(1, [entry(merchant, NOW - 10)]);
    const verify = (doc: typeof later): Promise<RevocationList> =>
      verifyRevocationList(doc, [], world.rootKey, world.rootPrint, COMMUNE, 0, NOW + 20);
    const opened = await openEnvelope(
      sealed.wire,
      [],
      BINDING,
      openerOf(operator),
      world.trust(await verify(later)),
    );
    expect(opened.text).not.toBeNull();
    await expectCode(
      openEnvelope(sealed.wire, [], BINDING, openerOf(operator), world.trust(await verify(before))),
      "revoked",
    );
  });

  it("carries every French message of the spec's table", () => {
    expect(ENVELOPE_MESSAGES.no_police_recipient).toBe(
      "Aucun destinataire de la police n'a pu être vérifié : appelez le 17.",
    );
    expect(ENVELOPE_MESSAGES.revoked).toBe("Cet appareil a été révoqué ou suspendu.");
    expect(new EnvelopeError("tampered").message).toBe(
      "Le contenu chiffré a été modifié ou est incomplet.",
    );
  });
});

describe("refusing what was tampered with", () => {
  let sealed: Sealed;
  const open = (wire: unknown, attachments = sealed.attachments, expected = BINDING) =>
    openEnvelope(wire, attachments, expected, openerOf(operator), world.trust());

  beforeAll(async () => {
    sealed = await sealBasic([PHOTO_A, PHOTO_B]);
  });

  it("one byte flipped in the sealed content", async () => {
    const content = b64urlDecode(sealed.wire.content);
    content[5] ^= 1;
    await expectCode(open({ ...sealed.wire, content: b64urlEncode(content) }), "tampered");
  });

  it("one byte flipped in an attachment, or one missing, or one added", async () => {
    const flipped = sealed.attachments.map((a) => new Uint8Array(a));
    flipped[1][100] ^= 0x80;
    await expectCode(open(sealed.wire, flipped), "tampered");
    await expectCode(open(sealed.wire, [sealed.attachments[0]]), "tampered");
    await expectCode(open(sealed.wire, [...sealed.attachments, sealed.attachments[0]]), "tampered");
    await expectCode(open(sealed.wire, [sealed.attachments[1], sealed.attachments[0]]), "tampered");
  });

  it("the header altered without re-signing", async () => {
    const header = headerObj(sealed.wire);
    header.sent_at = NOW + 1;
    const body = new TextDecoder().decode(canonicalBytes(header));
    await expectCode(open({ ...sealed.wire, body }), "bad_signature");
  });

  it("the recipient list altered without re-signing", async () => {
    const header = headerObj(sealed.wire);
    (header.recipients as unknown[]).splice(0, 1);
    const body = new TextDecoder().decode(canonicalBytes(header));
    await expectCode(open({ ...sealed.wire, body }), "bad_signature");
  });

  it("an envelope filed under another incident or message", async () => {
    await expectCode(open(sealed.wire, sealed.attachments, { ...BINDING, incident: "incident-2" }), "wrong_context");
    await expectCode(open(sealed.wire, sealed.attachments, { ...BINDING, message: "message-2" }), "wrong_context");
  });

  it("signed by another certified device than the header names", async () => {
    const wire = await resign(sealed.wire, () => undefined, other);
    await expectCode(open({ ...wire, sender_chain: other.chain }), "wrong_sender");
  });

  it("the header signed by another device than the certified sender", async () => {
    const wire = await resign(sealed.wire, () => undefined, other);
    await expectCode(open(wire), "bad_signature");
  });

  it("a sender chain that does not lead to the pinned root", async () => {
    const elsewhere = await makeWorld();
    const impostor = await elsewhere.device(merchant.id, "commercant", SHOP, {
      serial: merchant.cert.serial,
    });
    const wire = await resign(sealed.wire, () => undefined, impostor);
    await expectCode(open({ ...wire, sender_chain: impostor.chain }), "broken_chain");
  });

  it("an opener the message was not wrapped for", async () => {
    await expectCode(
      openEnvelope(sealed.wire, sealed.attachments, BINDING, openerOf(other), world.trust()),
      "not_a_recipient",
    );
    // Listed id, but the server handed this device another key: still not a recipient.
    await expectCode(
      openEnvelope(
        sealed.wire,
        sealed.attachments,
        BINDING,
        { ...openerOf(operator), publicKey: other.encKey, privateKey: other.enc.privateKey },
        world.trust(),
      ),
      "not_a_recipient",
    );
  });

  it("wrapped keys swapped between two recipients and re-signed by the real sender", async () => {
    const wire = await resign(sealed.wire, (header) => {
      const [a, b] = header.recipients as Record<string, unknown>[];
      [a.enc, b.enc, a.wrapped, b.wrapped] = [b.enc, a.enc, b.wrapped, a.wrapped];
    });
    await expectCode(open(wire), "undecryptable");
  });

  it("a wrapped key whose key field was replaced by the opener's key", async () => {
    const intruder = openerOf(other);
    const wire = await resign(sealed.wire, (header) => {
      const recipients = header.recipients as Record<string, unknown>[];
      // operator-device < other-device < service: keep the list sorted.
      recipients.splice(2, 0, { ...recipients[1], id: other.id, key: other.encKey });
    });
    await expectCode(
      openEnvelope(wire, sealed.attachments, BINDING, intruder, world.trust()),
      "undecryptable",
    );
  });

  it("parts sealed for another incident under a re-signed header naming this one", async () => {
    const rawKey = crypto.getRandomValues(new Uint8Array(32));
    const elsewhere = { ...BINDING, incident: "incident-2" };
    const content = await sealPart(
      rawKey,
      elsewhere,
      0,
      canonicalBytes({ type: "maillage.content", v: 1, text: "x", attachments: [], fields: {} }),
    );
    const wrapped = await wrapKey(rawKey, BINDING, recipientOf(operator));
    const header: Header = {
      ...BINDING,
      senderDevice: merchant.id,
      senderSerial: merchant.cert.serial,
      sentAt: NOW,
      recipients: [{ ...recipientOf(operator), ...wrapped }],
      content: { size: content.length, sha256: await sha(content) },
      attachments: [],
    };
    const doc = await signDocument(headerToJson(header), merchant.sign.privateKey);
    const wire = {
      body: doc.body,
      signature: doc.signature,
      sender_chain: merchant.chain,
      content: b64urlEncode(content),
    };
    await expectCode(open(wire, []), "undecryptable");
  });

  it("a version this code does not know, even re-signed", async () => {
    const wire = await resign(sealed.wire, (header) => {
      header.v = 2;
      header.novelty = true;
    });
    await expectCode(open(wire), "unsupported_version");
  });

  it("a header that is not canonical JSON", async () => {
    await expectCode(open({ ...sealed.wire, body: sealed.wire.body.replace(",", ", ") }), "not_canonical");
  });

  it("a malformed wire or header, re-signed or not", async () => {
    await expectCode(open({ ...sealed.wire, extra: 1 }), "malformed");
    await expectCode(open({ ...sealed.wire, sender_chain: [] }), "malformed");
    await expectCode(open({ ...sealed.wire, signature: "AAAA" }), "malformed");
    await expectCode(open(null), "malformed");
    const unsorted = await resign(sealed.wire, (header) => {
      (header.recipients as unknown[]).reverse();
    });
    await expectCode(open(unsorted), "malformed");
    const twice = await resign(sealed.wire, (header) => {
      const recipients = header.recipients as unknown[];
      recipients.splice(1, 0, recipients[0]);
    });
    await expectCode(open(twice), "malformed");
    const badId = await resign(sealed.wire, (header) => {
      header.incident = "incident 1";
    });
    await expectCode(open(badId), "malformed");
    const typed = await resign(sealed.wire, (header) => {
      header.type = "maillage.other";
    });
    await expectCode(open(typed), "malformed");
  });

  it("sizes over the limits, declared or real", async () => {
    const declared = await resign(sealed.wire, (header) => {
      (header.attachments as Record<string, unknown>[])[0].size = MAX_ATTACHMENT_BYTES + 1;
    });
    await expectCode(open(declared), "too_large");
    const [header, content] = parseWire(sealed.wire);
    await expect(checkParts(header, content, sealed.attachments)).resolves.toBeUndefined();
    const huge = [new Uint8Array(MAX_ATTACHMENT_BYTES + 1), sealed.attachments[1]];
    await expectCode(checkParts(header, content, huge), "too_large");
    const bigContent = b64urlEncode(new Uint8Array(65537));
    await expectCode(Promise.resolve().then(() => parseWire({ ...sealed.wire, content: bigContent })), "too_large");
  });
});

describe("sealing refuses what no opener would accept", () => {
  const sealWith = (overrides: Partial<{ text: string | null; fields: Record<string, unknown>; attachments: Attachment[] }>, recipients = [recipientOf(operator)]) =>
    seal(
      BINDING,
      senderOf(merchant),
      { text: "ok", fields: {}, attachments: [], ...overrides },
      recipients,
      NOW,
    );

  it("text over 4 000 characters (counted as code points, like Python)", async () => {
    await expect(sealWith({ text: "🚨".repeat(4000) })).resolves.toBeDefined();
    await expectCode(sealWith({ text: "a".repeat(4001) }), "malformed");
  });

  it("content over 64 KiB once sealed", async () => {
    await expectCode(sealWith({ fields: { notes: "x".repeat(70_000) } }), "too_large");
  });

  it("more than four attachments, or an attachment type outside the closed list", async () => {
    await expectCode(sealWith({ attachments: [PHOTO_A, PHOTO_A, PHOTO_A, PHOTO_A, PHOTO_A] }), "malformed");
    await expectCode(sealWith({ attachments: [{ ...PHOTO_A, media: "text/html" }] }), "malformed");
  });

  it("no recipient, a recipient twice, or a key that is not 32 bytes", async () => {
    await expectCode(sealWith({}, []), "malformed");
    await expectCode(sealWith({}, [recipientOf(operator), recipientOf(operator)]), "malformed");
    await expectCode(sealWith({}, [{ kind: "device", id: operator.id, key: "AAAA" }]), "malformed");
  });

  it("fields that are not canonical JSON", async () => {
    await expectCode(sealWith({ fields: { ratio: 0.5 } }), "not_canonical");
  });
});

async function sha(data: Uint8Array): Promise<string> {
  return b64urlEncode(new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(data))));
}

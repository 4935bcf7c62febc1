/**
 * Writes tests/vectors/envelope-v1-ts.json: envelopes sealed by envelope.ts, for
 * src/maillage/wire (Python) to open. Run: `cd frontend && npm run vectors`.
 *
 * Reuses `fixtures`, `root`, `revocations` and `commune` of the Python file
 * (envelope-v1.json) so both files share keys, and builds the same list of cases: each
 * negative case breaks exactly one property and is re-signed by the sender whenever the
 * case is about something the signature does not catch. Every case is opened here
 * before the file is written, so a generator bug never reaches it. Test keys only.
 */

import { expect, it } from "vitest";

import pythonVectors from "../../tests/vectors/envelope-v1.json";
import { ENVELOPE_MESSAGES, EnvelopeError, MAX_ATTACHMENT_BYTES, sha256B64, type Attachment, type Binding, type Recipient, type Sealed, type WireEnvelope } from "../src/envelope/envelope";
import { seal, sealPart, wrapKey } from "../src/envelope/sealing";
import { openEnvelope } from "../src/envelope/opening";
import { b64urlDecode, b64urlEncode } from "../src/trust/b64";
import { canonicalBytes } from "../src/trust/canonical";
import {
  issueCertificate,
  publicKeyB64,
  signDocument,
  verifyRevocationList,
  type SignedDocument,
} from "../src/trust/chain";
import {
  importEd25519Seed,
  openerFromFixture,
  type EnvelopeVectors,
  type OpenedResult,
  type VectorCase,
} from "../tests/envelope-vector-types";

const source = pythonVectors as unknown as EnvelopeVectors;
const OUTPUT = new URL("../../tests/vectors/envelope-v1-ts.json", import.meta.url);
const COMMUNE = source.commune;
const SENT = source.fixtures.sent_at as number;
const REVOKED_AT = source.fixtures.revoked_at as number;
const TEXT = "Rayon bricolage : deux hommes, sac à dos noir 🎒, partis en trottinette « vers l'est ».";

interface SenderKeys {
  sign: CryptoKey;
  device: string;
  serial: string;
  chain: SignedDocument[];
}

async function sender(name: string): Promise<SenderKeys> {
  const f = source.fixtures.senders[name];
  return { sign: await importEd25519Seed(f.sign_private), device: f.device, serial: f.serial, chain: f.chain };
}

function binding(): Binding {
  return { commune: COMMUNE, incident: crypto.randomUUID(), message: crypto.randomUUID() };
}

async function photo(label: string, repeat: number): Promise<Uint8Array> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(label)),
  );
  const bytes = new Uint8Array(4 + 32 * repeat);
  bytes.set([0xff, 0xd8, 0xff, 0xe0]);
  for (let i = 0; i < repeat; i++) bytes.set(digest, 4 + 32 * i);
  return bytes;
}

function contentObject(
  text: string | null,
  fields: Record<string, unknown>,
  attachments: Attachment[],
): Record<string, unknown> {
  return {
    type: "maillage.content",
    v: 1,
    text,
    attachments: attachments.map((a) => ({ media: a.media, width: a.width, height: a.height })),
    fields,
  };
}

interface CraftOptions {
  partBinding?: Binding;
  headerSender?: SenderKeys;
  chain?: SignedDocument[];
}

/** `seal` step by step, with hooks to break one thing at a time. */
async function craft(
  b: Binding,
  signer: SenderKeys,
  content: Record<string, unknown>,
  attachments: Uint8Array[],
  recipients: Recipient[],
  sentAt: number,
  options: CraftOptions = {},
): Promise<Sealed> {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const partsFor = options.partBinding ?? b;
  const sealedContent = await sealPart(key, partsFor, 0, canonicalBytes(content));
  const sealed: Uint8Array[] = [];
  for (let i = 0; i < attachments.length; i++) {
    sealed.push(await sealPart(key, partsFor, i + 1, attachments[i]));
  }
  const named = options.headerSender ?? signer;
  const entries = [];
  for (const r of [...recipients].sort((x, y) => (`${x.kind} ${x.id}` < `${y.kind} ${y.id}` ? -1 : 1))) {
    entries.push({ kind: r.kind, id: r.id, key: r.key, ...(await wrapKey(key, b, r)) });
  }
  const header = {
    type: "maillage.envelope",
    v: 1,
    commune: b.commune,
    incident: b.incident,
    message: b.message,
    sender: { device: named.device, serial: named.serial },
    sent_at: sentAt,
    recipients: entries,
    content: { size: sealedContent.length, sha256: await sha256B64(sealedContent) },
    attachments: await Promise.all(sealed.map(async (p) => ({ size: p.length, sha256: await sha256B64(p) }))),
  };
  const doc = await signDocument(header, signer.sign);
  return {
    wire: {
      body: doc.body,
      signature: doc.signature,
      sender_chain: options.chain ?? signer.chain,
      content: b64urlEncode(sealedContent),
    },
    attachments: sealed,
  };
}

async function resign(
  wire: WireEnvelope,
  signer: SenderKeys,
  edit: (header: Record<string, unknown>) => void,
  canonical = true,
): Promise<WireEnvelope> {
  const header = JSON.parse(wire.body) as Record<string, unknown>;
  edit(header);
  const body = canonical
    ? new TextDecoder().decode(canonicalBytes(header))
    : JSON.stringify(header, null, 1);
  const signature = await crypto.subtle.sign({ name: "Ed25519" }, signer.sign, new TextEncoder().encode(body));
  return { ...wire, body, signature: b64urlEncode(new Uint8Array(signature)) };
}

function flip(data: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(data);
  copy[index] ^= 0x01;
  return copy;
}

function result(text: string | null, fields: Record<string, unknown>, attachments: Attachment[]): OpenedResult {
  return {
    text,
    fields,
    attachments: attachments.map((a) => ({ data: b64urlEncode(a.data), media: a.media, width: a.width, height: a.height })),
  };
}

function makeCase(
  name: string,
  description: string,
  sealed: Sealed,
  expected: Binding,
  opener: string,
  outcome: VectorCase["result"],
  overrides: { wire?: WireEnvelope | Record<string, unknown>; attachments?: Uint8Array[] } = {},
): VectorCase {
  return {
    name,
    description,
    wire: overrides.wire ?? sealed.wire,
    attachments: (overrides.attachments ?? sealed.attachments).map((a) => b64urlEncode(a)),
    expected,
    opener,
    result: outcome,
  };
}

async function buildCases(): Promise<VectorCase[]> {
  const merchant = await sender("merchant");
  const otherMerchant = await sender("other_merchant");
  const revokedMerchant = await sender("revoked_merchant");
  const operator = await sender("operator");
  const recipients = source.fixtures.recipients as Recipient[];
  const photos: Attachment[] = [
    { data: await photo("ts photo 1", 40), media: "image/jpeg", width: 1600, height: 1200 },
    { data: await photo("ts photo 2", 23), media: "image/png", width: 900, height: 1600 },
  ];
  const cases: VectorCase[] = [];

  const sealedBy = (
    s: SenderKeys,
    b: Binding,
    opts: { text?: string | null; fields?: Record<string, unknown>; attachments?: Attachment[]; sentAt?: number } = {},
  ) =>
    seal(
      b,
      { signPrivate: s.sign, device: s.device, serial: s.serial, chain: s.chain },
      {
        text: opts.text === undefined ? TEXT : opts.text,
        fields: opts.fields ?? {},
        attachments: opts.attachments ?? [],
      },
      recipients,
      opts.sentAt ?? SENT,
    );

  let b = binding();
  cases.push(makeCase("text_only", "Texte seul, ouvert par l'appareil de l'opérateur.", await sealedBy(merchant, b), b, "operator", result(TEXT, {}, [])));

  const fields = { direction: "est", suspects: [{ sac: "noir", taille: 175 }], urgent: false };
  b = binding();
  cases.push(
    makeCase(
      "text_and_attachments",
      "Texte, champs et deux photos, ouvert par le commerçant.",
      await sealedBy(merchant, b, { fields, attachments: photos }),
      b,
      "merchant",
      result(TEXT, fields, photos),
    ),
  );

  b = binding();
  cases.push(
    makeCase(
      "police_service_key",
      "Ouvert avec la clé de service de la police (police:1).",
      await sealedBy(merchant, b, { attachments: photos.slice(0, 1) }),
      b,
      "police",
      result(TEXT, {}, photos.slice(0, 1)),
    ),
  );

  b = binding();
  cases.push(
    makeCase(
      "no_text",
      "Texte null, champs seuls, envoyé par l'opérateur.",
      await sealedBy(operator, b, { text: null, fields: { etat: "pris en charge" } }),
      b,
      "merchant",
      result(null, { etat: "pris en charge" }, []),
    ),
  );

  b = binding();
  cases.push(
    makeCase(
      "revoked_after_sent",
      "Expéditeur révoqué après l'envoi : le message reste lisible.",
      await sealedBy(revokedMerchant, b, { sentAt: REVOKED_AT - 100 }),
      b,
      "operator",
      result(TEXT, {}, []),
    ),
  );

  b = binding();
  cases.push(
    makeCase(
      "revoked_before_sent",
      "Expéditeur révoqué avant l'envoi.",
      await sealedBy(revokedMerchant, b, { sentAt: REVOKED_AT + 100 }),
      b,
      "operator",
      { error: "revoked" },
    ),
  );

  b = binding();
  let s = await sealedBy(merchant, b, { attachments: photos });
  cases.push(
    makeCase("content_flipped", "Un octet du contenu scellé modifié.", s, b, "operator", { error: "tampered" }, {
      wire: { ...s.wire, content: b64urlEncode(flip(b64urlDecode(s.wire.content), 20)) },
    }),
  );

  b = binding();
  s = await sealedBy(merchant, b, { attachments: photos });
  cases.push(
    makeCase("attachment_flipped", "Un octet de la deuxième pièce jointe modifié.", s, b, "operator", { error: "tampered" }, {
      attachments: [s.attachments[0], flip(s.attachments[1], 100)],
    }),
  );

  b = binding();
  s = await sealedBy(merchant, b, { attachments: photos });
  cases.push(
    makeCase("attachment_missing", "Une pièce jointe manquante.", s, b, "operator", { error: "tampered" }, {
      attachments: s.attachments.slice(0, 1),
    }),
  );

  const unsigned = (wire: WireEnvelope, edit: (h: Record<string, unknown>) => void): WireEnvelope => {
    const header = JSON.parse(wire.body) as Record<string, unknown>;
    edit(header);
    return { ...wire, body: new TextDecoder().decode(canonicalBytes(header)) };
  };

  b = binding();
  s = await sealedBy(merchant, b);
  cases.push(
    makeCase("header_altered", "En-tête modifié (sent_at) sans nouvelle signature.", s, b, "operator", { error: "bad_signature" }, {
      wire: unsigned(s.wire, (h) => {
        h.sent_at = (h.sent_at as number) + 1;
      }),
    }),
  );

  const attacker = (await crypto.subtle.generateKey({ name: "X25519" }, true, ["deriveBits"])) as CryptoKeyPair;
  const attackerKey = await publicKeyB64(attacker.publicKey);
  b = binding();
  s = await sealedBy(merchant, b);
  cases.push(
    makeCase(
      "recipient_key_substituted",
      "Clé d'un destinataire remplacée dans l'en-tête sans nouvelle signature.",
      s,
      b,
      "operator",
      { error: "bad_signature" },
      {
        wire: unsigned(s.wire, (h) => {
          for (const e of h.recipients as Record<string, unknown>[]) {
            if (e.kind === "service") e.key = attackerKey;
          }
        }),
      },
    ),
  );

  b = binding();
  s = await sealedBy(merchant, b);
  cases.push(
    makeCase("recipient_removed", "Un destinataire retiré sans nouvelle signature.", s, b, "operator", { error: "bad_signature" }, {
      wire: unsigned(s.wire, (h) => {
        h.recipients = (h.recipients as Record<string, unknown>[]).filter((e) => e.id !== merchant.device);
      }),
    }),
  );

  b = binding();
  s = await sealedBy(merchant, b);
  cases.push(
    makeCase("wrong_context", "Enveloppe classée sous un autre signalement.", s, { ...b, incident: crypto.randomUUID() }, "operator", {
      error: "wrong_context",
    }),
  );

  b = binding();
  cases.push(
    makeCase(
      "wrong_sender",
      "Signé par un autre appareil certifié que celui nommé dans l'en-tête.",
      await craft(b, otherMerchant, contentObject(TEXT, {}, []), [], recipients, SENT, { headerSender: merchant }),
      b,
      "operator",
      { error: "wrong_sender" },
    ),
  );

  // Claims to be the merchant's device, certified by a key that is not the root's.
  const rogueRoot = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])) as CryptoKeyPair;
  const rogueSign = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])) as CryptoKeyPair;
  const merchantCert = JSON.parse(merchant.chain[0].body) as Record<string, unknown>;
  const rogueCert = await issueCertificate(rogueRoot, {
    serial: merchant.serial,
    commune: COMMUNE,
    device: merchant.device,
    member: merchantCert.member as string,
    role: "commercant",
    shop: merchantCert.shop as string,
    enc_key: merchantCert.enc_key as string,
    sign_key: await publicKeyB64(rogueSign.publicKey),
    may_certify: false,
    issued_at: merchantCert.issued_at as number,
    expires_at: merchantCert.expires_at as number,
  });
  const rogue: SenderKeys = { sign: rogueSign.privateKey, device: merchant.device, serial: merchant.serial, chain: [rogueCert] };
  b = binding();
  cases.push(
    makeCase(
      "rogue_chain",
      "Chaîne de l'expéditeur signée par une fausse racine.",
      await craft(b, rogue, contentObject(TEXT, {}, []), [], recipients, SENT),
      b,
      "operator",
      { error: "broken_chain" },
    ),
  );

  b = binding();
  cases.push(
    makeCase("not_a_recipient", "L'appareil qui ouvre n'est pas destinataire.", await sealedBy(merchant, b), b, "outsider", {
      error: "not_a_recipient",
    }),
  );

  b = binding();
  s = await sealedBy(merchant, b);
  cases.push(
    makeCase(
      "wrapped_keys_swapped",
      "Clés enveloppées échangées entre deux destinataires, re-signé par l'expéditeur.",
      s,
      b,
      "operator",
      { error: "undecryptable" },
      {
        wire: await resign(s.wire, merchant, (h) => {
          const [first, second] = (h.recipients as Record<string, unknown>[]).filter((e) => e.kind === "device");
          [first.enc, second.enc] = [second.enc, first.enc];
          [first.wrapped, second.wrapped] = [second.wrapped, first.wrapped];
        }),
      },
    ),
  );

  b = binding();
  cases.push(
    makeCase(
      "part_aad_mismatch",
      "Contenu scellé pour un autre signalement, en-tête (signé) pour celui-ci.",
      await craft(b, merchant, contentObject(TEXT, {}, []), [], recipients, SENT, {
        partBinding: { ...b, incident: crypto.randomUUID() },
      }),
      b,
      "operator",
      { error: "undecryptable" },
    ),
  );

  b = binding();
  s = await sealedBy(merchant, b);
  cases.push(
    makeCase("version_2", "Version 2, re-signée.", s, b, "operator", { error: "unsupported_version" }, {
      wire: await resign(s.wire, merchant, (h) => {
        h.v = 2;
      }),
    }),
  );

  b = binding();
  s = await sealedBy(merchant, b);
  cases.push(
    makeCase("not_canonical", "En-tête indenté (JSON non canonique), re-signé.", s, b, "operator", { error: "not_canonical" }, {
      wire: await resign(s.wire, merchant, () => undefined, false),
    }),
  );

  b = binding();
  s = await sealedBy(merchant, b, { attachments: photos.slice(0, 1) });
  cases.push(
    makeCase("too_large", "En-tête annonçant une pièce jointe de plus de 3 Mio, re-signé.", s, b, "operator", { error: "too_large" }, {
      wire: await resign(s.wire, merchant, (h) => {
        (h.attachments as Record<string, unknown>[])[0].size = MAX_ATTACHMENT_BYTES + 1;
      }),
    }),
  );

  b = binding();
  cases.push(
    makeCase(
      "content_extra_field",
      "Objet de contenu avec un champ inconnu (après déchiffrement).",
      await craft(b, merchant, { ...contentObject(TEXT, {}, []), gps: "48.99,1.71" }, [], recipients, SENT),
      b,
      "operator",
      { error: "malformed" },
    ),
  );

  b = binding();
  s = await sealedBy(merchant, b);
  cases.push(
    makeCase("wire_extra_field", "Champ inattendu à côté de l'en-tête.", s, b, "operator", { error: "malformed" }, {
      wire: { ...s.wire, note: "x" },
    }),
  );
  return cases;
}

/** Open a case the way envelope-vectors.test.ts does. */
async function outcome(doc: EnvelopeVectors, c: VectorCase): Promise<unknown> {
  const revocations = await verifyRevocationList(
    doc.revocations,
    doc.revocations.chain,
    doc.root.public_key,
    doc.root.fingerprint,
    doc.commune,
    0,
    doc.now,
  );
  try {
    const opened = await openEnvelope(
      c.wire,
      c.attachments.map((a) => b64urlDecode(a)),
      c.expected,
      await openerFromFixture(doc.fixtures.openers[c.opener]),
      { rootPublicKey: doc.root.public_key, pinnedFingerprint: doc.root.fingerprint, commune: doc.commune, revocations },
    );
    return result(opened.text, opened.fields, opened.attachments);
  } catch (error) {
    if (error instanceof EnvelopeError) return { error: error.code };
    throw error;
  }
}

it("writes tests/vectors/envelope-v1-ts.json", async () => {
  const doc: EnvelopeVectors = {
    version: 1,
    generated_by: "typescript (frontend/scripts/envelope-vectors.gen.ts: cd frontend && npm run vectors)",
    description:
      "Envelopes sealed by frontend/src/envelope/envelope.ts (docs/envelope.md), with the keys of envelope-v1.json. Open each case with the list in `revocations` (verified at `now`, last seen 0) and the opener named; expect `result` or the error code.",
    messages: { ...ENVELOPE_MESSAGES },
    commune: source.commune,
    root: source.root,
    revocations: source.revocations,
    now: source.now,
    fixtures: source.fixtures,
    cases: await buildCases(),
  };
  for (const c of doc.cases) expect(await outcome(doc, c), c.name).toEqual(c.result);
  const fs = (await import(/* @vite-ignore */ "node:fs" as string)) as {
    writeFileSync(path: URL, data: string): void;
  };
  fs.writeFileSync(OUTPUT, JSON.stringify(doc, null, 1) + "\n");
});

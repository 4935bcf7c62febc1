/**
 * chain.ts against tests/vectors/trust-v1.json, the contract with chain.py: every case
 * must end as the Python implementation ends it, and what TypeScript signs must be
 * what Python signed.
 */

import { describe, expect, it } from "vitest";

import rawVectors from "../../tests/vectors/trust-v1.json";
import {
  type CertificateBody,
  type RevocationList,
  type SignedDocument,
  TRUST_MESSAGES,
  TrustError,
  type TrustErrorCode,
  b64urlDecode,
  b64urlEncode,
  canonicalBytes,
  canonicalJson,
  fingerprint,
  issueCertificate,
  issueRevocationList,
  parseCertificate,
  parseChain,
  parseRevocationDocument,
  publicKeyB64,
  signDocument,
  verifyChain,
  verifyRevocationList,
} from "../src/trust/chain";

interface VectorKey {
  seed_hex: string;
  pkcs8: string;
  public_key: string;
  fingerprint: string;
  enc_public_key: string;
}

interface VectorCase {
  name: string;
  description: string;
  chain: SignedDocument[];
  root_public_key: string;
  pinned_fingerprint: string;
  commune: string;
  revocations: (SignedDocument & { chain: SignedDocument[] }) | null;
  last_seen_number: number;
  known_revoked_serials: string[];
  now: number;
  expect: { ok: true; leaf_device: string } | { ok: false; code: TrustErrorCode };
}

interface Vectors {
  version: number;
  error_messages: Record<TrustErrorCode, string>;
  keys: Record<string, VectorKey>;
  b64url: { valid: { hex: string; text: string }[]; invalid: string[] };
  canonical: {
    valid: { name: string; input: unknown; expected: string }[];
    invalid: { name: string; input_json: string }[];
  };
  cases: VectorCase[];
}

const vectors = rawVectors as unknown as Vectors;

/** What a client does: verify the revocation list first, then the chain against it. */
async function runCase(c: VectorCase): Promise<CertificateBody> {
  const chain = parseChain(c.chain);
  let revocations: RevocationList | null = null;
  if (c.revocations !== null) {
    const { doc, chain: signerChain } = parseRevocationDocument(c.revocations);
    revocations = await verifyRevocationList(
      doc,
      signerChain,
      c.root_public_key,
      c.pinned_fingerprint,
      c.commune,
      c.last_seen_number,
      c.now,
      c.known_revoked_serials,
    );
  }
  return verifyChain(chain, c.root_public_key, c.pinned_fingerprint, c.commune, revocations, c.now);
}

async function outcome(c: VectorCase): Promise<VectorCase["expect"]> {
  try {
    return { ok: true, leaf_device: (await runCase(c)).device };
  } catch (error) {
    if (error instanceof TrustError) return { ok: false, code: error.code };
    throw error;
  }
}

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

async function importSigningKey(key: VectorKey): Promise<CryptoKeyPair> {
  const privateKey = await crypto.subtle.importKey(
    "pkcs8",
    b64urlDecode(key.pkcs8),
    { name: "Ed25519" },
    false,
    ["sign"],
  );
  const publicKey = await crypto.subtle.importKey(
    "raw",
    b64urlDecode(key.public_key),
    { name: "Ed25519" },
    true,
    ["verify"],
  );
  return { privateKey, publicKey };
}

describe("trust vectors", () => {
  it("cover every error code and at least one success", () => {
    const codes = new Set(vectors.cases.flatMap((c) => (c.expect.ok ? [] : [c.expect.code])));
    expect([...codes].sort()).toEqual(Object.keys(TRUST_MESSAGES).sort());
    expect(vectors.cases.some((c) => c.expect.ok)).toBe(true);
  });

  it.each(vectors.cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    expect(await outcome(c)).toEqual(c.expect);
  });

  it("share the French messages with Python", () => {
    expect(TRUST_MESSAGES).toEqual(vectors.error_messages);
    const error = new TrustError("revoked");
    expect(error.message).toBe("Cet appareil a été révoqué ou suspendu.");
    expect(error).toBeInstanceOf(Error);
  });

  it("agree on fingerprints", async () => {
    for (const key of Object.values(vectors.keys)) {
      expect(await fingerprint(b64urlDecode(key.public_key))).toBe(key.fingerprint);
      expect(key.fingerprint).toHaveLength(43);
    }
  });
});

describe("canonical JSON", () => {
  it.each(vectors.canonical.valid.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    expect(canonicalJson(c.input)).toBe(c.expected);
    expect(new TextDecoder().decode(canonicalBytes(c.input))).toBe(c.expected);
  });

  it.each(vectors.canonical.invalid.map((c) => [c.name, c] as const))(
    "refuses %s",
    (_name, c) => {
      expect(() => canonicalJson(JSON.parse(c.input_json))).toThrowError(TrustError);
    },
  );

  it("refuses what JSON.stringify would silently drop or convert", () => {
    for (const value of [
      { x: undefined },
      [undefined],
      { x: () => 1 },
      { x: 10n },
      { x: new Date(0) },
      { x: new Map() },
      { x: Number.NaN },
      { x: Number.POSITIVE_INFINITY },
      { [Symbol("s")]: 1 },
      { x: 0.1 },
    ]) {
      expect(() => canonicalJson(value)).toThrowError(TrustError);
    }
  });

  it("sorts keys by code point, not UTF-16 unit", () => {
    expect(canonicalJson({ "\uffff": 1, "😀": 2 })).toBe('{"\uffff":1,"😀":2}');
  });
});

describe("base64url", () => {
  it("matches the vectors and refuses lax encodings", () => {
    for (const c of vectors.b64url.valid) {
      expect(b64urlEncode(hexToBytes(c.hex))).toBe(c.text);
      expect(b64urlDecode(c.text)).toEqual(hexToBytes(c.hex));
    }
    for (const text of vectors.b64url.invalid) {
      expect(() => b64urlDecode(text)).toThrowError(TrustError);
    }
  });
});

describe("signing in the browser", () => {
  const base = vectors.cases.find((c) => c.name === "valid_root_coordinator_merchant");
  if (!base) throw new Error("vector case missing");

  it("produces the signatures Python produced (Ed25519 is deterministic)", async () => {
    const root = await importSigningKey(vectors.keys.root);
    const coordinator = await importSigningKey(vectors.keys.coordinator);
    const [merchantCert, coordinatorCert] = base.chain;
    expect(await signDocument(JSON.parse(coordinatorCert.body), root.privateKey)).toEqual(
      coordinatorCert,
    );
    const merchantBody = parseCertificate(merchantCert);
    const reissued = await issueCertificate(coordinator, merchantBody);
    expect(reissued).toEqual(merchantCert);
  });

  it("issues a chain with fresh non-extractable keys that verifyChain accepts", async () => {
    const generate = async () =>
      (await crypto.subtle.generateKey({ name: "Ed25519" }, false, [
        "sign",
        "verify",
      ])) as CryptoKeyPair;
    const root = await generate();
    const coordinator = await generate();
    const merchant = await generate();
    const encKey = (await crypto.subtle.generateKey({ name: "X25519" }, false, [
      "deriveBits",
    ])) as CryptoKeyPair;
    const encB64 = await publicKeyB64(encKey.publicKey);
    const rootB64 = await publicKeyB64(root.publicKey);
    const pin = await fingerprint(b64urlDecode(rootB64));
    const commune = "commune-1";
    const now = 1_770_000_000;
    const coordinatorCert = await issueCertificate(root, {
      commune,
      device: "coord-device",
      member: "coord-member",
      role: "coordinateur",
      shop: null,
      enc_key: encB64,
      sign_key: await publicKeyB64(coordinator.publicKey),
      may_certify: true,
      issued_at: now - 10,
      expires_at: now + 1000,
    });
    const merchantCert = await issueCertificate(coordinator, {
      commune,
      device: "merchant-device",
      member: "merchant-member",
      role: "commercant",
      shop: "shop-1",
      enc_key: encB64,
      sign_key: await publicKeyB64(merchant.publicKey),
      may_certify: false,
      issued_at: now - 10,
      expires_at: now + 1000,
    });
    const chain = [merchantCert, coordinatorCert];
    const leaf = await verifyChain(chain, rootB64, pin, commune, null, now);
    expect(leaf.device).toBe("merchant-device");

    const list = await issueRevocationList(coordinator, {
      commune,
      number: 1,
      issued_at: now,
      entries: [{ serial: leaf.serial, device: leaf.device, reason: "revoked", at: now }],
    });
    const verified = await verifyRevocationList(
      list,
      [coordinatorCert],
      rootB64,
      pin,
      commune,
      1,
      now,
    );
    await expect(verifyChain(chain, rootB64, pin, commune, verified, now)).rejects.toMatchObject({
      code: "revoked",
    });
    await expect(
      verifyRevocationList(list, [coordinatorCert], rootB64, pin, commune, 2, now),
    ).rejects.toMatchObject({ code: "stale_revocations" });
  });

  it("refuses to let a merchant certify", async () => {
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    const key = await publicKeyB64(pair.publicKey);
    await expect(
      issueCertificate(pair, {
        commune: "c",
        device: "d",
        member: "m",
        role: "commercant",
        shop: null,
        enc_key: key,
        sign_key: key,
        may_certify: true,
        issued_at: 1,
        expires_at: 2,
      }),
    ).rejects.toMatchObject({ code: "malformed" });
  });
});

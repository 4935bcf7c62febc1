/**
 * HPKE single-shot seal/open for the one suite of envelope v1 (docs/envelope.md): base
 * mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, all through `@hpke/core`
 * on WebCrypto. Twin of src/maillage/wire/hpke.py.
 *
 * The recipient side takes a key PAIR: device keys are non-extractable, and given a bare
 * private key `@hpke/core` would try to export it to find the public half.
 */

import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";

import { b64urlDecode, b64urlEncode } from "../trust/b64";

export const SUITE = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes128Gcm(),
});

/** PKCS#8 wrapping of a raw X25519 private key (RFC 8410): WebCrypto imports no raw private key. */
const X25519_PKCS8_PREFIX = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);

/** Opening failed: wrong key, altered `enc`, ciphertext or aad, or a degenerate key. */
export class HpkeFailure extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "HpkeFailure";
  }
}

export async function importX25519Public(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", new Uint8Array(raw), { name: "X25519" }, true, []);
}

/** Import 32 raw bytes as an X25519 private key (extractable only when asked). */
export async function importX25519Private(
  raw: Uint8Array,
  extractable: boolean,
): Promise<CryptoKey> {
  if (raw.length !== 32) throw new HpkeFailure("X25519 private keys are 32 bytes");
  const pkcs8 = new Uint8Array(X25519_PKCS8_PREFIX.length + 32);
  pkcs8.set(X25519_PKCS8_PREFIX, 0);
  pkcs8.set(raw, X25519_PKCS8_PREFIX.length);
  try {
    return await crypto.subtle.importKey("pkcs8", pkcs8, { name: "X25519" }, extractable, [
      "deriveBits",
    ]);
  } finally {
    pkcs8.fill(0);
  }
}

/** The raw 32 bytes of an extractable X25519 private key (JWK `d`, which every engine exports). */
export async function exportX25519Private(key: CryptoKey): Promise<Uint8Array> {
  const jwk = await crypto.subtle.exportKey("jwk", key);
  if (typeof jwk.d !== "string") throw new HpkeFailure("not an X25519 private key");
  return b64urlDecode(jwk.d);
}

/** Raw public half (b64url) of an extractable X25519 private key. */
export async function x25519PublicOf(key: CryptoKey): Promise<string> {
  const jwk = await crypto.subtle.exportKey("jwk", key);
  if (typeof jwk.x !== "string") throw new HpkeFailure("not an X25519 key");
  return b64urlEncode(b64urlDecode(jwk.x));
}

/** Seal `plaintext` to a raw X25519 public key; sequence number 0 only. */
export async function hpkeSeal(
  publicRaw: Uint8Array,
  plaintext: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
): Promise<{ enc: Uint8Array; ct: Uint8Array }> {
  const recipientPublicKey = await importX25519Public(publicRaw);
  const sealed = await SUITE.seal(
    { recipientPublicKey, info: new Uint8Array(info) },
    new Uint8Array(plaintext),
    new Uint8Array(aad),
  );
  return { enc: new Uint8Array(sealed.enc), ct: new Uint8Array(sealed.ct) };
}

/** Open a single-shot ciphertext; every failure becomes an `HpkeFailure`. */
export async function hpkeOpen(
  privateKey: CryptoKey,
  publicRaw: Uint8Array,
  enc: Uint8Array,
  ct: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  try {
    const publicKey = await importX25519Public(publicRaw);
    const pt = await SUITE.open(
      {
        recipientKey: { privateKey, publicKey },
        enc: new Uint8Array(enc),
        info: new Uint8Array(info),
      },
      new Uint8Array(ct),
      new Uint8Array(aad),
    );
    return new Uint8Array(pt);
  } catch (error) {
    throw new HpkeFailure(error);
  }
}

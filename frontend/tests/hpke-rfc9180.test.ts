/**
 * `@hpke/core` against the official RFC 9180 vectors (Appendix A, base mode, X25519),
 * copied from ../shared/vectors into tests/vectors.
 *
 * AEAD 1 (AES-128-GCM, the suite of envelope v1): everything, i.e. the KEM with the
 * RFC's ephemeral key, every encryption (sender side up to sequence 256, recipient side
 * for the consecutive ones) and every export.
 * AEAD 3 (ChaCha20-Poly1305): `@hpke/chacha20poly1305` is not installed (and v1 does not
 * use it), so the cipher itself is not run. Everything around it is: the KEM, and the
 * key schedule with the suite id naming AEAD 3, seen through a recording AEAD that
 * checks the key, each nonce, plaintext and aad it is handed; and every export.
 */

import {
  Aes128Gcm,
  AeadId,
  CipherSuite,
  DhkemX25519HkdfSha256,
  HkdfSha256,
  type AeadEncryptionContext,
  type AeadInterface,
} from "@hpke/core";
import { describe, expect, it } from "vitest";

import rawVectors from "../../tests/vectors/rfc9180-x25519-base.json";
import { importX25519Private, importX25519Public } from "../src/envelope/hpke";

interface Vector {
  mode: number;
  kem_id: number;
  kdf_id: number;
  aead_id: number;
  info: string;
  skEm: string;
  pkEm: string;
  skRm: string;
  pkRm: string;
  enc: string;
  shared_secret: string;
  key: string;
  base_nonce: string;
  encryptions: { sequence_number: number; pt: string; aad: string; nonce: string; ct: string }[];
  exports: { exporter_context: string; L: number; exported_value: string }[];
}

const vectors = rawVectors as Vector[];

function hex(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function toHex(data: ArrayBuffer | Uint8Array): string {
  return [...new Uint8Array(data)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function pair(sk: string, pk: string): Promise<CryptoKeyPair> {
  return { privateKey: await importX25519Private(hex(sk), false), publicKey: await importX25519Public(hex(pk)) };
}

/** Stands in for ChaCha20-Poly1305: records what the key schedule hands the cipher. */
class RecordingAead implements AeadInterface {
  readonly id = AeadId.Chacha20Poly1305;
  readonly keySize = 32;
  readonly nonceSize = 12;
  readonly tagSize = 16;
  keys: string[] = [];
  calls: { nonce: string; pt: string; aad: string }[] = [];

  createEncryptionContext(key: ArrayBufferLike | ArrayBufferView): AeadEncryptionContext {
    this.keys.push(toHex(ArrayBuffer.isView(key) ? new Uint8Array(key.buffer, key.byteOffset, key.byteLength) : new Uint8Array(key)));
    const view = (d: ArrayBufferLike | ArrayBufferView) =>
      ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d);
    return {
      seal: async (iv, data, aad) => {
        this.calls.push({ nonce: toHex(view(iv)), pt: toHex(view(data)), aad: toHex(view(aad)) });
        return new Uint8Array(view(data).length + this.tagSize).buffer;
      },
      open: async () => {
        throw new Error("not a cipher");
      },
    };
  }
}

function suiteFor(aead: AeadInterface): CipherSuite {
  return new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead });
}

describe("RFC 9180 vectors, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, base mode", () => {
  it("are the two suites the spec names", () => {
    expect(vectors.map((v) => [v.mode, v.kem_id, v.kdf_id, v.aead_id])).toEqual([
      [0, 32, 1, 1],
      [0, 32, 1, 3],
    ]);
  });

  for (const v of vectors) {
    it(`KEM: encapsulation with skEm and decapsulation with skRm (aead ${v.aead_id})`, async () => {
      const kem = new DhkemX25519HkdfSha256();
      const recipient = await pair(v.skRm, v.pkRm);
      const sender = await kem.encap({ recipientPublicKey: recipient.publicKey, ekm: await pair(v.skEm, v.pkEm) });
      expect(toHex(sender.enc)).toBe(v.enc);
      expect(toHex(sender.sharedSecret)).toBe(v.shared_secret);
      const secret = await kem.decap({ enc: hex(v.enc), recipientKey: recipient });
      expect(toHex(secret)).toBe(v.shared_secret);
    });
  }

  const aes = vectors.find((v) => v.aead_id === 1) as Vector;

  it("AES-128-GCM: every encryption from the sender side, sequence numbers 0 to 256", async () => {
    const suite = suiteFor(new Aes128Gcm());
    const recipient = await pair(aes.skRm, aes.pkRm);
    const ctx = await suite.createSenderContext({
      recipientPublicKey: recipient.publicKey,
      info: hex(aes.info),
      ekm: await pair(aes.skEm, aes.pkEm),
    });
    expect(toHex(ctx.enc)).toBe(aes.enc);
    const bySeq = new Map(aes.encryptions.map((e) => [e.sequence_number, e]));
    const last = Math.max(...bySeq.keys());
    for (let seq = 0; seq <= last; seq++) {
      const e = bySeq.get(seq);
      const ct = await ctx.seal(e ? hex(e.pt) : new Uint8Array(1), e ? hex(e.aad) : new Uint8Array(0));
      if (e) expect(toHex(ct), `sequence ${seq}`).toBe(e.ct);
    }
  });

  it("AES-128-GCM: the recipient opens the consecutive ones, and refuses an altered one", async () => {
    const suite = suiteFor(new Aes128Gcm());
    const recipientKey = await pair(aes.skRm, aes.pkRm);
    const ctx = await suite.createRecipientContext({ recipientKey, enc: hex(aes.enc), info: hex(aes.info) });
    for (const e of aes.encryptions.filter((x) => x.sequence_number <= 2)) {
      expect(toHex(await ctx.open(hex(e.ct), hex(e.aad)))).toBe(e.pt);
    }
    const first = aes.encryptions[0];
    const single = await suite.open({ recipientKey, enc: hex(aes.enc), info: hex(aes.info) }, hex(first.ct), hex(first.aad));
    expect(toHex(single)).toBe(first.pt);
    const altered = hex(first.ct);
    altered[0] ^= 1;
    await expect(suite.open({ recipientKey, enc: hex(aes.enc), info: hex(aes.info) }, altered, hex(first.aad))).rejects.toThrow();
  });

  for (const v of vectors) {
    it(`exports (aead ${v.aead_id})`, async () => {
      const suite = v.aead_id === 1 ? suiteFor(new Aes128Gcm()) : suiteFor(new RecordingAead());
      const recipientKey = await pair(v.skRm, v.pkRm);
      const ctx = await suite.createRecipientContext({ recipientKey, enc: hex(v.enc), info: hex(v.info) });
      for (const e of v.exports) {
        expect(toHex(await ctx.export(hex(e.exporter_context), e.L))).toBe(e.exported_value);
      }
    });
  }

  it("ChaCha20-Poly1305 suite: the key schedule hands the cipher the RFC's key and nonces", async () => {
    const chacha = vectors.find((v) => v.aead_id === 3) as Vector;
    const aead = new RecordingAead();
    const suite = suiteFor(aead);
    const ctx = await suite.createSenderContext({
      recipientPublicKey: await importX25519Public(hex(chacha.pkRm)),
      info: hex(chacha.info),
      ekm: await pair(chacha.skEm, chacha.pkEm),
    });
    expect(toHex(ctx.enc)).toBe(chacha.enc);
    expect(aead.keys).toEqual([chacha.key]);
    const bySeq = new Map(chacha.encryptions.map((e) => [e.sequence_number, e]));
    const last = Math.max(...bySeq.keys());
    for (let seq = 0; seq <= last; seq++) {
      const e = bySeq.get(seq);
      await ctx.seal(e ? hex(e.pt) : new Uint8Array(1), e ? hex(e.aad) : new Uint8Array(0));
      if (e) expect(aead.calls[seq], `sequence ${seq}`).toEqual({ nonce: e.nonce, pt: e.pt, aad: e.aad });
    }
    expect(aead.calls[0].nonce).toBe(chacha.base_nonce);
  });
});

import { describe, expect, it } from "vitest";

describe("WebCrypto in the test runtime", () => {
  it("generates a non-extractable Ed25519 key pair", async () => {
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    expect(pair.privateKey.extractable).toBe(false);
    const raw = await crypto.subtle.exportKey("raw", pair.publicKey);
    expect(new Uint8Array(raw).length).toBe(32);
  });
});

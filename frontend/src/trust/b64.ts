/**
 * base64url without padding: the only encoding of bytes on the wire (docs/trust.md).
 * Twin of src/maillage/wire/b64.py.
 */

import { TrustError } from "./errors";

const B64URL = /^[A-Za-z0-9_-]*$/;

export function b64urlEncode(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Strict decoding: no padding, no stray characters, no non-zero trailing bits, so one
 * byte string has exactly one accepted text (same rule as wire/b64.py).
 */
export function b64urlDecode(text: string): Uint8Array<ArrayBuffer> {
  if (typeof text !== "string" || !B64URL.test(text) || text.length % 4 === 1) {
    throw new TrustError("malformed", "Encodage base64url invalide.");
  }
  const standard = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(standard + "=".repeat((4 - (standard.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  if (b64urlEncode(bytes) !== text) {
    throw new TrustError("malformed", "Encodage base64url invalide.");
  }
  return bytes;
}

/** Decode a key, signature or digest that must be exactly `length` bytes. */
export function decodeFixed(text: unknown, length: number): Uint8Array<ArrayBuffer> {
  if (typeof text !== "string") throw new TrustError("malformed");
  const bytes = b64urlDecode(text);
  if (bytes.length !== length) throw new TrustError("malformed");
  return bytes;
}

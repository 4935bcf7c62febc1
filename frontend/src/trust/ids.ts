/**
 * Identifiers and the field checks every signed body uses (docs/trust.md, shape rules).
 * The identifier rule lives here and nowhere else in TypeScript; twin of
 * src/maillage/wire/ids.py. Every check throws `TrustError("malformed")`; envelope code
 * turns it into an `EnvelopeError` with the same code (`asEnvelopeError`).
 */

import { decodeFixed } from "./b64";
import { TrustError } from "./errors";

/** public_ids (UUIDs) or `police:<n>`; ASCII only so both languages count lengths alike. */
export const IDENTIFIER = /^[A-Za-z0-9._:-]{1,64}$/;

export function isIdentifier(value: unknown): value is string {
  return typeof value === "string" && IDENTIFIER.test(value);
}

/** A key fingerprint as it travels: a SHA-256 digest, base64url without padding. */
export function isFingerprint(value: unknown): value is string {
  try {
    decodeFixed(value, 32);
    return true;
  } catch {
    return false;
  }
}

export function isInt(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value);
}

/** An integer both languages hold exactly: 0 … 2^53 − 1 (times, sizes, numbers). */
export function isCount(value: unknown): value is number {
  return isInt(value) && value >= 0;
}

/** A JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Exactly these fields: unknown or missing ones are refused. */
export function requireKeys(obj: Record<string, unknown>, expected: readonly string[]): void {
  const keys = Object.keys(obj);
  if (keys.length !== expected.length || !expected.every((key) => Object.hasOwn(obj, key))) {
    throw new TrustError("malformed", "Champs inattendus ou manquants.");
  }
}

function invalid(name: string): TrustError {
  return new TrustError("malformed", `Champ « ${name} » invalide.`);
}

export function requireIdentifier(obj: Record<string, unknown>, name: string): string {
  const value = obj[name];
  if (!isIdentifier(value)) throw invalid(name);
  return value;
}

export function requireCount(obj: Record<string, unknown>, name: string): number {
  const value = obj[name];
  if (!isCount(value)) throw invalid(name);
  return value;
}

/** A base64url field of exactly `length` bytes (a key by default); returns the text. */
export function requireBytes(obj: Record<string, unknown>, name: string, length = 32): string {
  try {
    decodeFixed(obj[name], length);
  } catch {
    throw invalid(name);
  }
  return obj[name] as string;
}

/** `type` is `type` and `v` the integer 1 (not `true`). */
export function requireHeader(obj: Record<string, unknown>, type: string): void {
  if (obj.type !== type || !isInt(obj.v) || obj.v !== 1) {
    throw new TrustError("malformed", "Type ou version de document inconnu.");
  }
}

/**
 * Canonical JSON: the exact text that gets signed (docs/trust.md, "Canonical JSON").
 * Twin of src/maillage/wire/canonical.py; both must give the strings in the shared vectors.
 */

import { TrustError } from "./errors";

/** Nesting beyond this is refused so both languages fail alike, not by stack overflow. */
export const MAX_DEPTH = 32;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when the string has no lone surrogate, i.e. it has a UTF-8 form. */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** Python sorts keys by code point; JavaScript's default sort is by UTF-16 unit. */
function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i) as number;
    const cb = b.codePointAt(j) as number;
    if (ca !== cb) return ca - cb;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  return a.length - i - (b.length - j);
}

function writeString(text: string): string {
  if (!isWellFormed(text)) throw new TrustError("not_canonical", "Texte Unicode invalide.");
  return JSON.stringify(text);
}

function write(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) {
    throw new TrustError("not_canonical", "Document trop profondément imbriqué.");
  }
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isSafeInteger(value)) {
        throw new TrustError(
          "not_canonical",
          "Seuls les entiers entre −(2^53 − 1) et 2^53 − 1 sont acceptés.",
        );
      }
      return String(value);
    case "string":
      return writeString(value);
    case "object":
      break;
    default:
      throw new TrustError("not_canonical", `Type refusé en JSON canonique : ${typeof value}.`);
  }
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (let i = 0; i < value.length; i++) items.push(write(value[i], depth + 1));
    return `[${items.join(",")}]`;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new TrustError("not_canonical", "Seuls les objets JSON simples sont acceptés.");
  }
  if (Object.getOwnPropertySymbols(value).length > 0) {
    throw new TrustError("not_canonical", "Les clés d'un objet doivent être des textes.");
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort(compareCodePoints);
  const members = keys.map((key) => `${writeString(key)}:${write(record[key], depth + 1)}`);
  return `{${members.join(",")}}`;
}

/**
 * Canonical JSON text of `value`: keys sorted by code point, no whitespace, strings
 * escaped as JSON.stringify does. Refuses non-integers, integers beyond ±(2^53 − 1),
 * lone surrogates, `undefined`, and anything that is not plain JSON data.
 */
export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

/** UTF-8 bytes of the canonical JSON: what Ed25519 signs. */
export function canonicalBytes(value: unknown): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(canonicalJson(value));
}

/**
 * Parse a signed body and insist its text is already canonical: the signature covers
 * the text as received, so re-canonicalising what was parsed must give it back exactly.
 */
export function parseCanonical(body: unknown): Record<string, unknown> {
  if (typeof body !== "string" || !isWellFormed(body)) throw new TrustError("malformed");
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new TrustError("malformed", "Corps JSON illisible.");
  }
  if (canonicalJson(parsed) !== body) throw new TrustError("not_canonical");
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new TrustError("malformed", "Le corps signé doit être un objet JSON.");
  }
  return parsed as Record<string, unknown>;
}

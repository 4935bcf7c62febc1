/**
 * The schema of tests/vectors/envelope-v1*.json and the fixture key imports shared by
 * the vector test and the TypeScript generator (scripts/envelope-vectors.gen.ts).
 */

import type { Binding, Opener, RecipientKind, WireEnvelope } from "../src/envelope/envelope";
import { importX25519Private } from "../src/envelope/hpke";
import { b64urlDecode } from "../src/trust/b64";
import type { RevocationDocument, SignedDocument } from "../src/trust/chain";

export interface SenderFixture {
  sign_private: string;
  device: string;
  serial: string;
  role?: string;
  chain: SignedDocument[];
}

export interface OpenerFixture {
  kind: RecipientKind;
  id: string;
  private_key: string;
  public_key: string;
}

export interface OpenedResult {
  text: string | null;
  fields: Record<string, unknown>;
  attachments: { data: string; media: string; width: number; height: number }[];
}

export interface VectorCase {
  name: string;
  description?: string;
  wire: WireEnvelope | Record<string, unknown>;
  attachments: string[];
  expected: Binding;
  opener: string;
  result: OpenedResult | { error: string };
}

export interface EnvelopeVectors {
  version: number;
  generated_by: string;
  description?: string;
  messages: Record<string, string>;
  commune: string;
  root: { public_key: string; fingerprint: string };
  revocations: RevocationDocument;
  now: number;
  fixtures: {
    senders: Record<string, SenderFixture>;
    openers: Record<string, OpenerFixture>;
    recipients?: { kind: RecipientKind; id: string; key: string }[];
    sent_at?: number;
    revoked_at?: number;
  };
  cases: VectorCase[];
}

/** RFC 8410 PKCS#8 wrapping of a raw Ed25519 seed: how WebCrypto takes a private key. */
const ED25519_PKCS8_PREFIX = [
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

export async function importEd25519Seed(seed: string): Promise<CryptoKey> {
  const raw = b64urlDecode(seed);
  const pkcs8 = new Uint8Array([...ED25519_PKCS8_PREFIX, ...raw]);
  return crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
}

/** An opener as a device would hold it: the private key non-extractable. */
export async function openerFromFixture(fixture: OpenerFixture): Promise<Opener> {
  return {
    kind: fixture.kind,
    id: fixture.id,
    privateKey: await importX25519Private(b64urlDecode(fixture.private_key), false),
    publicKey: fixture.public_key,
  };
}

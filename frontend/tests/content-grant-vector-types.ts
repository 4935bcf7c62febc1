/**
 * The schema of tests/vectors/content-key-grant-v1*.json, shared by the vector test and
 * the TypeScript generator (scripts/content-key-grant-vectors.gen.ts).
 */

import type { Binding, WireEnvelope } from "../src/envelope/envelope";
import type { RevocationDocument, SignedDocument } from "../src/trust/chain";

export type Expect = { ok: true; [field: string]: unknown } | { ok: false; code: string };

export interface DeviceFixture {
  device: string;
  serial: string;
  sign_private: string;
  private_key: string;
  public_key: string;
  chain: SignedDocument[];
}

/** A sealed message and its content key K, as the operator's device read it. */
export interface EnvelopeFixture {
  binding: Binding;
  wire: WireEnvelope;
  attachments: string[];
  content_key: string;
}

export interface GrantCase {
  name: string;
  description: string;
  grant: SignedDocument;
  granter_chain: SignedDocument[];
  opener: string;
  expect: Expect;
}

export interface OpeningCase extends GrantCase {
  envelope: string;
  attachments: string[];
}

export interface ContentGrantVectors {
  version: number;
  generated_by: string;
  description: string;
  messages: Record<string, string>;
  commune: string;
  root: { public_key: string; fingerprint: string };
  revocations: RevocationDocument;
  now: number;
  devices: Record<string, DeviceFixture>;
  envelopes: Record<string, EnvelopeFixture>;
  openings: OpeningCase[];
  grants: GrantCase[];
}

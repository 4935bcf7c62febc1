/**
 * The schema of tests/vectors/service-key-v1*.json, shared by the vector test and the
 * TypeScript generator (scripts/service-key-vectors.gen.ts).
 */

import type { RevocationDocument, SignedDocument } from "../src/trust/chain";

export type Expect = { ok: true; [field: string]: unknown } | { ok: false; code: string };

export interface VectorCase {
  name: string;
  description: string;
  expect: Expect;
}

export interface ServiceKeyCase extends VectorCase {
  wire: unknown;
  last_seen_number: number;
  as_of_issue: boolean;
}

export interface GrantCase extends VectorCase {
  grant: SignedDocument;
  granter_chain: SignedDocument[];
  service_key: unknown;
  opener: string;
}

export interface RecipientCase extends VectorCase {
  directory: unknown;
  state: {
    last_revocation_number: number;
    known_revoked_serials: string[];
    last_service_key_number: number;
  };
}

export interface DeviceFixture {
  device: string;
  sign_private: string;
  private_key: string;
  public_key: string;
  chain: SignedDocument[];
}

export interface ServiceKeyVectors {
  version: number;
  generated_by: string;
  description: string;
  messages: Record<string, string>;
  commune: string;
  root: { public_key: string; fingerprint: string };
  revocations: RevocationDocument;
  now: number;
  devices: Record<string, DeviceFixture>;
  police: Record<string, string>;
  service_keys: ServiceKeyCase[];
  grants: GrantCase[];
  recipients: RecipientCase[];
}

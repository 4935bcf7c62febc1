/**
 * The schema of tests/vectors/content-key-grant-v1*.json, shared by the vector test and
 * the TypeScript generator (scripts/content-key-grant-vectors.gen.ts).
 */

import type { Binding, WireEnvelope } from "../src/envelope/envelope";
import type { GrantOpener } from "../src/envelope/generations";
import { importX25519Private } from "../src/envelope/hpke";
import { b64urlDecode } from "../src/trust/b64";
import type { RevocationDocument, SignedDocument } from "../src/trust/chain";
import type { DeviceFixture as ServiceKeyDevice, Expect } from "./service-key-vector-types";

export type { Expect } from "./service-key-vector-types";
export { outcome, trust } from "./group-key-vector-types";

/** The service-key vectors' devices, with the serial a sender needs. */
export interface DeviceFixture extends ServiceKeyDevice {
  serial: string;
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

/** A device as a grant recipient holds itself: its id, its X25519 key non-extractable. */
export async function grantee(
  vectors: Pick<ContentGrantVectors, "devices">,
  name: string,
): Promise<{ device: string; opener: GrantOpener }> {
  const device = vectors.devices[name];
  return {
    device: device.device,
    opener: {
      privateKey: await importX25519Private(b64urlDecode(device.private_key), false),
      publicKey: device.public_key,
    },
  };
}

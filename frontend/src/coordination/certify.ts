/**
 * What a coordinator's device does with its own key, in the browser:
 * 1. check its own certificate chain up to the root pinned from its invitation link, and
 *    the latest signed revocation list (never trusting the server's word for either);
 * 2. certify a pending device: build the certificate body (docs/trust.md) from the pending
 *    device's public keys and sign it with this device's Ed25519 key;
 * 3. build and sign the next (cumulative) revocation list.
 * The private key is a non-extractable CryptoKey: it signs, it never leaves.
 */

import { getDeviceChain, getRevocations, getRoot } from "../api";
import { acceptRevocationList } from "../device/trustState";
import { postCertificate } from "./api";
import {
  getPinnedRoot,
  getPublicId,
  loadDeviceKeys,
  type DeviceKeys,
  type PinnedRoot,
} from "../device/keystore";
export { keyFingerprint } from "../device/keystore";
export type { RevocationEntry } from "../trust/chain";
import { getLang, hasMessage, t, type MessageKey } from "../i18n";
import {
  issueCertificate,
  issueRevocationList,
  parseChain,
  TrustError,
  verifyChain,
  type CertificateBody,
  type CertificateFields,
  type RevocationEntry,
  type RevocationList,
  type SignedDocument,
} from "../trust/chain";
import type { Role } from "../types";

/** A certifying device, checked: its keys, its verified certificate, the verified list. */
export interface Certifier {
  keys: DeviceKeys;
  deviceId: string;
  commune: string;
  certificate: CertificateBody;
  revocations: RevocationList;
  pinned: PinnedRoot;
}

/** A certifier-side problem, in French, for the coordinator. */
export class CertifierError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "CertifierError";
    this.code = code;
  }
}

const YEAR = 365 * 24 * 3600;
const nowSeconds = () => Math.floor(Date.now() / 1000);
/** Trust failures in the reader's language; a specific French detail is kept in French. */
function asCertifierError(error: unknown): never {
  if (error instanceof TrustError) {
    const key = `trust.${error.code}`;
    const message =
      getLang() !== "fr" && hasMessage(key) ? t(key as MessageKey) : error.message;
    throw new CertifierError(error.code, message);
  }
  throw error;
}

/** The latest revocation list, checked and remembered by device/trustState.ts. */
export async function verifiedRevocations(
  rootPublicKey: string,
  pinnedFingerprint: string,
  commune: string,
): Promise<RevocationList> {
  try {
    return await acceptRevocationList(
      await getRevocations(),
      { commune, rootPublicKey, pinnedFingerprint },
      nowSeconds(),
    );
  } catch (error) {
    return asCertifierError(error);
  }
}

/** Loads and checks this device as a certifier; throws CertifierError in French otherwise. */
export async function loadCertifier(commune: string): Promise<Certifier> {
  const keys = await loadDeviceKeys();
  const deviceId = await getPublicId();
  if (!keys || !deviceId) throw new CertifierError("no_device", t("certify.noDevice"));
  const pinned = await getPinnedRoot();
  if (!pinned) throw new CertifierError("no_root", t("certify.noRoot"));
  const root = await getRoot();
  const revocations = await verifiedRevocations(root.public_key, pinned.fingerprint, commune);
  let chain: SignedDocument[];
  try {
    chain = parseChain(await getDeviceChain(deviceId));
  } catch {
    throw new CertifierError("not_certified", t("certify.notCertified"));
  }
  if (chain.length === 0) throw new CertifierError("not_certified", t("certify.notCertified"));
  let certificate: CertificateBody;
  try {
    certificate = await verifyChain(
      chain,
      root.public_key,
      pinned.fingerprint,
      commune,
      revocations,
      nowSeconds(),
    );
  } catch (error) {
    return asCertifierError(error);
  }
  if (certificate.sign_key !== keys.signKey || certificate.device !== deviceId)
    throw new CertifierError("not_ours", t("certify.notOurs"));
  if (!certificate.may_certify || certificate.role !== "coordinateur")
    throw new CertifierError("not_a_certifier", t("certify.notCertifier"));
  return { keys, deviceId, commune, certificate, revocations, pinned };
}

export interface PendingDeviceData {
  id: string;
  memberId: string;
  role: Role;
  shopId: string | null;
  encKey: string;
  signKey: string;
}

/** The certificate fields for a pending device: one year, never beyond the issuer's own. */
export function certificateFields(
  certifier: Certifier,
  device: PendingDeviceData,
  now = nowSeconds(),
): CertificateFields {
  return {
    commune: certifier.commune,
    device: device.id,
    member: device.memberId,
    role: device.role,
    shop: device.shopId,
    enc_key: device.encKey,
    sign_key: device.signKey,
    may_certify: false,
    issued_at: now,
    expires_at: Math.min(now + YEAR, certifier.certificate.expires_at),
  };
}

function keyPair(keys: DeviceKeys): CryptoKeyPair {
  return { publicKey: keys.signPublic, privateKey: keys.signPrivate };
}

/** Signs the certificate on this device and hands it to the server. */
export async function certifyDevice(certifier: Certifier, device: PendingDeviceData) {
  let signed: SignedDocument;
  try {
    signed = await issueCertificate(keyPair(certifier.keys), certificateFields(certifier, device));
  } catch (error) {
    return asCertifierError(error);
  }
  return postCertificate(device.id, signed);
}

/** The next cumulative revocation list: every entry of the current one plus the new ones. */
export async function nextRevocationList(
  certifier: Certifier,
  additions: Omit<RevocationEntry, "at">[],
  now = nowSeconds(),
): Promise<SignedDocument> {
  const current = certifier.revocations;
  // Cumulative and without duplicates: a serial already listed is not listed again.
  const listed = new Set(current.entries.map((e) => e.serial));
  const entries: RevocationEntry[] = [...current.entries];
  for (const addition of additions) {
    if (listed.has(addition.serial)) continue;
    listed.add(addition.serial);
    entries.push({ ...addition, at: now });
  }
  try {
    return await issueRevocationList(keyPair(certifier.keys), {
      commune: certifier.commune,
      number: current.number + 1,
      issued_at: now,
      entries,
    });
  } catch (error) {
    return asCertifierError(error);
  }
}

/**
 * One member's devices and the revocation of one of them (a lost phone), as the member
 * actions already do it: this coordinator device checks its own chain and the latest list,
 * asks the server which live certificate the next list must name (GET
 * /trust/revocations/draft?device=), refuses a draft naming anything but that device,
 * builds and signs list n+1 here, and posts it with POST /devices/{id}/revoke.
 */

import { describeError, getRevocationDraft } from "../api";
import { t } from "../i18n";
import { listMembers, postDeviceRevocation, type MemberDevice, type MemberRow } from "./api";
import { CertifierError, loadCertifier, nextRevocationList, type RevocationEntry } from "./certify";

export const messageOf = (err: unknown): string =>
  err instanceof CertifierError ? err.message : describeError(err);

export async function loadMember(id: string): Promise<MemberRow | null> {
  return (await listMembers()).find((m) => m.id === id) ?? null;
}

/** A device may be revoked unless it already is (the server refuses one's own too). */
export const mayRevoke = (device: MemberDevice): boolean => device.status !== "revoked";

export async function revokeDevice(commune: string | undefined, device: MemberDevice) {
  if (!commune) throw new CertifierError("untrusted", t("certify.cannotSign"));
  let certifier;
  try {
    certifier = await loadCertifier(commune);
  } catch (err) {
    if (err instanceof CertifierError) throw err;
    throw new CertifierError("untrusted", t("certify.cannotSign"));
  }
  const draft = await getRevocationDraft({ device: device.id });
  const additions: Omit<RevocationEntry, "at">[] = [];
  for (const w of draft.needed ? draft.withdrawals : []) {
    // Never sign away another device than the one chosen, whatever the server says.
    if (w.device !== device.id || w.reason !== "revoked")
      throw new CertifierError("draft_mismatch", t("certify.draftMismatch"));
    additions.push({ serial: w.serial, device: w.device, reason: "revoked" });
  }
  const list = additions.length > 0 ? await nextRevocationList(certifier, additions) : null;
  await postDeviceRevocation(device.id, list ? { revocation_list: list } : {});
}

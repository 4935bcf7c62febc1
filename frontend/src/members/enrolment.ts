/**
 * Enrolment from an invitation link (`/rejoindre#jeton=…&racine=…`), apart from its
 * screen. The fragment never reaches the server: the token is sent in request bodies, the
 * root fingerprint never (it is pinned on this device and compared with what the server
 * claims).
 */

import {
  postEnrolmentComplete,
  postEnrolmentOpen,
  postEnrolmentPasskeyOptions,
  type EnrolmentOut,
} from "../api";
import { keysForRegistration, pinRoot, publicKeys, setPublicId } from "../device/keystore";
import { createPasskey } from "../device/webauthn";
import { t } from "../i18n";
import { adoptSignIn } from "../session";
import { isFingerprint } from "../trust/ids";
import { normaliseCommune, normaliseShop, type Commune, type Role, type Shop } from "../types";

export interface InvitationLink {
  token: string;
  root: string;
}

/** Reads `#jeton=…&racine=…`; null when either part is missing or malformed. */
export function parseInvitationFragment(hash: string): InvitationLink | null {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const token = (params.get("jeton") ?? "").trim();
  const root = (params.get("racine") ?? "").trim();
  if (!token || !isFingerprint(root)) return null;
  return { token, root };
}

export interface Invitation {
  commune: Commune | null;
  role: Role;
  roleLabel: string;
  shop: Shop | null;
  displayName: string;
  charterVersion: number;
  charterText: string;
  rootFingerprint: string | null;
}

/** Read defensively: a missing field is empty, and a missing root fingerprint is null. */
function normaliseInvitation(raw: EnrolmentOut): Invitation {
  const charter: Partial<EnrolmentOut["charter"]> = raw.charter ?? {};
  const root: Partial<EnrolmentOut["root"]> = raw.root ?? {};
  return {
    commune: normaliseCommune(raw.commune),
    role: String(raw.role ?? "") as Role,
    roleLabel: String(raw.role_label ?? ""),
    shop: normaliseShop(raw.shop),
    displayName: String(raw.display_name ?? ""),
    charterVersion: Number(charter.version ?? 0),
    charterText: String(charter.text ?? ""),
    rootFingerprint: typeof root.fingerprint === "string" ? root.fingerprint : null,
  };
}

/** The reason an invitation cannot be used here, in French, for the invitee. */
export class InvitationRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvitationRefused";
  }
}

/** Opens the invitation; refuses one whose commune root is not the link's. */
export async function openInvitation(link: InvitationLink): Promise<Invitation> {
  const invitation = normaliseInvitation(await postEnrolmentOpen(link.token));
  if (invitation.rootFingerprint && invitation.rootFingerprint !== link.root) {
    throw new InvitationRefused(t("enrol.rootMismatch"));
  }
  return invitation;
}

export type EnrolmentStep = "keys" | "options" | "passkey" | "complete";

/**
 * Keys made on this device, a passkey created, the root pinned from the link before
 * anything the server says is adopted, then the member signed in (pending approval).
 * Throws PasskeyError or ApiError.
 */
export async function completeEnrolment(
  link: InvitationLink,
  invitation: Invitation,
  label: string,
  onStep: (step: EnrolmentStep) => void,
): Promise<void> {
  onStep("keys");
  const keys = await keysForRegistration();
  onStep("options");
  const options = await postEnrolmentPasskeyOptions(link.token);
  onStep("passkey");
  const credential = await createPasskey(options);
  onStep("complete");
  await pinRoot({ fingerprint: link.root, source: "link", commune: invitation.commune?.id });
  const session = await adoptSignIn(
    await postEnrolmentComplete({
      token: link.token,
      charter_version: invitation.charterVersion,
      credential,
      device: { label, ...publicKeys(keys) },
    }),
  );
  if (session.device?.id) await setPublicId(session.device.id);
  // The token is spent: take it out of the address bar and the history entry.
  window.history.replaceState(null, "", "/rejoindre");
}

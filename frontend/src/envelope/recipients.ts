/**
 * Choosing and checking recipients (docs/envelope.md, "Key directory"): the server says
 * who should receive a message, this device decides whom to believe. Recipient keys come
 * only from certificates verified here up to the pinned root, with a revocation list
 * verified here too. A bad entry is refused and reported, the others still receive the
 * message: a shopkeeper in danger must not be stopped by one bad entry.
 * Twin of src/maillage/wire/recipients.py.
 */

import {
  parseChain,
  parseRevocationDocument,
  verifyChain,
  verifyRevocationList,
  type CertificateBody,
  type RevocationList,
} from "../trust/chain";
import { isRecord, requireKeys } from "../trust/ids";
import {
  EnvelopeError,
  asEnvelopeError,
  envelopeErrors,
  type Recipient,
  type TrustContext,
} from "./envelope";
import type { TrustState } from "../device/trustState";
import {
  serviceRecipient,
  verifyServiceKey,
  type ServiceKeyDocument,
} from "./serviceKey";

export type Purpose = "incident" | "report" | "sector";
const PURPOSES: readonly Purpose[] = ["incident", "report", "sector"];

/** What this device has verified and must not forget between sends: one memory, kept there. */
export type { TrustState } from "../device/trustState";

export interface Resolution {
  /** Sorted by (kind, id), ready for `seal`. */
  recipients: Recipient[];
  /** Entries not wrapped to: (device public_id, or SERVICE_ENTRY for the service key; code). */
  refused: [string, string][];
  revocations: RevocationList;
  serviceKey: ServiceKeyDocument | null;
  /** The state to keep: list number, revoked serials and service key generation moved forward. */
  state: TrustState;
  /** The verified role of each device recipient: a police note keeps the police ones. */
  roles: Record<string, string>;
}

const POLICE_NOTE_ROLES = new Set(["operateur", "agent"]);

/**
 * The recipients a police note is sealed to: the service key and the devices of operators
 * and agents, never a shop's (docs/decisions.md, « Police notes »).
 */
export function policeRecipients(resolution: Resolution): Recipient[] {
  return resolution.recipients.filter(
    (r) => r.kind === "service" || POLICE_NOTE_ROLES.has(resolution.roles[r.id] ?? ""),
  );
}

/** How a refused service key shows in `Resolution.refused` (it has no device id). */
export const SERVICE_ENTRY = "service:police";
const DIRECTORY_KEYS = ["purpose", "shop", "revocations", "devices", "service_key"];
const DIRECTORY_MALFORMED = "Réponse de l'annuaire des clés mal formée.";

function codeOf(error: unknown): string {
  return asEnvelopeError(error).code;
}

function roleAllowed(purpose: Purpose, leaf: CertificateBody, shop: string | null): boolean {
  if (purpose === "sector") return leaf.role === "commercant";
  if (leaf.role === "operateur" || leaf.role === "agent") return true;
  // The commune's fallback recipients (a partner supervision centre): a new report only,
  // while the police is not reachable; never instead of the police recipient.
  if (leaf.role === "partenaire") return purpose === "report";
  return leaf.role === "commercant" && shop !== null && leaf.shop === shop;
}

/**
 * Verify the directory's revocation list, then every entry; resolve to the recipients
 * to wrap to. Throws `stale_revocations` (or another trust code) when the list does not
 * verify, and `no_police_recipient` when a report or incident message would reach
 * neither an operator device nor the police service key.
 */
export async function resolveRecipients(
  directory: unknown,
  state: TrustState,
  now: number,
): Promise<Resolution> {
  return envelopeErrors(async () => {
    if (!isRecord(directory)) throw new EnvelopeError("malformed", DIRECTORY_MALFORMED);
    try {
      requireKeys(directory, DIRECTORY_KEYS);
    } catch {
      throw new EnvelopeError("malformed", DIRECTORY_MALFORMED);
    }
    const purpose = directory.purpose as Purpose;
    const shop = directory.shop;
    if (
      !PURPOSES.includes(purpose) ||
      !Array.isArray(directory.devices) ||
      (shop !== null && typeof shop !== "string")
    ) {
      throw new EnvelopeError("malformed", DIRECTORY_MALFORMED);
    }

    const { doc, chain } = parseRevocationDocument(directory.revocations);
    const revocations = await verifyRevocationList(
      doc,
      chain,
      state.rootPublicKey,
      state.pinnedFingerprint,
      state.commune,
      state.lastRevocationNumber,
      now,
      state.knownRevokedSerials,
    );
    const trust: TrustContext = {
      rootPublicKey: state.rootPublicKey,
      pinnedFingerprint: state.pinnedFingerprint,
      commune: state.commune,
      revocations,
    };

    const recipients: Recipient[] = [];
    const roles: Record<string, string> = {};
    const refused: [string, string][] = [];
    let policeDevice = false;
    for (const raw of directory.devices as unknown[]) {
      if (!isRecord(raw) || typeof raw.device !== "string") {
        refused.push(["", "malformed"]);
        continue;
      }
      const device = raw.device;
      let leaf: CertificateBody;
      try {
        leaf = await verifyChain(
          parseChain(raw.chain),
          state.rootPublicKey,
          state.pinnedFingerprint,
          state.commune,
          revocations,
          now,
        );
      } catch (error) {
        refused.push([device, codeOf(error)]);
        continue;
      }
      // The server listed a certificate under another device's id.
      if (leaf.device !== device) {
        refused.push([device, "malformed"]);
      } else if (!roleAllowed(purpose, leaf, shop)) {
        refused.push([device, "not_allowed_recipient"]);
      } else if (recipients.some((r) => r.id === leaf.device)) {
        refused.push([device, "malformed"]);
      } else {
        // Keys only ever come from the verified leaf, never from the entry itself.
        recipients.push({ kind: "device", id: leaf.device, key: leaf.enc_key });
        roles[leaf.device] = leaf.role;
        policeDevice ||= leaf.role === "operateur";
      }
    }

    let serviceKey: ServiceKeyDocument | null = null;
    if (directory.service_key !== null) {
      if (purpose === "sector") {
        refused.push([SERVICE_ENTRY, "not_allowed_recipient"]);
      } else {
        try {
          serviceKey = await verifyServiceKey(
            directory.service_key,
            trust,
            now,
            state.lastServiceKeyNumber,
          );
          recipients.push(serviceRecipient(serviceKey));
        } catch (error) {
          refused.push([SERVICE_ENTRY, codeOf(error)]);
        }
      }
    }
    if (purpose !== "sector" && !policeDevice && serviceKey === null) {
      throw new EnvelopeError("no_police_recipient");
    }

    recipients.sort((a, b) =>
      a.kind !== b.kind ? (a.kind < b.kind ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
    );
    const serials = new Set([
      ...state.knownRevokedSerials,
      ...revocations.entries.map((e) => e.serial),
    ]);
    return {
      recipients,
      refused,
      revocations,
      serviceKey,
      roles,
      state: {
        ...state,
        lastRevocationNumber: revocations.number,
        knownRevokedSerials: [...serials].sort(),
        lastServiceKeyNumber: Math.max(state.lastServiceKeyNumber, serviceKey?.number ?? 0),
      },
    };
  });
}

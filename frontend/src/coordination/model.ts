/**
 * The coordination page's data and flows, apart from its screen: the lists it shows,
 * this device checked as a certifier, and the three signed flows (approve a device;
 * suspend or revoke a member with the next revocation list; cancel an invitation). Each
 * list is a store, so a live event can reload or patch one without the page knowing.
 */

import { describeError, getRevocationDraft } from "../api";
import { t } from "../i18n";
import { createStore, type Store } from "../store";
import type { Role, Shop } from "../types";
import {
  cancelInvitation,
  createInvitation,
  listInvitations,
  listMembers,
  listPendingDevices,
  listShops,
  postMemberAction,
  type DeviceRow,
  type InvitationCreated,
  type InvitationRow,
  type MemberAction,
  type MemberRow,
} from "./api";
import {
  CertifierError,
  certifyDevice,
  loadCertifier,
  nextRevocationList,
  type Certifier,
  type RevocationEntry,
} from "./certify";

export interface ListState<T> {
  items: T[] | null;
  error: string | null;
}

export interface CertifierState {
  certifier: Certifier | null;
  error: string | null;
  checking: boolean;
}

export interface PageState {
  status: string | null;
  error: string | null;
  /** The device being approved, if any: one signature at a time. */
  busyId: string | null;
}

export interface ReloadableList<T> {
  state: Store<ListState<T>>;
  reload(): Promise<void>;
}

function reloadable<T>(load: () => Promise<T[]>): ReloadableList<T> {
  const state = createStore<ListState<T>>({ items: null, error: null });
  return {
    state,
    async reload() {
      try {
        state.set({ items: await load(), error: null });
      } catch (err) {
        state.update({ error: describeError(err) });
      }
    },
  };
}

const messageOf = (err: unknown): string =>
  err instanceof CertifierError ? err.message : describeError(err);

export interface InvitationDraft {
  role: Role;
  shop: string;
  name: string;
  email: string;
}

/** Form checks before asking the server; keys are the form's field names. */
export function checkInvitation(draft: InvitationDraft): Record<string, string> {
  const found: Record<string, string> = {};
  if (!draft.name.trim()) found.display_name = t("coord.nameRequired");
  if (draft.role === "commercant" && !draft.shop) found.shop = t("coord.shopRequired");
  if (draft.email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(draft.email))
    found.email = t("coord.emailInvalid");
  return found;
}

export function createCoordination(commune: string | undefined) {
  const invitations = reloadable<InvitationRow>(listInvitations);
  const pending = reloadable<DeviceRow>(listPendingDevices);
  const members = reloadable<MemberRow>(listMembers);
  const shops = reloadable<Shop>(listShops);
  const trust = createStore<CertifierState>({ certifier: null, error: null, checking: false });
  const page = createStore<PageState>({ status: null, error: null, busyId: null });

  /** Checks this device's own chain and the latest list; null (with the reason) if not fit. */
  async function checkTrust(): Promise<Certifier | null> {
    if (!commune) return null;
    trust.update({ checking: true });
    try {
      const certifier = await loadCertifier(commune);
      trust.set({ certifier, error: null, checking: false });
      return certifier;
    } catch (err) {
      trust.set({ certifier: null, error: messageOf(err), checking: false });
      return null;
    }
  }

  /** Right before signing, never from a stale state. */
  async function freshCertifier(): Promise<Certifier> {
    const certifier = await checkTrust();
    if (!certifier) throw new CertifierError("untrusted", t("certify.cannotSign"));
    return certifier;
  }

  async function approve(row: DeviceRow): Promise<void> {
    page.set({ busyId: row.id, error: null, status: t("coord.checkingChain") });
    try {
      const certifier = await freshCertifier();
      page.update({ status: t("coord.signing", { name: row.memberName }) });
      await certifyDevice(certifier, {
        id: row.id,
        memberId: row.memberId,
        role: row.role,
        shopId: row.shop?.id || null,
        encKey: row.encKey,
        signKey: row.signKey,
      });
      page.update({ status: t("coord.approved", { name: row.memberName }) });
      await Promise.all([pending.reload(), members.reload()]);
    } catch (err) {
      page.update({ status: null, error: messageOf(err) });
    } finally {
      page.update({ busyId: null });
    }
  }

  /**
   * The server says which live certificates the list must name; the list itself is built
   * here on top of the last list this device verified, and signed here.
   */
  async function withdrawalList(row: MemberRow, action: "suspend" | "revoke") {
    const certifier = await freshCertifier();
    const draft = await getRevocationDraft({ member: row.id, action });
    const reason = action === "suspend" ? "suspended" : "revoked";
    const own = new Set(row.devices.map((d) => d.id));
    const additions: Omit<RevocationEntry, "at">[] = [];
    for (const w of draft.needed ? draft.withdrawals : []) {
      // Never sign away a device that is not this member's, whatever the server says.
      if (!own.has(w.device) || w.reason !== reason)
        throw new CertifierError("draft_mismatch", t("certify.draftMismatch"));
      additions.push({ serial: w.serial, device: w.device, reason });
    }
    return additions.length > 0 ? await nextRevocationList(certifier, additions) : null;
  }

  async function memberAction(row: MemberRow, action: MemberAction): Promise<void> {
    page.update({ error: null, status: t("coord.working") });
    try {
      const list = action === "reinstate" ? null : await withdrawalList(row, action);
      await postMemberAction(row.id, action, list ? { revocation_list: list } : {});
      const done = {
        suspend: t("coord.suspended", { name: row.displayName }),
        reinstate: t("coord.reinstated", { name: row.displayName }),
        revoke: t("coord.revoked", { name: row.displayName }),
      }[action];
      page.update({ status: done });
      await Promise.all([members.reload(), pending.reload(), checkTrust()]);
    } catch (err) {
      page.update({ status: null, error: messageOf(err) });
    }
  }

  async function cancel(row: InvitationRow): Promise<void> {
    page.update({ error: null });
    try {
      await cancelInvitation(row.id);
      page.update({ status: t("coord.invitationCancelled", { name: row.displayName }) });
      await invitations.reload();
    } catch (err) {
      page.update({ error: describeError(err) });
    }
  }

  /** Creates the invitation; throws ApiError (with `field`) when the server refuses. */
  async function invite(draft: InvitationDraft): Promise<InvitationCreated> {
    const created = await createInvitation({
      role: draft.role,
      shop: draft.role === "commercant" ? draft.shop : null,
      display_name: draft.name.trim(),
      email: draft.email.trim(),
    });
    void invitations.reload();
    return created;
  }

  async function refresh(): Promise<void> {
    page.update({ error: null });
    await Promise.all([
      invitations.reload(),
      pending.reload(),
      members.reload(),
      shops.reload(),
      checkTrust(),
    ]);
    page.update({ status: t("coord.refreshed") });
  }

  async function start(): Promise<void> {
    await Promise.all([
      invitations.reload(),
      pending.reload(),
      members.reload(),
      shops.reload(),
      checkTrust(),
    ]);
  }

  return {
    invitations,
    pending,
    members,
    shops,
    trust,
    page,
    start,
    refresh,
    checkTrust,
    approve,
    memberAction,
    cancel,
    invite,
  };
}

export type CoordinationModel = ReturnType<typeof createCoordination>;

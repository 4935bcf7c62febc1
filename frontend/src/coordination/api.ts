/**
 * The coordination endpoints, typed: invitations, members, devices waiting for a
 * certificate, certificates and the commune's shops. Rows are read defensively (a missing
 * field is empty, never a crash) in one place, so the page only ever sees these shapes.
 */

import { ApiError, postForm, request, seg } from "../api";
import { payloadOf as settingsPayload, toSettings, type AlertSettings, type SettingsDraft } from "./alertSettings";
import { toCharterVersion, type CharterVersionRow } from "./charter";
import {
  importReport,
  shopPayload,
  toSector,
  toShopRow,
  type ImportOutcome,
  type SectorRow,
  type ShopDraft,
  type ShopRow,
} from "./shops";
import type { SignedDocument } from "../trust/chain";
import { normaliseShop, type MembershipStatus, type Role, type Shop } from "../types";

type Raw = Record<string, unknown>;
const str = (v: unknown) => (typeof v === "string" ? v : v == null ? "" : String(v));
const rec = (v: unknown): Raw => (typeof v === "object" && v !== null ? (v as Raw) : {});
const idOf = (r: Raw) => str(r.public_id ?? r.id);

export interface InvitationRow {
  id: string;
  displayName: string;
  email: string;
  role: Role;
  roleLabel: string;
  shop: Shop | null;
  expiresAt: string;
}

/** The invitation as created: its link and QR code are shown this once only. */
export interface InvitationCreated {
  url: string;
  qrSvg: string;
  expiresAt: string;
}

export interface InvitationIn {
  role: Role;
  shop: string | null;
  display_name: string;
  email: string;
}

export interface DeviceRow {
  id: string;
  label: string;
  status: string;
  encKey: string;
  signKey: string;
  createdAt: string;
  memberId: string;
  memberName: string;
  role: Role;
  roleLabel: string;
  shop: Shop | null;
  /** A coordinator's device: only the root key (CLI) may certify it. */
  rootOnly: boolean;
  /** "issuer_revoked": active, but approved by a coordinator device revoked since. */
  reason: "new" | "issuer_revoked";
}

export interface MemberRow {
  id: string;
  displayName: string;
  email: string;
  role: Role;
  roleLabel: string;
  status: MembershipStatus;
  shop: Shop | null;
  devices: MemberDevice[];
}

/** One of a member's devices, as GET /members lists them. */
export interface MemberDevice {
  id: string;
  label: string;
  status: string;
  fingerprint: string;
  createdAt: string;
  certifiedAt: string;
  revokedAt: string;
  /** The live certificate's serial, empty when it has none (pending, revoked, expired). */
  certificateSerial: string;
}

export type MemberAction = "suspend" | "reinstate" | "revoke";

export function toInvitation(r: Raw): InvitationRow {
  return {
    id: idOf(r),
    displayName: str(r.display_name),
    email: str(r.email),
    role: str(r.role) as Role,
    roleLabel: str(r.role_label),
    shop: normaliseShop(r.shop),
    expiresAt: str(r.expires_at),
  };
}

export function toDevice(r: Raw): DeviceRow {
  const m = rec(r.membership ?? r.member);
  const person = rec(m.person);
  return {
    id: idOf(r),
    label: str(r.label),
    status: str(r.status),
    encKey: str(r.enc_key ?? r.enc_public_key),
    signKey: str(r.sign_key ?? r.sign_public_key),
    createdAt: str(r.created_at),
    memberId: str(
      r.member_id ?? r.membership_id ?? (typeof r.member === "string" ? r.member : idOf(m)),
    ),
    memberName: str(r.display_name ?? m.display_name ?? person.display_name),
    role: str(r.role ?? m.role) as Role,
    roleLabel: str(r.role_label ?? m.role_label),
    shop: normaliseShop(r.shop ?? m.shop),
    rootOnly: r.root_only === true,
    reason: r.reason === "issuer_revoked" ? "issuer_revoked" : "new",
  };
}

export function toMember(r: Raw): MemberRow {
  const person = rec(r.person);
  const devices = Array.isArray(r.devices) ? (r.devices as Raw[]) : [];
  return {
    id: idOf(r),
    displayName: str(r.display_name ?? person.display_name),
    email: str(r.email ?? person.email),
    role: str(r.role) as Role,
    roleLabel: str(r.role_label),
    status: str(r.status) as MembershipStatus,
    shop: normaliseShop(r.shop),
    devices: devices.map((d) => ({
      id: idOf(d),
      label: str(d.label),
      status: str(d.status),
      fingerprint: str(d.fingerprint),
      createdAt: str(d.created_at),
      certifiedAt: str(d.certified_at),
      revokedAt: str(d.revoked_at),
      certificateSerial: str(d.certificate_serial),
    })),
  };
}

async function list<T>(path: string, map: (r: Raw) => T): Promise<T[]> {
  const raw = await request<Raw[] | { items?: Raw[] }>("GET", path);
  const items = Array.isArray(raw) ? raw : (raw?.items ?? []);
  return items.map(map);
}

export const listInvitations = () => list("/invitations", toInvitation);
export const listPendingDevices = () => list("/devices/pending", toDevice);
export const listMembers = () => list("/members", toMember);
export const listShops = () => list("/territory/shops", (r) => normaliseShop(r) as Shop);

export async function createInvitation(invitation: InvitationIn): Promise<InvitationCreated> {
  const raw = await request<Raw>("POST", "/invitations", invitation);
  return { url: str(raw.url), qrSvg: str(raw.qr_svg), expiresAt: str(raw.expires_at) };
}

export const cancelInvitation = (id: string) =>
  request<void>("DELETE", `/invitations/${seg(id)}`);

/** `revocation_list` is required when the member still holds live certificates. */
export const postMemberAction = (
  member: string,
  action: MemberAction,
  payload: { revocation_list?: SignedDocument },
) => request<unknown>("POST", `/members/${seg(member)}/${action}`, payload);

/** `revocation_list` is required when the device holds a live certificate. */
export const postDeviceRevocation = (device: string, payload: { revocation_list?: SignedDocument }) =>
  request<unknown>("POST", `/devices/${seg(device)}/revoke`, payload);

export const postCertificate = (device: string, signed: SignedDocument) =>
  request<unknown>("POST", `/devices/${seg(device)}/certificate`, signed);

/* ------------------------------------------------ the mairie's screens (issue 9) ---- */

export const listSectors = async (): Promise<SectorRow[]> =>
  ((await request<Raw[]>("GET", "/territory/sectors")) ?? []).map(toSector);

/** The whole list of a sector's neighbours (both ways: they gain or lose it too). */
export const setSectorNeighbours = async (sector: string, neighbours: string[]): Promise<SectorRow> =>
  toSector(
    rec(
      await request<Raw>("PUT", `/territory/sectors/${seg(sector)}/neighbours`, {
        neighbours: neighbours.map(Number),
      }),
    ),
  );

export const listShopRows = async (): Promise<ShopRow[]> =>
  ((await request<Raw[]>("GET", "/territory/shops")) ?? []).map(toShopRow);

export const getShopRow = async (id: string): Promise<ShopRow> =>
  toShopRow(await request<Raw>("GET", `/territory/shops/${seg(id)}`));

export const createShop = async (draft: ShopDraft): Promise<ShopRow> =>
  toShopRow(await request<Raw>("POST", "/territory/shops", shopPayload(draft)));

export const updateShop = async (id: string, draft: ShopDraft): Promise<ShopRow> =>
  toShopRow(await request<Raw>("PATCH", `/territory/shops/${seg(id)}`, shopPayload(draft)));

/**
 * POST /territory/import (multipart). A refused file is an answer, not a failure: its
 * summary and one French line per problem (the server's all-or-nothing report). Other
 * refusals (not a coordinator, no network) throw ApiError like every call.
 */
export async function importShops(file: File): Promise<ImportOutcome> {
  const form = new FormData();
  form.append("file", file, file.name);
  try {
    const raw = await postForm<Raw>("/territory/import", form);
    return { ok: true, created: Number(raw?.created) || 0, message: str(raw?.message) };
  } catch (err) {
    if (err instanceof ApiError && err.status === 422 && err.code === "import_rejected")
      return importReport(err.body);
    throw err;
  }
}

export const listCharterVersions = async (): Promise<CharterVersionRow[]> =>
  ((await request<Raw[]>("GET", "/charter/versions")) ?? []).map(toCharterVersion);

export const publishCharter = async (text: string): Promise<CharterVersionRow> =>
  toCharterVersion({ ...(await request<Raw>("POST", "/charter", { text })), current: true });

export const loadSettings = async (): Promise<AlertSettings> =>
  toSettings(await request<Raw>("GET", "/incidents/settings"));

export const saveSettings = async (draft: SettingsDraft): Promise<AlertSettings> =>
  toSettings(await request<Raw>("PUT", "/incidents/settings", settingsPayload(draft)));

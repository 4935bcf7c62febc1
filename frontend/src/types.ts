/** Shapes the app works with; `normalise*` adapt the server's JSON in one place. */

import type { Role } from "./trust/chain";

export { ROLES, type Role } from "./trust/chain";
export type MembershipStatus = "pending" | "active" | "suspended" | "revoked";
export type DeviceStatus = "pending" | "active" | "suspended" | "revoked";

export interface Person {
  id: string;
  display_name: string;
  email?: string;
}
export interface Commune {
  id: string;
  name: string;
  slug?: string;
  is_demo?: boolean;
}
export interface Sector {
  id: string;
  name: string;
}
export interface Shop {
  id: string;
  enseigne: string;
  address: string;
  activity: string;
  sector: Sector | null;
}
export interface Membership {
  id: string;
  role: Role;
  role_label: string;
  status: MembershipStatus;
  commune: Commune | null;
  shop: Shop | null;
}
export interface DeviceInfo {
  id: string;
  label: string;
  status: DeviceStatus;
}
export interface RootInfo {
  public_key: string;
  fingerprint: string;
}
export interface Session {
  authenticated: boolean;
  person: Person | null;
  membership: Membership | null;
  device: DeviceInfo | null;
  root: RootInfo | null;
  demo: boolean;
  /** What the server's policy lets this member do (access/policy.py `permissions`). */
  permissions: readonly string[];
  /** A merchant's neighbouring sectors, whose alerts they receive too. */
  neighbour_sectors?: readonly { id: number; name: string }[];
}

export const ANONYMOUS: Session = {
  authenticated: false,
  person: null,
  membership: null,
  device: null,
  root: null,
  demo: false,
  permissions: [],
};

// The server's JSON is read defensively: a missing field is null, never a crash.
type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw | null =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Raw) : null;
const str = (v: unknown): string => (typeof v === "string" ? v : v == null ? "" : String(v));
const idOf = (r: Raw): string => str(r.public_id ?? r.id);

export function normaliseSector(v: unknown): Sector | null {
  if (typeof v === "string" && v) return { id: "", name: v };
  const r = obj(v);
  return r ? { id: idOf(r), name: str(r.name) } : null;
}

export function normaliseShop(v: unknown): Shop | null {
  const r = obj(v);
  if (!r) return null;
  return {
    id: idOf(r),
    enseigne: str(r.enseigne ?? r.name),
    address: str(r.address),
    activity: str(r.activity),
    sector: normaliseSector(r.sector ?? r.sector_name),
  };
}

export function normaliseCommune(v: unknown): Commune | null {
  if (typeof v === "string" && v) return { id: "", name: v };
  const r = obj(v);
  if (!r) return null;
  return { id: idOf(r), name: str(r.name), slug: str(r.slug), is_demo: r.is_demo === true };
}

export function normaliseMembership(v: unknown): Membership | null {
  const r = obj(v);
  if (!r) return null;
  return {
    id: idOf(r),
    role: str(r.role) as Role,
    role_label: str(r.role_label),
    status: (str(r.status) || "pending") as MembershipStatus,
    commune: normaliseCommune(r.commune),
    shop: normaliseShop(r.shop),
  };
}

export function normaliseDevice(v: unknown): DeviceInfo | null {
  const r = obj(v);
  if (!r) return null;
  return { id: idOf(r), label: str(r.label), status: (str(r.status) || "pending") as DeviceStatus };
}

export function normaliseSession(v: unknown): Session {
  const r = obj(v);
  if (!r) return ANONYMOUS;
  const root = obj(r.root) ?? obj(r.commune_root);
  const person = obj(r.person);
  const membership = normaliseMembership(r.membership);
  return {
    authenticated:
      typeof r.authenticated === "boolean" ? r.authenticated : person !== null || !!membership,
    person: person
      ? { id: idOf(person), display_name: str(person.display_name), email: str(person.email) }
      : null,
    membership,
    device: normaliseDevice(r.device),
    root: root ? { public_key: str(root.public_key), fingerprint: str(root.fingerprint) } : null,
    demo: r.demo === true || membership?.commune?.is_demo === true,
    permissions: Array.isArray(r.permissions)
      ? r.permissions.filter((p): p is string => typeof p === "string")
      : [],
  };
}

/** Demo sign-in (« Se connecter en tant que… »), apart from its screen; demo mode only. */

import { ApiError, getDemoMembers, postDemoLogin, type DemoMemberOut } from "../api";
import {
  dropDemoDevice,
  generateDeviceKeys,
  publicKeys,
  switchDemoDevice,
  type DeviceKeys,
} from "../device/keystore";
import { t } from "../i18n";
import { adoptSignIn } from "../session";
import { normaliseShop, type Role, type Session, type Shop } from "../types";

export interface DemoMember {
  id: string;
  displayName: string;
  role: Role;
  roleLabel: string;
  shop: Shop | null;
}

function normalise(raw: DemoMemberOut): DemoMember {
  return {
    id: String(raw.id ?? ""),
    displayName: String(raw.display_name ?? ""),
    role: String(raw.role ?? "") as Role,
    roleLabel: String(raw.role_label ?? ""),
    shop: raw.shop ? normaliseShop({ enseigne: raw.shop }) : null,
  };
}

export async function listDemoMembers(): Promise<DemoMember[]> {
  return (await getDemoMembers()).map(normalise);
}

/**
 * This browser becomes that member's device: the one it already was for them if any (so
 * an operator keeps its police key between turns), else a new one.
 */
export async function signInAsDemoMember(member: DemoMember): Promise<Session> {
  const login = (keys: DeviceKeys) =>
    postDemoLogin(member.id, { label: t("demo.deviceLabel"), ...publicKeys(keys) });
  const returning = await switchDemoDevice(member.id);
  let session: Session;
  try {
    session = await login(returning ?? (await generateDeviceKeys()));
  } catch (err) {
    if (!returning || !(err instanceof ApiError) || err.code !== "device_key_in_use") throw err;
    await dropDemoDevice(member.id);
    session = await login(await generateDeviceKeys());
  }
  return adoptSignIn(session);
}

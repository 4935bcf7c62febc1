/**
 * What the screen offers follows the `permissions` the server computed for this session
 * (access/policy.py): the front end never re-derives rights from the role, so a rule
 * changed on the server changes the menus with it. The server still refuses on its own.
 */

import type { Session } from "./types";

/** The policy's action names the UI asks about (access/policy.py `Action`). */
export const PERMISSION = {
  inviteMember: "members.invite",
  manageMember: "members.manage",
  certifyDevice: "trust.certify_device",
  reportIncident: "incidents.report",
  readContent: "incidents.read_content",
  manageServiceKey: "trust.manage_service_key",
  manageGroupKey: "trust.manage_group_key",
  viewBroadcasts: "broadcasts.view",
  sendBroadcast: "broadcasts.send",
  viewDuty: "duty.view",
  manageDuty: "duty.manage",
  viewStats: "stats.view",
  takeIncident: "incidents.take",
  advanceIncident: "incidents.advance",
  viewCrisis: "crisis.view",
  manageCrisis: "crisis.manage",
  dispatch: "incidents.dispatch",
  dispatchStatus: "incidents.dispatch_status",
  postNote: "incidents.post_note",
  readNotes: "incidents.read_notes",
  subscribePush: "push.subscribe",
  viewPushChannels: "push.view_channels",
} as const;

export type Permission = (typeof PERMISSION)[keyof typeof PERMISSION];

export function can(session: Session | null | undefined, permission: Permission): boolean {
  return !!session?.authenticated && session.permissions.includes(permission);
}

/** The coordination page: inviting, approving devices and managing members. */
export const mayCoordinate = (session: Session | null | undefined): boolean =>
  can(session, PERMISSION.manageMember);

/** Sending a sealed report needs a certified device too: the server refuses otherwise. */
export const mayReport = (session: Session | null | undefined): boolean =>
  can(session, PERMISSION.reportIncident) && session?.device?.status === "active";

/** The police console runs the service key lifecycle and opens sealed reports. */
export const mayUseConsole = (session: Session | null | undefined): boolean =>
  can(session, PERMISSION.manageServiceKey) &&
  can(session, PERMISSION.readContent) &&
  session?.device?.status === "active";

/** « Message à tous les commerces » in the console: the key is managed and sealed here. */
export const mayBroadcast = (session: Session | null | undefined): boolean =>
  can(session, PERMISSION.manageGroupKey) &&
  can(session, PERMISSION.sendBroadcast) &&
  session?.device?.status === "active";

/** The police's messages to every shop, opened on this (certified) device. */
export const mayReadBroadcasts = (session: Session | null | undefined): boolean =>
  can(session, PERMISSION.viewBroadcasts) && session?.device?.status === "active";

/** The lifecycle's buttons in the console: « prendre en charge », then every later step. */
export const mayTakeIncidents = (session: Session | null | undefined): boolean =>
  can(session, PERMISSION.takeIncident);
export const mayAdvanceIncidents = (session: Session | null | undefined): boolean =>
  can(session, PERMISSION.advanceIncident);
/** The console's « mode crise » switch: instructions sealed to the commune's key here. */
export const mayManageCrisis = (session: Session | null | undefined): boolean =>
  can(session, PERMISSION.manageCrisis) && mayBroadcast(session);

/** « Envoyer un agent » in the console: grants are sealed and signed on this device. */
export const mayDispatch = (session: Session | null | undefined): boolean =>
  can(session, PERMISSION.dispatch) && session?.device?.status === "active";
/** The agent's phone view (/agent): its dispatches, read through grants on this device. */
export const mayReportDispatchStatus = (session: Session | null | undefined): boolean =>
  can(session, PERMISSION.dispatchStatus) && session?.device?.status === "active";

/** A police note (sealed to police devices only) from this device. */
export const mayPostNote = (session: Session | null | undefined): boolean =>
  can(session, PERMISSION.postNote) && session?.device?.status === "active";

/** « Joignabilité des appareils »: which devices no channel reaches (GET /push/channels). */
export const mayViewChannels = (session: Session | null | undefined): boolean =>
  can(session, PERMISSION.viewPushChannels);

/** Which home a signed-in, approved member on a certified device sees. */
export type HomeKind = "merchant" | "coordinator" | "operator" | "agent" | "other";

export function homeKind(session: Session): HomeKind {
  if (can(session, PERMISSION.reportIncident)) return "merchant";
  if (mayCoordinate(session)) return "coordinator";
  if (can(session, PERMISSION.manageServiceKey)) return "operator";
  if (can(session, PERMISSION.dispatchStatus)) return "agent";
  return "other";
}

/** « Notifications sur cet appareil »: the server keeps subscriptions of certified devices. */
export const mayReceivePush = (session: Session | null | undefined): boolean =>
  can(session, PERMISSION.subscribePush) && session?.device?.status === "active";

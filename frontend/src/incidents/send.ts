/**
 * A shopkeeper's report, sealed on this device (docs/envelope.md):
 * 1. this device's keys, own certificate chain and the root checked against the pin;
 * 2. the key directory from the server, every entry checked by `resolveRecipients`
 *    (bad entries are refused and reported, the others still receive the report; an
 *    outdated revocation list or no verifiable police recipient stops the send);
 * 3. photos re-encoded here (no EXIF, no GPS), the content sealed, the key wrapped for
 *    each verified recipient, the header signed;
 * 4. the sealed bytes posted. The sealed report is kept by the caller so that a retry
 *    after a network failure sends the very same bytes (the server accepts it once).
 */

import { getRecipients } from "../api";
import type { Attachment, WireEnvelope } from "../envelope/envelope";
import { seal } from "../envelope/sealing";
import { reencodePhoto } from "../envelope/photo";
import { policeRecipients, resolveRecipients } from "../envelope/recipients";
import { TrustError, verifyChain, type RevocationList } from "../trust/chain";
import { saveTrustState } from "../device/trustState";
import { getLang, t } from "../i18n";
import { postMessage, postNote, postReport, type ReportMeta } from "./api";
import {
  asFlowError,
  FlowError,
  loadDeviceContext,
  nowSeconds,
  trustStateFor,
  type DeviceContext,
} from "./context";

export const MAX_TEXT_CHARS = 4000;
export const MAX_PHOTOS = 4;

export type SendStep = "checking" | "recipients" | "photos" | "sealing" | "sending";

export interface RefusedDevice {
  device: string;
  code: string;
}

export interface SealedReport {
  incident: string;
  message: string;
  sentAt: number;
  wire: WireEnvelope;
  attachments: Uint8Array[];
  /** Verified recipients the content key was wrapped for (devices and service key). */
  recipients: number;
  refused: RefusedDevice[];
  /** A new report's clear metadata (category, severity, neighbours), sent beside it. */
  meta: ReportMeta | null;
}

export interface SentReport extends SealedReport {
  receivedAt: string;
}

/** Characters as people (and Python's len) count them, not UTF-16 units. */
export function countChars(text: string): number {
  return [...text].length;
}

/** 4000 → « 4 000 » in French, "4,000" in English. */
export function formatCount(value: number): string {
  return new Intl.NumberFormat(getLang() === "fr" ? "fr-FR" : "en-GB").format(value);
}

/** Form-level checks before any key is touched; French errors with stable codes. */
export function checkDraft(text: string, photos: readonly Blob[]): void {
  if (countChars(text) > MAX_TEXT_CHARS) {
    throw new FlowError(
      "text_too_long",
      t("report.textTooLong", { max: formatCount(MAX_TEXT_CHARS) }),
    );
  }
  if (photos.length > MAX_PHOTOS) {
    throw new FlowError("too_many_photos", t("report.tooManyPhotos", { max: MAX_PHOTOS }));
  }
}

/** A report's idempotency key: the same on every retry, so the server stores it once. */
export interface ReportIds {
  incident: string;
  message: string;
}

export function newReportIds(): ReportIds {
  return { incident: crypto.randomUUID(), message: crypto.randomUUID() };
}

/**
 * Runs steps 1–3; throws FlowError (e.g. `stale_revocations`, `no_police_recipient`).
 * `fields` is the content object's sealed structured part (alert/descriptors.ts); `meta`
 * goes beside the envelope in clear (Contract 1) and stays with the sealed bytes for a retry.
 * `ids`: chosen before sealing when the report was queued first (alert/outbox.ts).
 */
export async function sealReport(
  commune: string,
  text: string,
  photos: readonly Blob[],
  onStep: (step: SendStep) => void = () => undefined,
  fields: Record<string, unknown> = {},
  meta: ReportMeta | null = null,
  ids: ReportIds = newReportIds(),
): Promise<SealedReport> {
  return { ...(await sealFor(commune, ids, false, text, photos, onStep, fields)), meta };
}

/**
 * The same steps for a message in an existing incident (a police reply to the reporter,
 * or the reporter's follow-up): the directory is the incident's (its shop's merchants,
 * the operators, the service key), the envelope is bound to that incident.
 */
export async function sealMessage(
  commune: string,
  incident: string,
  text: string,
  photos: readonly Blob[] = [],
  onStep: (step: SendStep) => void = () => undefined,
): Promise<SealedReport> {
  return sealFor(commune, { incident, message: crypto.randomUUID() }, true, text, photos, onStep);
}

/**
 * A police note: the incident's directory, kept to the police recipients (the service
 * key, operators', dispatched agents'); the shop's devices get no key to it.
 */
export async function sealNote(
  commune: string,
  incident: string,
  text: string,
  onStep: (step: SendStep) => void = () => undefined,
): Promise<SealedReport> {
  return sealFor(
    commune,
    { incident, message: crypto.randomUUID() },
    true,
    text,
    [],
    onStep,
    {},
    true,
  );
}

/** `ids.incident` is new for a report, the existing incident's (`inIncident`) otherwise. */
async function sealFor(
  commune: string,
  ids: ReportIds,
  inIncident: boolean,
  text: string,
  photos: readonly Blob[],
  onStep: (step: SendStep) => void,
  fields: Record<string, unknown> = {},
  policeOnly = false,
): Promise<SealedReport> {
  checkDraft(text, photos);
  try {
    onStep("checking");
    const ctx: DeviceContext = await loadDeviceContext(commune);

    onStep("recipients");
    const directory = await getRecipients(inIncident ? ids.incident : undefined);
    const now = nowSeconds();
    const resolution = await resolveRecipients(directory, await trustStateFor(ctx), now);
    await saveTrustState(resolution.state);
    await checkOwnChain(ctx, resolution.revocations, now);

    onStep("photos");
    const attachments: Attachment[] = [];
    for (const photo of photos) attachments.push(await reencodePhoto(photo));

    onStep("sealing");
    const { incident, message } = ids;
    const sealed = await seal(
      { commune, incident, message },
      {
        signPrivate: ctx.keys.signPrivate,
        device: ctx.deviceId,
        serial: ctx.certificate.serial,
        chain: ctx.chain,
      },
      { text: text.trim() ? text : null, fields, attachments },
      policeOnly ? policeRecipients(resolution) : resolution.recipients,
      now,
    );
    return {
      incident,
      message,
      sentAt: now,
      wire: sealed.wire,
      attachments: sealed.attachments,
      recipients: resolution.recipients.length,
      refused: resolution.refused.map(([device, code]) => ({ device, code })),
      meta: null,
    };
  } catch (error) {
    throw asFlowError(error);
  }
}

/**
 * Openers check the sender's chain too: a report from a device whose approval was
 * withdrawn (its own, or its approving coordinator's) would arrive and stay unreadable.
 * Say so now, with the 17, rather than show « envoyé ».
 */
async function checkOwnChain(ctx: DeviceContext, revocations: RevocationList, now: number) {
  try {
    await verifyChain(
      ctx.chain,
      ctx.rootPublicKey,
      ctx.pinnedFingerprint,
      ctx.commune,
      revocations,
      now,
    );
  } catch (error) {
    if (error instanceof TrustError) {
      throw new FlowError("own_device_untrusted", t("incident.error.own_device_untrusted"));
    }
    throw error;
  }
}

/** Step 4; safe to repeat with the same SealedReport after a network failure. */
export async function deliverReport(
  sealed: SealedReport,
  onStep: (step: SendStep) => void = () => undefined,
): Promise<SentReport> {
  onStep("sending");
  try {
    const stored = await postReport(sealed.incident, sealed.wire, sealed.attachments, sealed.meta);
    return { ...sealed, receivedAt: stored.message.receivedAt };
  } catch (error) {
    throw asFlowError(error);
  }
}

/** Step 4 for a police note; safe to repeat with the same bytes. */
export async function deliverNote(sealed: SealedReport): Promise<SentReport> {
  try {
    const stored = await postNote(sealed.incident, sealed.wire, sealed.attachments);
    return { ...sealed, receivedAt: stored.receivedAt };
  } catch (error) {
    throw asFlowError(error);
  }
}

/**
 * A police note from a page (the console, the agent's phone): sealed once, and the same
 * bytes sent again after a failure, so a retry stores nothing twice. `sent` hears of the
 * message id before it leaves (a page tells its own messages from others').
 */
export function createNoteSender(commune: string, sent: (message: string) => void = () => undefined) {
  let pending: { incident: string; text: string; sealed: SealedReport } | null = null;
  return async function sendNote(incident: string, text: string): Promise<SentReport> {
    const sealed =
      pending && pending.incident === incident && pending.text === text
        ? pending.sealed
        : await sealNote(commune, incident, text);
    pending = { incident, text, sealed };
    sent(sealed.message);
    const delivered = await deliverNote(sealed);
    pending = null;
    return delivered;
  };
}

/** Step 4 for a message in an existing incident; also safe to repeat with the same bytes. */
export async function deliverMessage(
  sealed: SealedReport,
  onStep: (step: SendStep) => void = () => undefined,
): Promise<SentReport> {
  onStep("sending");
  try {
    const stored = await postMessage(sealed.incident, sealed.wire, sealed.attachments);
    return { ...sealed, receivedAt: stored.receivedAt };
  } catch (error) {
    throw asFlowError(error);
  }
}

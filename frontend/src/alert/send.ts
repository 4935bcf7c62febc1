/**
 * Sending from the alert screens: the confirmation screen's report (through the report
 * flow and the offline queue, so every retry sends the same ids and sealed bytes) and the
 * discreet gesture's, which has no screen. Both remember what went out for the home's
 * status line.
 */

import { newReportIds, type SentReport } from "../incidents/send";
import { t } from "../i18n";
import { DISCREET_CATEGORY } from "./catalogue";
import type { DraftStore, SentRecord } from "./draft";
import { wasLive } from "./live";
import { composedEntry, type Outbox } from "./outbox";

export function sentRecordOf(
  sent: SentReport,
  categoryLabel: string,
  discreet = false,
): SentRecord {
  return {
    incident: sent.incident,
    category: sent.meta?.category ?? "",
    categoryLabel,
    severity: sent.meta?.severity ?? null,
    sentAt: sent.sentAt,
    receivedAt: sent.receivedAt,
    recipients: sent.recipients,
    refused: sent.refused.length,
    discreet,
    confirmed: wasLive(sent.incident),
  };
}

/**
 * « Agression en cours », sealed and sent at once: no descriptors, a fixed French text for
 * the police (the shopkeeper cannot be called back openly), the category's own severity,
 * no neighbour alert (it would show on the neighbours' screens and could be seen). Through
 * the offline queue like any report: without network it waits on the device (`queued`)
 * and leaves by itself; the queue records it once it is delivered.
 */
export async function sendDiscreet(
  outbox: Outbox,
  commune: string,
  owner: string,
  drafts: DraftStore | null,
  label: string,
): Promise<{ state: "sent" | "queued"; incident: string }> {
  const ids = newReportIds();
  const entry = composedEntry({
    ...ids,
    owner,
    commune,
    label,
    discreet: true,
    meta: { category: DISCREET_CATEGORY, severity: null, neighbours: false },
    composed: { text: t("alert.discreetText", {}, "fr"), fields: {}, photos: [] },
    now: Date.now(),
  });
  const attempt = await outbox.submit(entry);
  if (attempt.outcome === "refused") throw attempt.error;
  if (attempt.outcome === "waiting") return { state: "queued", incident: ids.incident };
  // "gone": another tab delivered it (and recorded it) meanwhile.
  if (attempt.outcome === "sent") drafts?.recordSent(sentRecordOf(attempt.sent, label, true));
  return { state: "sent", incident: ids.incident };
}

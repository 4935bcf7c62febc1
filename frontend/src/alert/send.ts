/**
 * Sending from the alert screens: the confirmation screen's report (through the report
 * flow, so a retry sends the same sealed bytes) and the discreet gesture's, which has no
 * screen. Both remember what went out for the home's status line.
 */

import { deliverReport, sealReport, type SentReport } from "../incidents/send";
import { t } from "../i18n";
import { DISCREET_CATEGORY } from "./catalogue";
import type { DraftStore, SentRecord } from "./draft";
import { wasLive } from "./live";

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
 * no neighbour alert (it would show on the neighbours' screens and could be seen).
 */
export async function sendDiscreet(
  commune: string,
  drafts: DraftStore | null,
  label: string,
): Promise<SentReport> {
  const sealed = await sealReport(
    commune,
    t("alert.discreetText", {}, "fr"),
    [],
    () => undefined,
    {},
    { category: DISCREET_CATEGORY, severity: null, neighbours: false },
  );
  let sent: SentReport;
  try {
    sent = await deliverReport(sealed);
  } catch (err) {
    // One more try with the very same bytes after a stumble; the server accepts it once.
    const code = (err as { code?: unknown } | null)?.code;
    if (code !== "network" && code !== "server_error" && code !== "bad_response") throw err;
    sent = await deliverReport(sealed);
  }
  drafts?.recordSent(sentRecordOf(sent, label, true));
  return sent;
}

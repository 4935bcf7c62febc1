/**
 * « Transmettre à la police nationale ou à la gendarmerie »: a summary the operator reads
 * out or pastes into their channel, built on this device from what it decrypted (the
 * server never sees it) and the clear metadata; then the operator closes the report as
 * « orienté » (issue 10, item 2). Plain text, French first like every page.
 */

import { describeFields } from "../alert/descriptors";
import type { IncidentSummary } from "../incidents/api";
import { REPORTED, stateLabel, timeline, verdictLabel } from "../incidents/lifecycle";
import type { MessageView } from "../incidents/read";
import { formatDateTime, t } from "../i18n";

export function handoverSummary(incident: IncidentSummary, messages: readonly MessageView[]): string {
  const lifecycle = incident.lifecycle ?? REPORTED;
  const lines = [
    t("handover.heading"),
    t("handover.report", {
      category: incident.category?.label ?? "—",
      shop: incident.shop.enseigne,
      at: formatDateTime(incident.createdAt),
    }),
    t("handover.state", { state: stateLabel(lifecycle.state) }),
  ];
  if (lifecycle.verdict) lines.push(t("handover.verdict", { verdict: verdictLabel(lifecycle.verdict) }));
  for (const step of timeline(incident.createdAt, lifecycle)) {
    lines.push(t("handover.step", { state: stateLabel(step.state), elapsed: step.elapsed }));
  }
  const first = messages[0]?.opened;
  if (first?.text) lines.push(t("handover.text", { text: first.text }));
  const described = first ? describeFields(first.fields) : null;
  for (const line of described && !described.invalid ? described.lines : []) {
    lines.push(`${line.title} : ${line.values.join(", ")}`);
  }
  const photos = first?.photos.length ?? 0;
  if (photos) lines.push(t("handover.photos", { count: photos }));
  if (incident.exercise) lines.push(t("handover.exercise"));
  return lines.join("\n");
}

/**
 * The reporter sees every step of its report as it happens (issue 10, item 4): « Pris en
 * charge par la police municipale — 38 s », each step with the time since the report, both
 * ends the server's clock (the incident's `created_at` and the step's event). The stream's
 * lifecycle events for this incident re-read it; a new step is announced politely.
 */

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { listIncidents, type IncidentSummary } from "../incidents/api";
import {
  formatElapsed,
  LIFECYCLE_KINDS,
  REPORTED,
  timeline,
  type LifecycleState,
} from "../incidents/lifecycle";
import { t, type MessageKey } from "../i18n";
import { useStreamEvent, useStreamResync } from "../live/browser";

/** The incident as the server states it now, kept fresh by the stream. */
export function useIncident(incident: string | null): IncidentSummary | null {
  const [found, setFound] = useState<IncidentSummary | null>(null);
  const load = useCallback(async () => {
    if (!incident) return;
    try {
      const list = await listIncidents();
      setFound(list.find((item) => item.id === incident) ?? null);
    } catch {
      // The status card keeps what it showed; the stream's next event or resync retries.
    }
  }, [incident]);
  useEffect(() => {
    void load();
  }, [load]);
  useStreamEvent(
    ["incident.reported", "incident.escalated", "incident.dispatched", ...LIFECYCLE_KINDS],
    (event) => {
      if (event.targetId === incident) void load();
    },
  );
  useStreamResync(() => void load());
  return found;
}

const stepLabel = (state: LifecycleState): string =>
  t(`lifecycle.reporterStep.${state}` as MessageKey);

type Line = { key: string; label: string; at: string; elapsed: string };

/** The steps, and « Patrouille envoyée » once an agent is sent, in the order they came. */
export function reporterLines(found: IncidentSummary): Line[] {
  const lines: Line[] = timeline(found.createdAt, found.lifecycle ?? REPORTED).map((step) => ({
    key: step.state,
    label: stepLabel(step.state),
    at: step.at,
    elapsed: step.elapsed,
  }));
  if (found.patrolSentAt) {
    const elapsed = formatElapsed(Date.parse(found.patrolSentAt) - Date.parse(found.createdAt));
    lines.push({
      key: "patrol",
      label: t("lifecycle.reporterPatrol"),
      at: found.patrolSentAt,
      elapsed,
    });
  }
  return lines.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** Every step reached, in order, with its elapsed time since the report. */
export function ReportProgress({ incident }: { incident: string }) {
  const found = useIncident(incident);
  const steps = found ? reporterLines(found) : [];
  const [said, setSaid] = useState<string | null>(null);
  const shown = useRef<number | null>(null);
  const last = steps.length > 0 ? steps[steps.length - 1].label : null;
  useEffect(() => {
    // The first reading is what was already there; only later steps are announced.
    if (!found) return;
    if (shown.current !== null && steps.length > shown.current && last) {
      setSaid(t("lifecycle.reporterLive", { step: last }));
    }
    shown.current = steps.length;
  }, [found, steps.length, last]);
  if (!found) return null;
  const waiting = (found.lifecycle ?? REPORTED).state === "reported";
  return (
    <div class="stack report-progress">
      <h3>{t("lifecycle.reporterTitle")}</h3>
      <ol class="lifecycle-timeline" data-state={found.lifecycle?.state ?? "reported"}>
        <li>{t("lifecycle.reporterReported")}</li>
        {steps.map((step) => (
          <li key={step.key} data-step={step.key}>
            {t("lifecycle.reporterLine", { step: step.label, elapsed: step.elapsed })}
          </li>
        ))}
      </ol>
      {waiting ? <Waiting since={found.createdAt} /> : null}
      {waiting && (found.escalationLevel ?? 0) > 0 ? (
        <div class="callout callout-urgent" role="alert" data-escalation={found.escalationLevel}>
          <p>
            <strong>{t("escalation.reporterTitle")}</strong> {t("escalation.reporterText")}
          </p>
          <a href="tel:17" class="button button-danger button-block">
            {t("home.call17")}
          </a>
        </div>
      ) : null}
      <div class="status" role="status" aria-live="polite">
        {said ? <p>{said}</p> : null}
      </div>
    </div>
  );
}

/** « En attente de prise en charge depuis 12 s », counted each second (not announced: the
 * step that ends it is). The report's time is the server's; the clock here only counts. */
function Waiting({ since }: { since: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const start = Date.parse(since);
  if (Number.isNaN(start)) return null;
  return (
    <p class="hint">{t("lifecycle.reporterWaiting", { elapsed: formatElapsed(now - start) })}</p>
  );
}

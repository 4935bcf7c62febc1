/**
 * Neighbour alerts on screen: one alert's card (shared with the console), the hook that
 * runs the model with the live stream, and the merchant home's « Alertes des commerces
 * voisins » (active alerts at the top of the home; the shop's own alert « en attente de
 * validation »; a « Fin d'alerte » shown, then removed). The flows live in model.ts.
 */

import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { ErrorMessage, Field, LiveStatus } from "../components/ui";
import { getLang, t } from "../i18n";
import { useStreamEvent, useStreamResync } from "../live/browser";
import { useStore } from "../store";
import type { Session } from "../types";
import { asFlowError } from "../incidents/context";
import { ownSectorScope, sendNeighbourAlert } from "./send";
import {
  createNeighbourAlerts,
  HOLDER_CHANGE_KINDS,
  KEY_KINDS,
  NEIGHBOUR_KINDS,
  SECTOR_KINDS,
  type AlertView,
  type NeighboursModel,
  type NeighboursState,
} from "./model";

const MERCHANT_KINDS = [...NEIGHBOUR_KINDS, ...KEY_KINDS, ...SECTOR_KINDS] as const;
const OPERATOR_KINDS = [
  ...NEIGHBOUR_KINDS,
  ...KEY_KINDS,
  ...HOLDER_CHANGE_KINDS,
  ...SECTOR_KINDS,
] as const;

export function useNeighbours(
  commune: string,
  operator: boolean,
  after?: Promise<unknown>,
  signal?: () => void,
): [NeighboursModel, NeighboursState] {
  const model = useMemo(
    () => createNeighbourAlerts(commune, { operator, after, signal }),
    // The signal is a stable module function; the model is made once per page.
    [commune, operator, after],
  );
  const state = useStore(model.state);
  useEffect(() => {
    void model.start();
    return () => model.stop();
  }, [model]);
  useStreamEvent(operator ? OPERATOR_KINDS : MERCHANT_KINDS, (event) => void model.live(event));
  useStreamResync(() => void model.resync());
  return [model, state];
}

export function formatTime(iso: string | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(getLang() === "fr" ? "fr-FR" : "en-GB", {
    hour: "2-digit",
    minute: "2-digit",
  }).format(date);
}

export function senderLabel(view: AlertView): string {
  return view.alert.sender.kind === "police" ? t("neighbours.policeLabel") : view.alert.sender.label;
}

/** A merchant hears from the sectors neighbouring theirs too: those are named as such. */
function sectorLabel(view: AlertView): string {
  const own = ownSectorScope();
  const key = own !== null && view.alert.scope !== own ? "neighbours.nearbySector" : "neighbours.sector";
  return t(key, { sector: view.alert.sector.name });
}

function statusLabel(view: AlertView): string {
  if (view.alert.status === "pending") return t("neighbours.statusPending");
  if (view.alert.status === "ended") return t("neighbours.statusEnded");
  return t("neighbours.statusActive");
}

/** One alert: status, sender, sector, times, the decrypted text; `children` are actions. */
export function AlertCard({ view, children }: { view: AlertView; children?: ComponentChildren }) {
  const { alert } = view;
  const sent = alert.activatedAt ?? alert.createdAt;
  return (
    <li
      class={`card stack neighbour-alert neighbour-alert-${alert.status}`}
      data-alert={alert.id}
      data-status={alert.status}
    >
      <p class="eyebrow">
        <span class={`badge badge-${alert.status === "active" ? "new" : alert.status === "pending" ? "pending" : "active"}`}>
          {statusLabel(view)}
        </span>{" "}
        {t("neighbours.from", { from: senderLabel(view) })}
      </p>
      <p class="hint">
        {alert.sector.name ? <span>{sectorLabel(view)} · </span> : null}
        <time dateTime={sent}>{t("neighbours.sentAt", { time: formatTime(sent) })}</time>
        {alert.status === "active" && alert.expiresAt ? (
          <>
            {" · "}
            <time dateTime={alert.expiresAt}>
              {t("neighbours.expiresAt", { time: formatTime(alert.expiresAt) })}
            </time>
          </>
        ) : null}
      </p>
      {view.text !== null ? (
        <p class="message-text">{view.text}</p>
      ) : (
        <div class="error">
          <p>
            <strong>{t("neighbours.unreadable")}</strong> {view.error?.message}
          </p>
        </div>
      )}
      {alert.status === "ended" ? (
        <p>
          <strong>
            {alert.endReason === "expired" ? t("neighbours.endedExpired") : t("neighbours.endedByPolice")}
          </strong>
          {view.endText ? <> {view.endText}</> : null}
        </p>
      ) : null}
      {children}
    </li>
  );
}

/**
 * The merchant home's section: what neighbouring shops (and the police) warned of.
 * `compose` adds « Prévenir les commerces voisins » (a short alert without a report).
 */
export function ActiveAlerts({ session, compose = true }: { session: Session; compose?: boolean }) {
  const commune = session.membership?.commune?.id ?? "";
  if (!commune || !session.permissions.includes("neighbours.view")) return null;
  return <ActiveAlertsOf commune={commune} compose={compose} />;
}

/**
 * « Prévenir les commerces voisins » without a report: a short message sealed with the
 * sector's key (the report page's switch calls `sendNeighbourAlert` too, Contract 4).
 */
function WarnNeighbours({ commune, onSent }: { commune: string; onSent: () => void }) {
  const [text, setText] = useState("");
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setSending(true);
    setError(null);
    setSent(null);
    try {
      const alert = await sendNeighbourAlert(commune, null, text);
      setText("");
      setSent(alert.status === "pending" ? t("neighbours.warnSent") : t("neighbours.warnSentOut"));
      onSent();
    } catch (err) {
      setError(asFlowError(err).message);
    } finally {
      setSending(false);
    }
  };
  return (
    <details class="card">
      <summary>{t("neighbours.warnTitle")}</summary>
      <form class="stack" onSubmit={submit} noValidate>
        <Field label={t("neighbours.textLabel")} hint={t("neighbours.warnHint")} error={error}>
          {({ id, describedBy, invalid }) => (
            <textarea
              id={id}
              rows={2}
              value={text}
              maxLength={500}
              disabled={sending}
              aria-invalid={invalid ? "true" : undefined}
              aria-describedby={describedBy}
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
            />
          )}
        </Field>
        <p>
          <button type="submit" class="button button-primary" disabled={sending}>
            {sending ? t("neighbours.sending") : t("neighbours.warnSend")}
          </button>
        </p>
        <LiveStatus message={sent} busy={sending} />
      </form>
    </details>
  );
}

function ActiveAlertsOf({ commune, compose }: { commune: string; compose: boolean }) {
  const [model, state] = useNeighbours(commune, false);
  const { items, alert, error, keyError } = state;
  const shown = items !== null && items.length > 0;
  // Above the category buttons: nothing but a line when no alert is current.
  return (
    <section
      aria-labelledby={shown ? "neighbour-alerts-title" : undefined}
      aria-label={shown ? undefined : t("neighbours.homeTitle")}
      class="stack neighbour-alerts"
      data-loaded={items !== null ? "true" : "false"}
    >
      {shown ? <h2 id="neighbour-alerts-title">{t("neighbours.homeTitle")}</h2> : null}
      <div class="status" role="status" aria-live="polite">
        {alert ? <p>{alert}</p> : null}
      </div>
      <ErrorMessage message={error ?? keyError} />
      {shown ? (
        <ul class="message-list" aria-labelledby="neighbour-alerts-title">
          {items.map((view) => (
            <AlertCard key={view.alert.id} view={view}>
              {view.alert.status === "ended" ? (
                <p>
                  <button
                    type="button"
                    class="button button-secondary"
                    onClick={() => model.dismiss(view.alert.id)}
                  >
                    {t("neighbours.dismiss")}
                  </button>
                </p>
              ) : null}
            </AlertCard>
          ))}
        </ul>
      ) : null}
      {compose ? <WarnNeighbours commune={commune} onSent={() => void model.resync()} /> : null}
    </section>
  );
}

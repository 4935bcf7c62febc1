/**
 * The console's « Alertes aux commerces voisins »: alerts awaiting validation first, each
 * with « Valider » and « Refuser » (one click, keyboard reachable); then the current ones
 * with « Fin d'alerte » (an optional short message, sealed to the same sector); and a form
 * to alert a sector as the police. The flows live in neighbours/model.ts.
 */

import { useState } from "preact/hooks";
import { ErrorMessage, Field, LiveStatus, Loading } from "../components/ui";
import { t } from "../i18n";
import { playSignal } from "../live/signal";
import { buildPath, Link } from "../router";
import { formatCount, MAX_TEXT_CHARS } from "../incidents/send";
import { AlertCard, senderLabel, useNeighbours } from "../neighbours/ActiveAlerts";
import type { AlertView, NeighboursModel } from "../neighbours/model";

function EndControls({ view, model, busy }: { view: AlertView; model: NeighboursModel; busy: boolean }) {
  const [text, setText] = useState("");
  const id = `neighbour-end-${view.alert.id}`;
  return (
    <form
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        void model.end(view.alert.id, text).then((done) => done && setText(""));
      }}
    >
      <Field label={t("neighbours.endMessageLabel")} id={id}>
        {({ id: inputId, describedBy }) => (
          <input
            id={inputId}
            type="text"
            maxLength={280}
            value={text}
            disabled={busy}
            aria-describedby={describedBy}
            onInput={(e) => setText((e.target as HTMLInputElement).value)}
          />
        )}
      </Field>
      <p>
        <button
          type="submit"
          class="button button-danger"
          disabled={busy}
          aria-label={t("neighbours.endLabel", { from: senderLabel(view) })}
        >
          {t("neighbours.end")}
        </button>
      </p>
    </form>
  );
}

// An alert awaiting validation rings like a new report (muted with the console's switch).
const signal = () => void playSignal();

/** The report the alert relates to, opened in this console. */
function IncidentLink({ view }: { view: AlertView }) {
  if (!view.alert.incident) return null;
  return (
    <p>
      <Link href={buildPath("/incidents/:id", { id: view.alert.incident })}>
        {t("neighbours.incidentLink", { from: senderLabel(view) })}
      </Link>
    </p>
  );
}

export function NeighbourAlertsPanel({ commune, after }: { commune: string; after?: Promise<unknown> }) {
  const [model, state] = useNeighbours(commune, true, after, signal);
  const { items, sectors, keys, keyError, alert, error, busy, send } = state;
  const [text, setText] = useState("");
  const [scope, setScope] = useState("");
  const chosen = scope || sectors[0]?.scope || "";
  const pending = (items ?? []).filter((v) => v.alert.status === "pending");
  const current = (items ?? []).filter((v) => v.alert.status !== "pending");
  const held = Object.values(keys).filter((k) => k.state === "held" || k.state === "created").length;
  const submit = async (event: Event) => {
    event.preventDefault();
    if (await model.send(chosen, text)) setText("");
  };
  return (
    <section class="card stack neighbour-panel" aria-labelledby="neighbour-title">
      <h2 id="neighbour-title">{t("neighbours.consoleTitle")}</h2>
      <p class="hint">{t("neighbours.consoleLead")}</p>
      <div class="status" role="status" aria-live="polite">
        {alert ? <p>{alert}</p> : null}
      </div>
      {sectors.length > 0 ? (
        <p class="hint" data-sector-keys={held}>
          {t("neighbours.keysHeld", { count: held })}
        </p>
      ) : null}
      <ErrorMessage message={keyError ?? error} />
      <h3 id="neighbour-pending-title">{t("neighbours.pendingTitle")}</h3>
      {items === null ? <Loading /> : null}
      {items && pending.length === 0 ? <p>{t("neighbours.nonePending")}</p> : null}
      {pending.length > 0 ? (
        <ul class="message-list" aria-labelledby="neighbour-pending-title">
          {pending.map((view) => (
            <AlertCard key={view.alert.id} view={view}>
              <IncidentLink view={view} />
              <p class="actions">
                <button
                  type="button"
                  class="button button-primary"
                  disabled={busy === view.alert.id}
                  aria-label={t("neighbours.validateLabel", { from: senderLabel(view) })}
                  onClick={() => void model.validate(view.alert.id)}
                >
                  {t("neighbours.validate")}
                </button>{" "}
                <button
                  type="button"
                  class="button button-secondary"
                  disabled={busy === view.alert.id}
                  aria-label={t("neighbours.refuseLabel", { from: senderLabel(view) })}
                  onClick={() => void model.refuse(view.alert.id)}
                >
                  {t("neighbours.refuse")}
                </button>
              </p>
            </AlertCard>
          ))}
        </ul>
      ) : null}
      <h3 id="neighbour-active-title">{t("neighbours.activeTitle")}</h3>
      {items && current.length === 0 ? <p>{t("neighbours.noneActive")}</p> : null}
      {current.length > 0 ? (
        <ul class="message-list" aria-labelledby="neighbour-active-title">
          {current.map((view) => (
            <AlertCard key={view.alert.id} view={view}>
              <IncidentLink view={view} />
              {view.alert.status === "active" ? (
                <EndControls view={view} model={model} busy={busy === view.alert.id} />
              ) : (
                <p>
                  <button
                    type="button"
                    class="button button-secondary"
                    onClick={() => model.dismiss(view.alert.id)}
                  >
                    {t("neighbours.dismiss")}
                  </button>
                </p>
              )}
            </AlertCard>
          ))}
        </ul>
      ) : null}
      <h3 id="neighbour-write-title">{t("neighbours.writeTitle")}</h3>
      <form class="stack" onSubmit={submit} noValidate aria-labelledby="neighbour-write-title">
        <Field label={t("neighbours.sectorLabel")}>
          {({ id, describedBy }) => (
            <select
              id={id}
              value={chosen}
              aria-describedby={describedBy}
              disabled={send.sending || sectors.length === 0}
              onChange={(e) => setScope((e.target as HTMLSelectElement).value)}
            >
              {sectors.map((sector) => (
                <option key={sector.scope} value={sector.scope}>
                  {sector.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label={t("neighbours.textLabel")}
          hint={t("neighbours.textHint")}
          error={send.error}
        >
          {({ id, describedBy, invalid }) => (
            <textarea
              id={id}
              rows={2}
              value={text}
              maxLength={MAX_TEXT_CHARS}
              disabled={send.sending}
              aria-invalid={invalid ? "true" : undefined}
              aria-describedby={describedBy}
              data-max={formatCount(MAX_TEXT_CHARS)}
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
            />
          )}
        </Field>
        <p>
          <button type="submit" class="button button-primary" disabled={send.sending || !chosen}>
            {send.sending ? t("neighbours.sending") : t("neighbours.send")}
          </button>
        </p>
        <LiveStatus message={send.sent} busy={send.sending} />
      </form>
    </section>
  );
}

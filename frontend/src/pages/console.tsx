/**
 * « Console police »: an operator device's view of the commune's reports. Opening the
 * page first runs the service key lifecycle (the first operator creates generation 1,
 * others fetch their grant, holders pass it on), then lists incidents; opening one
 * decrypts its messages here, photos shown from object URLs of the decrypted bytes.
 * The flows live in police/console.ts; this file only draws them.
 */

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ErrorMessage, LiveStatus, Loading, usePageTitle } from "../components/ui";
import type { IncidentSummary } from "../incidents/api";
import type { MessageView } from "../incidents/read";
import { formatDateTime, roleLabel, t } from "../i18n";
import { mayUseConsole } from "../permissions";
import { createConsole } from "../police/console";
import type { ServiceKeyOutcome } from "../police/serviceKeyFlow";
import { buildPath, navigate } from "../router";
import { useSession } from "../session";
import { useStore } from "../store";

function keySentences(outcome: ServiceKeyOutcome): string[] {
  if (outcome.state === "waiting") return [t("console.keyWaiting", { number: outcome.number })];
  const lines = [
    outcome.state === "created"
      ? t("console.keyCreated", { number: outcome.number })
      : t("console.keyHeld", { number: outcome.number }),
  ];
  if (outcome.granted > 0) lines.push(t("console.keyGranted", { count: outcome.granted }));
  if (outcome.refused.length > 0)
    lines.push(t("console.keyRefused", { count: outcome.refused.length }));
  if (outcome.history.length > 0)
    lines.push(t("console.keyHistory", { numbers: outcome.history.join(", ") }));
  if (outcome.historyRefused.length > 0) {
    const numbers = outcome.historyRefused.map((refused) => refused.number).join(", ");
    lines.push(t("console.keyHistoryRefused", { numbers }));
  }
  return lines;
}

function formatSeconds(seconds: number): string {
  return formatDateTime(new Date(seconds * 1000).toISOString());
}

/** One decrypted message; its photos live as object URLs while it is on screen. */
function Message({ view }: { view: MessageView }) {
  const [urls, setUrls] = useState<string[]>([]);
  useEffect(() => {
    const made = (view.opened?.photos ?? []).map((photo) =>
      URL.createObjectURL(new Blob([new Uint8Array(photo.data)], { type: photo.media })),
    );
    setUrls(made);
    return () => made.forEach((url) => URL.revokeObjectURL(url));
  }, [view]);

  return (
    <li class="card stack">
      <p class="hint">{t("console.sentAt", { date: formatSeconds(view.sentAt) })}</p>
      {view.opened ? (
        <>
          <p class="hint">
            {t("console.sender", { role: roleLabel(view.opened.sender.role).toLowerCase() })}
          </p>
          <p class="message-text">{view.opened.text ?? t("console.noText")}</p>
          {urls.length > 0 ? (
            <div class="message-photos">
              {urls.map((url, i) => (
                <img
                  key={url}
                  src={url}
                  alt={t("console.photoAlt", { n: i + 1 })}
                  width={view.opened!.photos[i].width}
                  height={view.opened!.photos[i].height}
                />
              ))}
            </div>
          ) : null}
          {view.opened.via === "service" ? <p class="hint">{t("console.viaService")}</p> : null}
        </>
      ) : (
        <div class="error">
          <p>
            <strong>{t("console.messageError")}</strong> {view.error?.message}
          </p>
        </div>
      )}
    </li>
  );
}

function IncidentView({
  incident,
  messages,
  onClose,
}: {
  incident: IncidentSummary;
  messages: MessageView[];
  onClose: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [incident.id]);
  return (
    <section class="stack" aria-labelledby="incident-title">
      <h2 id="incident-title" ref={heading} tabIndex={-1}>
        {t("console.incidentTitle", { shop: incident.shop.enseigne })}
      </h2>
      <ul class="message-list">
        {messages.map((view) => (
          <Message key={view.id} view={view} />
        ))}
      </ul>
      <button type="button" class="button button-secondary" onClick={onClose}>
        {t("console.close")}
      </button>
    </section>
  );
}

function Console({ commune, incident }: { commune: string; incident: string | null }) {
  const model = useMemo(() => createConsole(commune), [commune]);
  const { keyOutcome, keyError, incidents, open, status, error, busy } = useStore(model.state);
  // The report last opened from the list: its button gets the focus back on closing.
  const lastOpened = useRef<string | null>(null);
  const list = useRef<HTMLUListElement>(null);

  useEffect(() => {
    void model.start();
  }, [model]);

  useEffect(() => {
    if (incident) {
      void model.openIncident(incident);
      return;
    }
    model.close();
    const id = lastOpened.current;
    if (id) {
      const selector = `button[data-incident="${CSS.escape(id)}"]`;
      requestAnimationFrame(() =>
        list.current?.querySelector<HTMLButtonElement>(selector)?.focus(),
      );
    }
  }, [model, incident]);

  const shown = open && open.incident.id === incident ? open : null;

  return (
    <>
      <section class="card stack" aria-labelledby="key-title">
        <h2 id="key-title">{t("console.keyTitle")}</h2>
        {keyOutcome ? keySentences(keyOutcome).map((line) => <p key={line}>{line}</p>) : null}
        {keyError ? <ErrorMessage message={keyError.message} /> : null}
        {!keyOutcome && !keyError ? <p>{t("console.keyChecking")}</p> : null}
      </section>
      <LiveStatus message={status} busy={busy} />
      <ErrorMessage message={error} />
      {shown ? (
        <IncidentView
          incident={shown.incident}
          messages={shown.messages}
          onClose={() => navigate("/console")}
        />
      ) : (
        <section class="stack" aria-labelledby="incidents-title">
          <h2 id="incidents-title">{t("console.incidentsTitle")}</h2>
          <p>
            <button
              type="button"
              class="button button-secondary"
              disabled={busy}
              onClick={() => void model.refresh(true)}
            >
              {t("console.refresh")}
            </button>
          </p>
          {incidents === null ? <Loading /> : null}
          {incidents && incidents.length === 0 ? <p>{t("console.noIncidents")}</p> : null}
          {incidents && incidents.length > 0 ? (
            <ul class="incident-list" ref={list}>
              {incidents.map((item) => (
                <li key={item.id} class="card">
                  <div>
                    <p>
                      <strong>
                        {t("console.incidentLine", {
                          shop: item.shop.enseigne,
                          date: formatDateTime(item.createdAt),
                        })}
                      </strong>
                    </p>
                    <p class="hint">{t("console.messagesCount", { count: item.messages })}</p>
                  </div>
                  <button
                    type="button"
                    class="button button-primary"
                    data-incident={item.id}
                    disabled={busy}
                    onClick={() => {
                      lastOpened.current = item.id;
                      navigate(buildPath("/incidents/:id", { id: item.id }));
                    }}
                  >
                    {t("console.open", { shop: item.shop.enseigne })}
                  </button>
                </li>
              ))}
            </ul>
          ) : null}
        </section>
      )}
    </>
  );
}

/** `/console`, or `/incidents/:id` to open that report at once. */
export function ConsolePage({ incident }: { incident: string | null }) {
  usePageTitle(t("console.title"));
  const { session } = useSession();
  const commune = session?.membership?.commune?.id;
  return (
    <section aria-labelledby="console-title" class="stack">
      <h1 id="console-title">{t("console.title")}</h1>
      {!session ? (
        <Loading />
      ) : mayUseConsole(session) && commune ? (
        <Console commune={commune} incident={incident} />
      ) : (
        <p class="callout callout-info">{t("console.forbidden")}</p>
      )}
    </section>
  );
}

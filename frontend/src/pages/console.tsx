/**
 * « Console police »: an operator device's view of the commune's reports. Opening the
 * page first runs the service key lifecycle (the first operator creates generation 1,
 * others fetch their grant, holders pass it on), then lists incidents; opening one
 * decrypts its messages here, photos shown from object URLs of the decrypted bytes.
 */

import { useEffect, useRef, useState } from "preact/hooks";
import { ErrorMessage, LiveStatus, Loading, usePageTitle } from "../components/ui";
import { listIncidents, type IncidentSummary } from "../incidents/api";
import { asFlowError, loadDeviceContext, type FlowError } from "../incidents/context";
import { readIncident, type MessageView } from "../incidents/read";
import { formatDateTime, roleLabel, t } from "../i18n";
import { runServiceKeyFlow, type ServiceKeyOutcome } from "../police/serviceKeyFlow";
import { useSession } from "../session";

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

function Console({ commune }: { commune: string }) {
  const [keyOutcome, setKeyOutcome] = useState<ServiceKeyOutcome | null>(null);
  const [keyError, setKeyError] = useState<FlowError | null>(null);
  const [incidents, setIncidents] = useState<IncidentSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState<{ incident: IncidentSummary; messages: MessageView[] } | null>(
    null,
  );
  const lastOpener = useRef<HTMLButtonElement | null>(null);

  const refresh = async (announce: boolean) => {
    setError(null);
    try {
      const list = await listIncidents();
      setIncidents(list);
      if (announce) setStatus(t("console.refreshed", { count: list.length }));
    } catch (err) {
      setError(asFlowError(err).message);
    }
  };

  useEffect(() => {
    let cancelled = false;
    void (async () => {
      setStatus(t("console.keyChecking"));
      try {
        const outcome = await runServiceKeyFlow(commune);
        if (!cancelled) setKeyOutcome(outcome);
      } catch (err) {
        if (!cancelled) setKeyError(asFlowError(err));
      }
      if (!cancelled) {
        setStatus(null);
        await refresh(false);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [commune]);

  const openIncident = async (incident: IncidentSummary, button: HTMLButtonElement) => {
    lastOpener.current = button;
    setBusy(true);
    setError(null);
    setStatus(t("console.opening"));
    try {
      const ctx = await loadDeviceContext(commune);
      const messages = await readIncident(incident.id, ctx);
      setOpen({ incident, messages });
      setStatus(
        t("console.opened", { shop: incident.shop.enseigne, count: messages.length }),
      );
    } catch (err) {
      setStatus(null);
      setError(asFlowError(err).message);
    } finally {
      setBusy(false);
    }
  };

  const close = () => {
    setOpen(null);
    setStatus(null);
    requestAnimationFrame(() => lastOpener.current?.focus());
  };

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
      {open ? (
        <IncidentView incident={open.incident} messages={open.messages} onClose={close} />
      ) : (
        <section class="stack" aria-labelledby="incidents-title">
          <h2 id="incidents-title">{t("console.incidentsTitle")}</h2>
          <p>
            <button
              type="button"
              class="button button-secondary"
              disabled={busy}
              onClick={() => void refresh(true)}
            >
              {t("console.refresh")}
            </button>
          </p>
          {incidents === null ? <Loading /> : null}
          {incidents && incidents.length === 0 ? <p>{t("console.noIncidents")}</p> : null}
          {incidents && incidents.length > 0 ? (
            <ul class="incident-list">
              {incidents.map((incident) => (
                <li key={incident.id} class="card">
                  <div>
                    <p>
                      <strong>
                        {t("console.incidentLine", {
                          shop: incident.shop.enseigne,
                          date: formatDateTime(incident.createdAt),
                        })}
                      </strong>
                    </p>
                    <p class="hint">{t("console.messagesCount", { count: incident.messages })}</p>
                  </div>
                  <button
                    type="button"
                    class="button button-primary"
                    disabled={busy}
                    onClick={(e) => void openIncident(incident, e.currentTarget)}
                  >
                    {t("console.open", { shop: incident.shop.enseigne })}
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

export function ConsolePage() {
  usePageTitle(t("console.title"));
  const { session } = useSession();
  const membership = session?.membership;
  const allowed =
    !!session?.authenticated &&
    membership?.role === "operateur" &&
    membership.status === "active" &&
    session.device?.status === "active" &&
    !!membership.commune?.id;
  return (
    <section aria-labelledby="console-title" class="stack">
      <h1 id="console-title">{t("console.title")}</h1>
      {!session ? (
        <Loading />
      ) : allowed ? (
        <Console commune={membership.commune!.id} />
      ) : (
        <p class="callout callout-info">{t("console.forbidden")}</p>
      )}
    </section>
  );
}

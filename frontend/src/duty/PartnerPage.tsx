/**
 * /repli: the fallback partner's screen (a supervision centre, role « partenaire »). It
 * lists the reports sealed to this device while the police municipale was not reachable,
 * live (the stream delivers them only to their recipients), and opens each on this
 * device. The server shows the partner nothing else of the commune.
 */

import { useCallback, useEffect, useState } from "preact/hooks";
import { ErrorMessage, LiveStatus, Loading, usePageTitle } from "../components/ui";
import { listIncidents, type IncidentSummary } from "../incidents/api";
import { asFlowError, loadDeviceContext } from "../incidents/context";
import { readIncident, type MessageView } from "../incidents/read";
import { formatDateTime, t } from "../i18n";
import { useStreamEvent, useStreamResync } from "../live/browser";
import { LiveBanner } from "../live/LiveBanner";
import { can, PERMISSION } from "../permissions";
import { useSession } from "../session";

export function PartnerPage() {
  usePageTitle(t("duty.partnerTitle"));
  const { session } = useSession();
  const commune = session?.membership?.commune?.id;
  if (!session) return <Loading />;
  const allowed =
    can(session, PERMISSION.readContent) &&
    session.membership?.role === "partenaire" &&
    session.device?.status === "active";
  return (
    <section aria-labelledby="partner-title" class="stack">
      <h1 id="partner-title">{t("duty.partnerTitle")}</h1>
      {allowed && commune ? (
        <Inbox commune={commune} />
      ) : (
        <p class="callout callout-info">{t("duty.partnerForbidden")}</p>
      )}
    </section>
  );
}

function Inbox({ commune }: { commune: string }) {
  const [incidents, setIncidents] = useState<IncidentSummary[] | null>(null);
  const [open, setOpen] = useState<{ id: string; messages: MessageView[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      setIncidents(await listIncidents());
    } catch (err) {
      setError(asFlowError(err).message);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useStreamEvent(["incident.reported", "message.posted"], (event) => {
    void refresh().then(() => {
      if (event.kind === "incident.reported") setStatus(t("duty.partnerArrived"));
    });
  });
  useStreamResync(() => void refresh());

  async function openIncident(item: IncidentSummary) {
    setError(null);
    setStatus(t("console.opening"));
    try {
      const ctx = await loadDeviceContext(commune);
      const messages = await readIncident(item.id, ctx);
      setOpen({ id: item.id, messages });
      setStatus(t("console.opened", { shop: item.shop.enseigne, count: messages.length }));
    } catch (err) {
      setStatus(null);
      setError(asFlowError(err).message);
    }
  }

  return (
    <>
      <p class="lead">{t("duty.partnerLead")}</p>
      <LiveBanner />
      <LiveStatus message={status} />
      <ErrorMessage message={error} />
      {incidents === null ? (
        <Loading />
      ) : incidents.length === 0 ? (
        <p>{t("duty.partnerEmpty")}</p>
      ) : (
        <ul class="stack" aria-label={t("duty.partnerListLabel")}>
          {incidents.map((item) => (
            <li key={item.id} class="card stack">
              <p>
                <strong>
                  {t("console.incidentLine", {
                    shop: item.shop.enseigne,
                    date: formatDateTime(item.createdAt),
                  })}
                </strong>
              </p>
              <p>
                <button
                  type="button"
                  class="button button-primary"
                  onClick={() => void openIncident(item)}
                >
                  {t("console.open", { shop: item.shop.enseigne })}
                </button>
              </p>
              {open?.id === item.id ? (
                <ul class="stack">
                  {open.messages.map((message) => (
                    <li key={message.id}>
                      {message.opened ? (
                        <p class="message-text">
                          {message.opened.text || t("duty.partnerNoText")}
                        </p>
                      ) : (
                        <p class="callout callout-warning">
                          {message.error?.message ?? t("broadcast.unreadable")}
                        </p>
                      )}
                    </li>
                  ))}
                </ul>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

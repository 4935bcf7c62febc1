/**
 * « Mes interventions » (/agent, /agent/:id): an agent's phone. The reports it is sent to
 * and not released, newest first; one opened shows the decrypted report and what followed,
 * the shop on a small map, and three big one-tap buttons « En route », « Sur place »,
 * « Terminé » (the last asks the outcome). The flows live in agent/model.ts; every change
 * is live on the agent's other devices and in the console through the stream.
 */

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ErrorMessage, LiveStatus, Loading, usePageTitle } from "../components/ui";
import {
  activeIncidents,
  AGENT_KINDS,
  AGENT_STEPS,
  createAgentView,
  endedLabel,
  isActive,
  myDispatch,
  stepAllowed,
  type AgentModel,
  type AgentStep,
} from "../agent/model";
import type { IncidentSummary } from "../incidents/api";
import { fromPolice } from "../incidents/read";
import { formatElapsed, OUTCOMES, outcomeLabel, REPORTED, type Outcome } from "../incidents/lifecycle";
import { categoryLabel } from "../alert/catalogue";
import { t, type MessageKey } from "../i18n";
import { useStreamEvent, useStreamResync } from "../live/browser";
import { LiveBanner } from "../live/LiveBanner";
import { mayReportDispatchStatus } from "../permissions";
import { dispatchStatusLabel } from "../police/dispatch";
import { buildPath, navigate } from "../router";
import { useSession } from "../session";
import { useStore } from "../store";
import { DispatchedAgents, IncidentMeta, Message, NoteBox, StateBadge } from "./console";
import { ShopMap } from "./agentMap";
import { PushConsentPanel } from "../push/PushConsent";

/** The time, re-read every 5 s, for « depuis 3 min 05 s ». */
function useNow(every = 5000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), every);
    return () => window.clearInterval(timer);
  }, [every]);
  return now;
}

function Elapsed({ since }: { since: string }) {
  const now = useNow();
  const start = Date.parse(since);
  if (!Number.isFinite(start)) return null;
  return <>{t("agent.elapsed", { elapsed: formatElapsed(now - start) })}</>;
}

function MyStatus({ incident, agent }: { incident: IncidentSummary; agent: string }) {
  const mine = myDispatch(incident, agent);
  if (!mine) return null;
  return (
    <span class={`badge badge-dispatch badge-dispatch-${mine.status}`} data-status={mine.status}>
      {t("agent.myStatus", { status: dispatchStatusLabel(mine) })}
    </span>
  );
}

function AgentList({
  incidents,
  agent,
  back,
}: {
  incidents: IncidentSummary[] | null;
  agent: string;
  /** The incident just left: its button (or, gone from the list, the heading) gets the focus. */
  back: { current: string | null };
}) {
  const active = incidents ? activeIncidents(incidents, agent) : null;
  const list = useRef<HTMLElement>(null);
  useEffect(() => {
    const id = back.current;
    if (!id) return;
    back.current = null;
    requestAnimationFrame(() => {
      const button = list.current?.querySelector<HTMLElement>(
        `li[data-incident="${CSS.escape(id)}"] button`,
      );
      (button ?? list.current?.querySelector<HTMLElement>("h2"))?.focus();
    });
  }, []);
  return (
    <section class="stack" aria-labelledby="agent-list-title" ref={list}>
      <h2 id="agent-list-title" tabIndex={-1}>
        {t("agent.listTitle")}
      </h2>
      {active === null ? <Loading /> : null}
      {active && active.length === 0 ? <p>{t("agent.none")}</p> : null}
      {active && active.length > 0 ? (
        <ul class="incident-list agent-list">
          {active.map((item) => (
            <li key={item.id} class="card stack" data-incident={item.id}>
              <p>
                <strong>{item.shop.enseigne}</strong>
              </p>
              <p>
                {item.category ? (
                  <span class="badge badge-category">{categoryLabel(item.category)}</span>
                ) : null}{" "}
                <StateBadge lifecycle={item.lifecycle ?? REPORTED} />{" "}
                <MyStatus incident={item} agent={agent} />
              </p>
              <p class="hint">
                <Elapsed since={item.createdAt} />
              </p>
              <button
                type="button"
                class="button button-primary button-block"
                onClick={() => navigate(buildPath("/agent/:id", { id: item.id }))}
              >
                {t("agent.open", { shop: item.shop.enseigne })}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

const STEP_LABEL: Record<AgentStep, MessageKey> = {
  en_route: "agent.step.en_route",
  on_site: "agent.step.on_site",
  done: "agent.step.done",
};

function StatusButtons({
  model,
  incident,
  agent,
}: {
  model: AgentModel;
  incident: IncidentSummary;
  agent: string;
}) {
  const { step } = useStore(model.state);
  const [asking, setAsking] = useState(false);
  const legend = useRef<HTMLLegendElement>(null);
  const mine = myDispatch(incident, agent);
  useEffect(() => {
    if (asking) legend.current?.focus();
  }, [asking]);
  useEffect(() => setAsking(false), [incident.id]);
  const tap = (wanted: AgentStep) => {
    if (wanted === "done") {
      setAsking(true);
      return;
    }
    void model.setStatus(incident.id, wanted);
  };
  const finish = async (outcome: Outcome) => {
    if (await model.setStatus(incident.id, "done", outcome)) setAsking(false);
  };
  return (
    <section class="card stack agent-status" aria-labelledby="agent-status-title">
      <h3 id="agent-status-title">{t("agent.statusTitle")}</h3>
      <p>
        <MyStatus incident={incident} agent={agent} />
      </p>
      <div class="agent-steps">
        {AGENT_STEPS.map((wanted) => (
          <button
            key={wanted}
            type="button"
            class="button button-primary button-block button-big"
            data-step={wanted}
            disabled={step.busy || !stepAllowed(mine, wanted) || (wanted === "done" && asking)}
            onClick={() => tap(wanted)}
          >
            {t(STEP_LABEL[wanted])}
          </button>
        ))}
      </div>
      {asking ? (
        <fieldset class="stack agent-outcomes">
          <legend ref={legend} tabIndex={-1}>
            {t("agent.outcomeLegend")}
          </legend>
          {OUTCOMES.map((outcome) => (
            <button
              key={outcome}
              type="button"
              class="button button-secondary button-block"
              disabled={step.busy}
              onClick={() => void finish(outcome)}
            >
              {outcomeLabel(outcome)}
            </button>
          ))}
          <button
            type="button"
            class="button button-secondary button-block"
            disabled={step.busy}
            onClick={() => setAsking(false)}
          >
            {t("agent.outcomeCancel")}
          </button>
        </fieldset>
      ) : null}
      <ErrorMessage message={step.error} />
      <LiveStatus message={step.said} busy={step.busy} />
    </section>
  );
}

function AgentIncident({
  model,
  agent,
}: {
  model: AgentModel;
  agent: string;
}) {
  const { open, note } = useStore(model.state);
  const heading = useRef<HTMLHeadingElement>(null);
  const id = open?.incident.id ?? null;
  useEffect(() => heading.current?.focus(), [id]);
  if (!open) return <Loading />;
  const { incident, messages } = open;
  const ended = isActive(incident, agent) ? null : endedLabel(incident, agent);
  return (
    <section class="stack" aria-labelledby="agent-incident-title">
      <h2 id="agent-incident-title" ref={heading} tabIndex={-1}>
        {t("agent.incidentTitle", { shop: incident.shop.enseigne })}
      </h2>
      <IncidentMeta incident={incident} />
      <p>
        <StateBadge lifecycle={incident.lifecycle ?? REPORTED} />{" "}
        <span class="hint">
          <Elapsed since={incident.createdAt} />
        </span>
      </p>
      {ended ? (
        <p class="callout callout-info" data-ended="true">
          <strong>{ended}</strong>
        </p>
      ) : (
        <StatusButtons model={model} incident={incident} agent={agent} />
      )}
      <DispatchedAgents incident={incident} />
      <section class="stack" aria-labelledby="agent-messages-title">
        <h3 id="agent-messages-title">{t("agent.messagesTitle")}</h3>
        {messages === null ? (
          <Loading />
        ) : (
          <ul class="message-list">
            {messages.map((view) => (
              <Message key={view.id} view={view} police={fromPolice(view)} />
            ))}
          </ul>
        )}
      </section>
      {ended ? null : (
        <NoteBox incident={incident.id} note={note} onSend={(text) => model.sendNote(incident.id, text)} />
      )}
      <ShopMap incident={incident} />
      <p>
        <button
          type="button"
          class="button button-secondary button-block"
          onClick={() => navigate("/agent")}
        >
          {t("agent.back")}
        </button>
      </p>
    </section>
  );
}

function AgentView({ commune, agent, incident }: { commune: string; agent: string; incident: string | null }) {
  const model = useMemo(() => createAgentView(commune, agent), [commune, agent]);
  const { incidents, alert, error } = useStore(model.state);
  useStreamEvent(AGENT_KINDS, (event) => void model.live(event));
  useStreamResync(() => void model.resync());
  useEffect(() => {
    void model.start();
  }, [model]);
  // The incident left for the list: focus goes back where the agent was.
  const back = useRef<string | null>(null);
  useEffect(() => {
    if (incident) {
      back.current = incident;
      void model.openIncident(incident);
    } else model.close();
  }, [model, incident]);
  return (
    <>
      <LiveBanner />
      <div class="status" role="status" aria-live="polite">
        {alert ? <p>{alert}</p> : null}
      </div>
      <ErrorMessage message={error} />
      {incident ? (
        <AgentIncident model={model} agent={agent} />
      ) : (
        <AgentList incidents={incidents} agent={agent} back={back} />
      )}
    </>
  );
}

export function AgentPage({ incident }: { incident: string | null }) {
  const { session } = useSession();
  usePageTitle(t("agent.title"));
  const commune = session?.membership?.commune?.id;
  const agent = session?.membership?.id;
  return (
    <section aria-labelledby="agent-title" class="stack agent-page">
      <h1 id="agent-title">{t("agent.title")}</h1>
      {!session ? (
        <Loading />
      ) : mayReportDispatchStatus(session) && commune && agent ? (
        <>
          <AgentView commune={commune} agent={agent} incident={incident} />
          <PushConsentPanel session={session} />
        </>
      ) : (
        <p class="callout callout-info">{t("agent.forbidden")}</p>
      )}
    </section>
  );
}

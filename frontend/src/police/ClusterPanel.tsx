/**
 * The console's crisis clusters (docs/decisions.md, "Crisis clusters"): what the server
 * proposes to group (one sector, one category, close in time), confirmed in one click,
 * then taken in charge at once, and one patrol sent to all of it; each report keeps its own
 * timeline.
 */

import { useCallback, useEffect, useState } from "preact/hooks";
import { describeError } from "../api";
import { ErrorMessage, LiveStatus } from "../components/ui";
import {
  confirmCluster,
  getDispatchCandidates,
  listClusterProposals,
  stepCluster,
  type ClusterProposal,
  type DispatchCandidates,
} from "../incidents/api";
import { t } from "../i18n";
import { useStreamEvent, useStreamResync } from "../live/browser";
import { outcomeLabel, OUTCOMES, type Outcome } from "../incidents/lifecycle";
import { availabilityLabel, dispatchCluster } from "./dispatch";

interface Grouped {
  id: string;
  incidents: string[];
}

export function ClusterPanel({
  manage,
  commune,
  dispatch = false,
}: {
  manage: boolean;
  commune: string;
  dispatch?: boolean;
}) {
  const [proposals, setProposals] = useState<ClusterProposal[] | null>(null);
  const [confirmed, setConfirmed] = useState<Grouped | null>(null);
  const [taken, setTaken] = useState<Grouped | null>(null);
  const [agents, setAgents] = useState<DispatchCandidates | null>(null);
  const [chosen, setChosen] = useState<string[]>([]);
  const [outcome, setOutcome] = useState<Outcome>("other");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const load = useCallback(async () => {
    if (!manage) return;
    try {
      setProposals(await listClusterProposals());
    } catch (err) {
      setError(describeError(err));
    }
  }, [manage]);
  useEffect(() => {
    void load();
  }, [load]);
  // Proposals change when a report arrives, closes or is grouped: not at every step.
  useStreamEvent(["incident.reported", "incident.closed", "cluster.confirmed"], () => void load());
  useStreamResync(() => void load());
  if (!manage || proposals === null) return null;

  const run = async (work: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    try {
      setSaid(await work());
      await load();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card stack cluster-panel" aria-labelledby="cluster-title">
      <h2 id="cluster-title">{t("cluster.title")}</h2>
      {proposals.length === 0 && !confirmed ? <p>{t("cluster.none")}</p> : null}
      <ul class="stack">
        {proposals.map((p) => (
          <li key={p.incidents.map((i) => i.id).join(",")} class="card">
            <p>
              <strong>
                {t("cluster.proposal", { count: p.incidents.length, category: p.category, sector: p.sector })}
              </strong>{" "}
              : {p.incidents.map((i) => i.shop).join(", ")}
            </p>
            <button
              type="button"
              class="button button-secondary"
              disabled={busy}
              onClick={() =>
                void run(async () => {
                  const incidents = p.incidents.map((i) => i.id);
                  setConfirmed({ id: await confirmCluster(incidents), incidents });
                  setTaken(null);
                  return t("cluster.confirmed");
                })
              }
            >
              {t("cluster.confirm", { count: p.incidents.length })}
            </button>
          </li>
        ))}
      </ul>
      {confirmed ? (
        <p>
          <button
            type="button"
            class="button button-primary"
            disabled={busy}
            onClick={() =>
              void run(async () => {
                const count = await stepCluster(confirmed.id, "take");
                setConfirmed(null);
                setTaken(confirmed);
                setChosen([]);
                if (dispatch) setAgents(await getDispatchCandidates(confirmed.incidents[0]));
                return t("cluster.taken", { count });
              })
            }
          >
            {t("cluster.takeAll")}
          </button>
        </p>
      ) : null}
      {taken && agents ? (
        <fieldset class="stack dispatch-agents">
          <legend>{t("cluster.sendTitle", { count: taken.incidents.length })}</legend>
          {agents.agents.map((agent) => (
            <label key={agent.agent} class="checkbox">
              <input
                type="checkbox"
                checked={chosen.includes(agent.agent)}
                disabled={busy || agent.devices.length === 0}
                aria-describedby={`cluster-agent-${agent.agent}`}
                onChange={(e) => {
                  const on = (e.target as HTMLInputElement).checked;
                  setChosen((now) => (on ? [...now, agent.agent] : now.filter((a) => a !== agent.agent)));
                }}
              />
              {agent.name}
              <span id={`cluster-agent-${agent.agent}`} class="hint">
                {" "}
                {availabilityLabel(agent)}
              </span>
            </label>
          ))}
          <p>
            <button
              type="button"
              class="button button-primary"
              disabled={busy}
              onClick={() =>
                void run(async () => {
                  const count = await dispatchCluster(commune, taken.id, taken.incidents, chosen);
                  return t("cluster.sent", { count });
                })
              }
            >
              {t("cluster.sendAll")}
            </button>
          </p>
        </fieldset>
      ) : null}
      {taken ? (
        <fieldset class="stack">
          <legend>{t("cluster.closeTitle", { count: taken.incidents.length })}</legend>
          <p class="hint">{t("cluster.closeHint")}</p>
          {OUTCOMES.map((value) => (
            <label key={value} class="checkbox">
              <input
                type="radio"
                name={`cluster-outcome-${taken.id}`}
                checked={outcome === value}
                disabled={busy}
                onChange={() => setOutcome(value)}
              />
              {outcomeLabel(value)}
            </label>
          ))}
          <p>
            <button
              type="button"
              class="button button-secondary"
              disabled={busy}
              onClick={() =>
                void run(async () => {
                  const count = await stepCluster(taken.id, "close", { outcome });
                  setTaken(null);
                  return t("cluster.closed", { count });
                })
              }
            >
              {t("cluster.closeAll")}
            </button>
          </p>
        </fieldset>
      ) : null}
      <ErrorMessage message={error} />
      <LiveStatus message={said} busy={busy} />
    </section>
  );
}

/**
 * The console's crisis clusters (docs/decisions.md, "Crisis clusters"): what the server
 * proposes to group (one sector, one category, close in time), confirmed in one click,
 * then taken in charge at once; each report keeps its own timeline.
 */

import { useCallback, useEffect, useState } from "preact/hooks";
import { describeError } from "../api";
import { ErrorMessage, LiveStatus } from "../components/ui";
import { confirmCluster, listClusterProposals, stepCluster, type ClusterProposal } from "../incidents/api";
import { t } from "../i18n";
import { useStreamEvent, useStreamResync } from "../live/browser";

export function ClusterPanel({ manage }: { manage: boolean }) {
  const [proposals, setProposals] = useState<ClusterProposal[] | null>(null);
  const [confirmed, setConfirmed] = useState<string | null>(null);
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
                  setConfirmed(await confirmCluster(p.incidents.map((i) => i.id)));
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
                const count = await stepCluster(confirmed, "take");
                setConfirmed(null);
                return t("cluster.taken", { count });
              })
            }
          >
            {t("cluster.takeAll")}
          </button>
        </p>
      ) : null}
      <ErrorMessage message={error} />
      <LiveStatus message={said} busy={busy} />
    </section>
  );
}

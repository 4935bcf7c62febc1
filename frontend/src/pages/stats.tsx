/**
 * /statistiques: the first statistics page, for the coordinator and the operators. Times
 * from the log's events (medians and « 9 sur 10 en moins de »), the target met with its
 * count, by sector, category and hour; every rate says how many it is of.
 */

import { useEffect, useState } from "preact/hooks";
import { describeError } from "../api";
import { ErrorMessage, Field, Loading, usePageTitle } from "../components/ui";
import { listSectors } from "../coordination/api";
import type { SectorRow } from "../coordination/shops";
import { t, type MessageKey } from "../i18n";
import { PERMISSION, can } from "../permissions";
import { useSession } from "../session";
import { loadSummary } from "../stats/api";
import { formatDuration, formatRate, type Group, type Summary, type SummaryFilters } from "../stats/summary";

export function StatsPage() {
  usePageTitle(t("stats.title"));
  const { session } = useSession();
  if (!session) return <Loading />;
  if (!can(session, PERMISSION.viewStats)) {
    return (
      <section class="stack" aria-labelledby="stats-title">
        <h1 id="stats-title">{t("stats.title")}</h1>
        <p class="callout callout-warning">{t("coord.forbidden")}</p>
      </section>
    );
  }
  return <StatsView />;
}

function StatsView() {
  const [filters, setFilters] = useState<SummaryFilters>({});
  const [draft, setDraft] = useState<SummaryFilters>({});
  const [summary, setSummary] = useState<Summary | null>(null);
  const [sectors, setSectors] = useState<SectorRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    listSectors()
      .then(setSectors)
      .catch(() => setSectors([]));
  }, []);
  useEffect(() => {
    setBusy(true);
    loadSummary(filters)
      .then((found) => {
        setSummary(found);
        setError(null);
        setDraft((d) => ({ ...d, start: d.start ?? found.start, end: d.end ?? found.end }));
      })
      .catch((err) => setError(describeError(err)))
      .finally(() => setBusy(false));
  }, [filters]);

  const categories = summary?.byCategory ?? [];
  return (
    <div class="stack">
      <h1 id="stats-title">{t("stats.title")}</h1>
      <p class="hint">{t("stats.help", { n: summary?.smallSampleBelow ?? 10 })}</p>
      <form
        class="card stack"
        aria-labelledby="stats-filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters({ ...draft });
        }}
      >
        <h2 id="stats-filters">{t("stats.filters")}</h2>
        <div class="grid">
          {(["start", "end"] as const).map((name) => (
            <Field key={name} id={`stats-${name}`} label={t(`stats.${name}` as MessageKey)}>
              {({ id, describedBy }) => (
                <input
                  id={id}
                  type="date"
                  value={draft[name] ?? ""}
                  aria-describedby={describedBy}
                  onInput={(e) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value })}
                />
              )}
            </Field>
          ))}
          <Field id="stats-sector" label={t("stats.sector")}>
            {({ id }) => (
              <select id={id} value={draft.sector ?? ""} onChange={(e) => setDraft({ ...draft, sector: (e.target as HTMLSelectElement).value })}>
                <option value="">{t("stats.all")}</option>
                {sectors.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field id="stats-category" label={t("stats.category")}>
            {({ id }) => (
              <select id={id} value={draft.category ?? ""} onChange={(e) => setDraft({ ...draft, category: (e.target as HTMLSelectElement).value })}>
                <option value="">{t("stats.all")}</option>
                {categories.map((c) => (
                  <option key={c.key} value={c.key}>
                    {c.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <p>
          <button type="submit" class="button button-primary" disabled={busy}>
            {t("stats.show")}
          </button>
        </p>
      </form>
      <ErrorMessage message={error} />
      {summary === null ? error ? null : <Loading /> : <Figures summary={summary} />}
    </div>
  );
}

function Figures({ summary }: { summary: Summary }) {
  return (
    <div class="stack" aria-live="polite">
      <p>
        <strong>{t("stats.incidents", { count: summary.incidents, start: summary.start, end: summary.end })}</strong>
      </p>
      {summary.incidents === 0 ? (
        <p>{t("stats.empty")}</p>
      ) : (
        <>
          <section class="card stack" aria-labelledby="stats-target">
            <h2 id="stats-target">{t("stats.targetTitle")}</h2>
            <p class="stat-figure" data-testid="stats-target">
              {formatRate(summary.target)}
            </p>
            {summary.target.pending ? <p class="hint">{t("stats.pending", { count: summary.target.pending })}</p> : null}
          </section>
          <div class="table-scroll" role="region" aria-labelledby="stats-steps" tabIndex={0}>
            <table class="data-table">
              <caption id="stats-steps">{t("stats.stepsCaption")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("stats.colStep")}</th>
                  <th scope="col">{t("stats.colReached")}</th>
                  <th scope="col">{t("stats.colMedian")}</th>
                  <th scope="col">{t("stats.colP90")}</th>
                </tr>
              </thead>
              <tbody>
                {summary.steps.map((s) => (
                  <tr key={s.step}>
                    <th scope="row">{t(`stats.step.${s.step}` as MessageKey)}</th>
                    <td>
                      {s.reached} / {summary.incidents}
                    </td>
                    <td>{formatDuration(s.median)}</td>
                    <td>{formatDuration(s.p90)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <GroupTable id="stats-by-sector" caption={t("stats.sectorCaption")} groups={summary.bySector} />
          <GroupTable id="stats-by-category" caption={t("stats.categoryCaption")} groups={summary.byCategory} />
          <GroupTable
            id="stats-by-hour"
            caption={t("stats.hourCaption")}
            groups={summary.byHour.filter((g) => g.incidents > 0)}
          />
        </>
      )}
    </div>
  );
}

function GroupTable({ id, caption, groups }: { id: string; caption: string; groups: Group[] }) {
  return (
    <div class="table-scroll" role="region" aria-labelledby={id} tabIndex={0}>
      <table class="data-table">
        <caption id={id}>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t("stats.colGroup")}</th>
            <th scope="col">{t("stats.colIncidents")}</th>
            <th scope="col">{t("stats.colTarget")}</th>
            <th scope="col">{t("stats.colTaken")}</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={g.key}>
              <th scope="row">{g.label}</th>
              <td>{g.incidents}</td>
              <td>{formatRate(g.target)}</td>
              <td>{formatDuration(g.medianToTaken)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

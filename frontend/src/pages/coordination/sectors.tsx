/**
 * /coordination/secteurs: which sectors neighbour each other. A sector's alerts and
 * messages reach the shops of its neighbours too (a thief crosses a street; the reporter
 * has one hand free and chooses nothing), and the relation goes both ways
 * (docs/decisions.md, "Neighbouring sectors").
 */

import { useEffect, useState } from "preact/hooks";
import { describeError } from "../../api";
import { ErrorMessage, LiveStatus, Loading } from "../../components/ui";
import { listSectors, setSectorNeighbours } from "../../coordination/api";
import type { SectorRow } from "../../coordination/shops";
import { t } from "../../i18n";
import { useStreamEvent } from "../../live/browser";
import { MairieScreen } from "./frame";

export function SectorsPage() {
  return <MairieScreen title={t("mairie.sectors.title")}>{() => <SectorsEditor />}</MairieScreen>;
}

function SectorsEditor() {
  const [sectors, setSectors] = useState<SectorRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = async () => {
    try {
      setSectors(await listSectors());
      setError(null);
    } catch (err) {
      setError(describeError(err));
    }
  };
  useEffect(() => {
    void load();
  }, []);
  useStreamEvent(["sector.created", "sector.neighbours_changed", "shops.imported"], () => void load());

  if (sectors === null) return error ? <ErrorMessage message={error} /> : <Loading />;
  if (sectors.length < 2) return <p class="callout">{t("mairie.sectors.fewSectors")}</p>;
  return (
    <div class="stack">
      <p class="hint">{t("mairie.sectors.help")}</p>
      <ErrorMessage message={error} />
      {sectors.map((sector) => (
        <SectorNeighbours key={sector.id} sector={sector} all={sectors} onSaved={load} />
      ))}
    </div>
  );
}

function SectorNeighbours(props: { sector: SectorRow; all: SectorRow[]; onSaved: () => Promise<void> }) {
  const { sector, all } = props;
  const [chosen, setChosen] = useState<Set<string>>(new Set(sector.neighbours));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const others = all.filter((s) => s.id !== sector.id);
  const saved = sector.neighbours.join(",");
  // Saved here or by another coordinator (both ways: a neighbour's save changes this one).
  useEffect(() => setChosen(new Set(sector.neighbours)), [saved]);
  const legend = `sector-${sector.id}-legend`;

  const toggle = (id: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(id);
    else next.delete(id);
    setChosen(next);
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      await setSectorNeighbours(sector.id, [...chosen]);
      setStatus(t("mairie.sectors.saved", { sector: sector.name }));
      await props.onSaved();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card stack" onSubmit={submit} noValidate data-sector={sector.id}>
      <fieldset aria-describedby={`${legend}-hint`}>
        <legend id={legend}>
          <strong>{sector.name}</strong> — {t("mairie.sectors.shops", { count: sector.shopCount })}
        </legend>
        <p class="hint" id={`${legend}-hint`}>
          {t("mairie.sectors.question", { sector: sector.name })}
        </p>
        <ul class="checkbox-list">
          {others.map((other) => (
            <li key={other.id}>
              <label class="checkbox">
                <input
                  type="checkbox"
                  name="neighbours"
                  value={other.id}
                  checked={chosen.has(other.id)}
                  disabled={busy}
                  onChange={(e) => toggle(other.id, (e.target as HTMLInputElement).checked)}
                />{" "}
                {other.name}
              </label>
            </li>
          ))}
        </ul>
      </fieldset>
      <ErrorMessage message={error} />
      <p>
        <button type="submit" class="button button-primary" disabled={busy}>
          {t("mairie.sectors.save", { sector: sector.name })}
        </button>
      </p>
      <LiveStatus message={status} busy={busy} />
    </form>
  );
}

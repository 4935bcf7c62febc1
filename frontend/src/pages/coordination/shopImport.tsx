/**
 * /coordination/commerces/import: the mairie's CSV list, sent as it is; the server checks
 * every line and stores all of them or none. A refused file shows its summary and one
 * French line per problem (« Ligne 3 : SIRET … invalide »), focus on the report.
 */

import { useRef, useState } from "preact/hooks";
import { describeError } from "../../api";
import { ErrorMessage, Field, LiveStatus } from "../../components/ui";
import { importShops } from "../../coordination/api";
import {
  shopFlash,
  type ImportOutcome,
} from "../../coordination/shops";
import { t } from "../../i18n";
import { Link, navigate } from "../../router";
import { MairieScreen } from "./frame";

const COLUMNS = "enseigne;raison_sociale;siret;adresse;latitude;longitude;secteur;activite";

export function ShopImportPage() {
  return <MairieScreen title={t("mairie.import.title")}>{() => <ShopImport />}</MairieScreen>;
}

function ShopImport() {
  const input = useRef<HTMLInputElement>(null);
  const report = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<ImportOutcome | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setOutcome(null);
    const file = input.current?.files?.[0];
    if (!file) {
      setFieldError(t("mairie.import.fileRequired"));
      input.current?.focus();
      return;
    }
    setFieldError(null);
    setBusy(true);
    try {
      const result = await importShops(file);
      if (result.ok) {
        shopFlash.set(result.message || t("mairie.import.done", { count: result.created }));
        navigate("/coordination/commerces");
        return;
      }
      setOutcome(result);
      requestAnimationFrame(() => report.current?.focus());
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <section class="card stack" aria-labelledby="import-help-title">
        <h2 id="import-help-title">{t("mairie.import.helpTitle")}</h2>
        <p>{t("mairie.import.help")}</p>
        <p>
          {t("mairie.import.columns")} <code>{COLUMNS}</code>
        </p>
        <p class="hint">{t("mairie.import.allOrNothing")}</p>
      </section>
      <form class="stack card" onSubmit={submit} noValidate>
        <Field id="import-file" label={t("mairie.import.file")} hint={t("mairie.import.fileHint")} error={fieldError}>
          {({ id, describedBy, invalid }) => (
            <input
              ref={input}
              id={id}
              name="file"
              type="file"
              accept=".csv,text/csv"
              aria-describedby={describedBy}
              aria-invalid={invalid ? "true" : undefined}
              onChange={() => setOutcome(null)}
            />
          )}
        </Field>
        <ErrorMessage message={error} />
        <div class="row-actions">
          <button type="submit" class="button button-primary" disabled={busy}>
            {busy ? t("mairie.import.sending") : t("mairie.import.submit")}
          </button>
          <Link href="/coordination/commerces" class="button button-secondary">
            {t("mairie.shops.backToList")}
          </Link>
        </div>
      </form>
      <LiveStatus message={busy ? t("mairie.import.sending") : null} busy={busy} />
      {outcome && !outcome.ok ? (
        <div
          class="error import-report"
          role="alert"
          tabIndex={-1}
          ref={report}
          aria-labelledby="import-report-title"
        >
          <h2 id="import-report-title">{t("mairie.import.rejectedTitle")}</h2>
          <p>
            <strong>{outcome.message}</strong>
          </p>
          {outcome.errors.length > 0 ? (
            <ul class="import-lines">
              {outcome.errors.map((line, index) => (
                <li key={index}>{line.message}</li>
              ))}
            </ul>
          ) : null}
          <p>{t("mairie.import.fixAndRetry")}</p>
        </div>
      ) : null}
    </>
  );
}

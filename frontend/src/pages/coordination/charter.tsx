/**
 * /coordination/charte: edit the usage charter and publish it as a new version; every
 * version stays listed (members accepted the exact text they saw), with its acceptances.
 */

import { useEffect, useState } from "preact/hooks";
import { describeError } from "../../api";
import { ErrorMessage, Field, LiveStatus, Loading } from "../../components/ui";
import { listCharterVersions, publishCharter } from "../../coordination/api";
import {
  checkCharter,
  type CharterVersionRow,
} from "../../coordination/charter";
import { formatDateTime, t } from "../../i18n";
import { useStreamEvent } from "../../live/browser";
import { MairieScreen } from "./frame";

export function CharterPage() {
  return <MairieScreen title={t("mairie.charter.title")}>{() => <CharterEditor />}</MairieScreen>;
}

function CharterEditor() {
  const [versions, setVersions] = useState<CharterVersionRow[] | null>(null);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = async (fill: boolean) => {
    try {
      const found = await listCharterVersions();
      setVersions(found);
      if (fill) setText(found[0]?.text ?? "");
    } catch (err) {
      setError(describeError(err));
    }
  };
  useEffect(() => {
    void load(true);
  }, []);
  // Another coordinator's publication: the list follows; the text being edited stays.
  useStreamEvent("charter.published", () => void load(false));

  const current = versions?.[0] ?? null;

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setStatus(null);
    const problem = checkCharter(text, current?.text ?? "");
    setFieldError(problem);
    if (problem) {
      document.getElementById("charter-text")?.focus();
      return;
    }
    setBusy(true);
    try {
      const published = await publishCharter(text);
      setStatus(t("mairie.charter.published", { version: published.version }));
      await load(false);
    } catch (err) {
      const message = describeError(err);
      setError(message);
      if ((err as { field?: string | null }).field === "text") setFieldError(message);
    } finally {
      setBusy(false);
    }
  };

  if (versions === null) return error ? <ErrorMessage message={error} /> : <Loading />;

  return (
    <>
      <form class="stack card" onSubmit={submit} noValidate>
        <h2>{current ? t("mairie.charter.editTitle", { version: current.version }) : t("mairie.charter.firstTitle")}</h2>
        <p class="hint">{t("mairie.charter.help")}</p>
        <Field id="charter-text" label={t("mairie.charter.text")} error={fieldError}>
          {({ id, describedBy, invalid }) => (
            <textarea
              id={id}
              name="text"
              rows={18}
              value={text}
              aria-describedby={describedBy}
              aria-invalid={invalid ? "true" : undefined}
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
            />
          )}
        </Field>
        <ErrorMessage message={error} />
        <button type="submit" class="button button-primary" disabled={busy}>
          {t("mairie.charter.publish")}
        </button>
      </form>
      <LiveStatus message={status} busy={busy} />
      <div class="table-scroll" role="region" aria-labelledby="charter-caption" tabIndex={0}>
        <table class="data-table">
          <caption id="charter-caption">{t("mairie.charter.versionsCaption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("mairie.charter.colVersion")}</th>
              <th scope="col">{t("mairie.charter.colPublished")}</th>
              <th scope="col">{t("mairie.charter.colAcceptances")}</th>
              <th scope="col">{t("mairie.charter.colText")}</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.version}>
                <th scope="row">
                  {t("mairie.charter.versionLabel", { version: v.version })}
                  {v.current ? " " : null}
                  {v.current ? <span class="badge badge-active">{t("mairie.charter.current")}</span> : null}
                </th>
                <td>{v.publishedAt ? formatDateTime(v.publishedAt) : ""}</td>
                <td>{v.acceptances}</td>
                <td>
                  <details>
                    <summary>{t("mairie.charter.read", { version: v.version })}</summary>
                    <pre class="charter-text">{v.text}</pre>
                  </details>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

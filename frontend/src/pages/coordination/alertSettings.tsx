/**
 * /coordination/reglages: the commune's alert settings. Categories in a table (label,
 * severity, « Appelez le 17 », enabled, order moved with buttons), the neighbour-alert
 * policy (validation by an operator, or at once) and its expiry, and the named limits.
 * One « Enregistrer » sends it all (PUT /incidents/settings): all of it is stored, or none.
 */

import { useEffect, useState } from "preact/hooks";
import { describeError } from "../../api";
import { ErrorMessage, Field, LiveStatus, Loading } from "../../components/ui";
import { listMembers, loadSettings, saveSettings, type MemberRow } from "../../coordination/api";
import {
  addCategory,
  checkSettings,
  controlOf,
  draftOf,
  LIMIT_NAMES,
  limitLabel,
  MAX_LABEL,
  moveCategory,
  SEVERITIES,
  severityLabel,
  type CategorySetting,
  type LimitName,
  type SettingsDraft,
  type Severity,
} from "../../coordination/alertSettings";
import { t } from "../../i18n";
import { MairieScreen } from "./frame";

/** The police members who may supervise (operators and agents, active), as checkboxes. */
function Supervisors(props: { chosen: string[]; error?: string; onChange: (ids: string[]) => void }) {
  const [members, setMembers] = useState<MemberRow[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    listMembers()
      .then((all) =>
        setMembers(all.filter((m) => m.status === "active" && (m.role === "operateur" || m.role === "agent"))),
      )
      .catch((err) => setLoadError(describeError(err)));
  }, []);
  const chosen = new Set(props.chosen);
  const toggle = (id: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(id);
    else next.delete(id);
    props.onChange([...next].sort());
  };
  const hint = props.error ? "supervisors-error supervisors-hint" : "supervisors-hint";
  return (
    <fieldset id="supervisors" aria-describedby={hint} aria-invalid={props.error ? "true" : undefined}>
      <legend>{t("mairie.settings.supervisors")}</legend>
      <p class="hint" id="supervisors-hint">
        {t("mairie.settings.supervisorsHint")}
      </p>
      {props.error ? (
        <p class="field-error" id="supervisors-error">
          {props.error}
        </p>
      ) : null}
      <ErrorMessage message={loadError} />
      {members === null ? (
        loadError ? null : <Loading />
      ) : members.length === 0 ? (
        <p>{t("mairie.settings.noSupervisors")}</p>
      ) : (
        <ul class="checkbox-list">
          {members.map((m) => (
            <li key={m.id}>
              <label class="checkbox">
                <input
                  type="checkbox"
                  name="supervisors"
                  value={m.id}
                  checked={chosen.has(m.id)}
                  onChange={(e) => toggle(m.id, (e.target as HTMLInputElement).checked)}
                />{" "}
                {m.displayName} ({m.roleLabel})
              </label>
            </li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}

export function AlertSettingsPage() {
  return <MairieScreen title={t("mairie.settings.title")}>{() => <AlertSettingsForm />}</MairieScreen>;
}

function AlertSettingsForm() {
  const [draft, setDraft] = useState<SettingsDraft | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [newLabel, setNewLabel] = useState("");
  const [newError, setNewError] = useState<string | null>(null);

  useEffect(() => {
    loadSettings()
      .then((settings) => setDraft(draftOf(settings)))
      .catch((err) => setLoadError(describeError(err)));
  }, []);

  if (!draft) return loadError ? <ErrorMessage message={loadError} /> : <Loading />;

  const setCategory = (index: number, change: Partial<CategorySetting>) =>
    setDraft({
      ...draft,
      categories: draft.categories.map((c, i) => (i === index ? { ...c, ...change } : c)),
    });
  const setLimit = (name: LimitName, part: "count" | "minutes", value: string) =>
    setDraft({ ...draft, limits: { ...draft.limits, [name]: { ...draft.limits[name], [part]: value } } });
  const move = (index: number, step: -1 | 1) => {
    const moved = draft.categories[index];
    setDraft({ ...draft, categories: moveCategory(draft.categories, index, step) });
    setStatus(
      t("mairie.settings.moved", { label: moved.label, position: index + step + 1, total: draft.categories.length }),
    );
    // Focus follows the row, on the same button when it is still there.
    requestAnimationFrame(() => {
      const id = `category-${moved.slug}-${step < 0 ? "up" : "down"}`;
      const button = document.getElementById(id) as HTMLButtonElement | null;
      (button && !button.disabled
        ? button
        : document.getElementById(`category-${moved.slug}-${step < 0 ? "down" : "up"}`)
      )?.focus();
    });
  };

  const add = () => {
    const result = addCategory(draft.categories, newLabel);
    if ("error" in result) {
      setNewError(result.error);
      document.getElementById("new-category")?.focus();
      return;
    }
    setNewError(null);
    setNewLabel("");
    setDraft({ ...draft, categories: result.categories });
    const added = result.categories[result.categories.length - 1];
    setStatus(t("mairie.settings.added", { label: added.label }));
    requestAnimationFrame(() => document.getElementById(`category-${added.slug}-label`)?.focus());
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setStatus(null);
    const found = checkSettings(draft);
    setErrors(found);
    if (Object.keys(found).length) {
      setError(t("mairie.settings.fixFields"));
      const first = Object.keys(found)[0];
      document.getElementById(first === "categories" ? "categories-title" : first)?.focus();
      return;
    }
    setError(null);
    setBusy(true);
    try {
      setDraft(draftOf(await saveSettings(draft)));
      setStatus(t("mairie.settings.saved"));
    } catch (err) {
      const message = describeError(err);
      const control = controlOf((err as { field?: string | null }).field, draft);
      if (control) setErrors({ [control]: message });
      setError(message);
    } finally {
      setBusy(false);
    }
  };

  const count = draft.categories.length;
  return (
    <form class="stack" onSubmit={submit} noValidate>
      <section class="card stack" aria-labelledby="categories-title">
        <h2 id="categories-title" tabIndex={-1}>
          {t("mairie.settings.categoriesTitle")}
        </h2>
        <p class="hint">{t("mairie.settings.categoriesHelp")}</p>
        {errors.categories ? <p class="field-error">{errors.categories}</p> : null}
        <div class="table-scroll" role="region" aria-labelledby="categories-caption" tabIndex={0}>
          <table class="data-table settings-table">
            <caption id="categories-caption">{t("mairie.settings.categoriesCaption")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("mairie.settings.colOrder")}</th>
                <th scope="col">{t("mairie.settings.colLabel")}</th>
                <th scope="col">{t("mairie.settings.colSeverity")}</th>
                <th scope="col">{t("mairie.settings.colCall17")}</th>
                <th scope="col">{t("mairie.settings.colEnabled")}</th>
                <th scope="col">{t("mairie.settings.colTarget")}</th>
              </tr>
            </thead>
            <tbody>
              {draft.categories.map((c, index) => {
                const labelId = `category-${c.slug}-label`;
                const name = c.label || c.slug;
                return (
                  <tr key={c.slug}>
                    <td class="nowrap">
                      <span class="order-number">{index + 1}</span>
                      <button
                        type="button"
                        id={`category-${c.slug}-up`}
                        class="button button-secondary button-icon"
                        disabled={index === 0}
                        aria-label={t("mairie.settings.moveUp", { label: name })}
                        onClick={() => move(index, -1)}
                      >
                        <span aria-hidden="true">↑</span>
                      </button>
                      <button
                        type="button"
                        id={`category-${c.slug}-down`}
                        class="button button-secondary button-icon"
                        disabled={index === count - 1}
                        aria-label={t("mairie.settings.moveDown", { label: name })}
                        onClick={() => move(index, 1)}
                      >
                        <span aria-hidden="true">↓</span>
                      </button>
                    </td>
                    <td>
                      <label class="visually-hidden" for={labelId}>
                        {t("mairie.settings.labelFor", { slug: c.slug })}
                      </label>
                      <input
                        id={labelId}
                        type="text"
                        value={c.label}
                        maxLength={MAX_LABEL}
                        aria-invalid={errors[labelId] ? "true" : undefined}
                        aria-describedby={errors[labelId] ? `${labelId}-error` : undefined}
                        onInput={(e) => setCategory(index, { label: (e.target as HTMLInputElement).value })}
                      />
                      {errors[labelId] ? (
                        <p class="field-error" id={`${labelId}-error`}>
                          {errors[labelId]}
                        </p>
                      ) : null}
                    </td>
                    <td>
                      <label class="visually-hidden" for={`category-${c.slug}-severity`}>
                        {t("mairie.settings.severityFor", { label: name })}
                      </label>
                      <select
                        id={`category-${c.slug}-severity`}
                        value={c.severity}
                        onChange={(e) =>
                          setCategory(index, {
                            severity: (e.target as HTMLSelectElement).value as Severity,
                          })
                        }
                      >
                        {SEVERITIES.map((s) => (
                          <option key={s} value={s}>
                            {severityLabel(s)}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>
                      <input
                        id={`category-${c.slug}-call17`}
                        type="checkbox"
                        checked={c.call17}
                        aria-label={t("mairie.settings.call17For", { label: name })}
                        onChange={(e) =>
                          setCategory(index, { call17: (e.target as HTMLInputElement).checked })
                        }
                      />
                    </td>
                    <td>
                      <input
                        id={`category-${c.slug}-enabled`}
                        type="checkbox"
                        checked={c.enabled}
                        aria-label={t("mairie.settings.enabledFor", { label: name })}
                        onChange={(e) =>
                          setCategory(index, { enabled: (e.target as HTMLInputElement).checked })
                        }
                      />
                    </td>
                    <td>
                      <input
                        id={`category-${c.slug}-target`}
                        type="text"
                        inputMode="numeric"
                        size={4}
                        value={c.targetMinutes}
                        aria-label={t("mairie.settings.targetFor", { label: name })}
                        aria-invalid={errors[`category-${c.slug}-target`] ? "true" : undefined}
                        aria-describedby={errors[`category-${c.slug}-target`] ? `category-${c.slug}-target-error` : undefined}
                        onInput={(e) => setCategory(index, { targetMinutes: (e.target as HTMLInputElement).value })}
                      />
                      {errors[`category-${c.slug}-target`] ? (
                        <p class="field-error" id={`category-${c.slug}-target-error`}>
                          {errors[`category-${c.slug}-target`]}
                        </p>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <div class="add-category">
          <Field
            id="new-category"
            label={t("mairie.settings.newCategory")}
            hint={t("mairie.settings.newCategoryHint")}
            error={newError}
          >
            {({ id, describedBy, invalid }) => (
              <input
                id={id}
                type="text"
                maxLength={MAX_LABEL}
                value={newLabel}
                aria-describedby={describedBy}
                aria-invalid={invalid ? "true" : undefined}
                onInput={(e) => setNewLabel((e.target as HTMLInputElement).value)}
                onKeyDown={(e) => {
                  if (e.key === "Enter") {
                    e.preventDefault();
                    add();
                  }
                }}
              />
            )}
          </Field>
          <button type="button" class="button button-secondary" onClick={add}>
            {t("mairie.settings.addCategory")}
          </button>
        </div>
      </section>

      <section class="card stack" aria-labelledby="neighbours-title">
        <h2 id="neighbours-title">{t("mairie.settings.neighboursTitle")}</h2>
        <fieldset class="choice-list" id="neighbour-validation">
          <legend>{t("mairie.settings.policyLegend")}</legend>
          <label class="checkbox">
            <input
              type="radio"
              name="neighbour-policy"
              value="validation"
              checked={draft.neighbourValidation}
              onChange={() => setDraft({ ...draft, neighbourValidation: true })}
            />
            <span>{t("mairie.settings.policyValidation")}</span>
          </label>
          <label class="checkbox">
            <input
              type="radio"
              name="neighbour-policy"
              value="immediate"
              checked={!draft.neighbourValidation}
              onChange={() => setDraft({ ...draft, neighbourValidation: false })}
            />
            <span>{t("mairie.settings.policyImmediate")}</span>
          </label>
        </fieldset>
        <Field
          id="neighbour-expiry"
          label={t("mairie.settings.expiry")}
          hint={t("mairie.settings.expiryHint")}
          error={errors["neighbour-expiry"]}
        >
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              type="text"
              inputMode="numeric"
              value={draft.neighbourExpiry}
              aria-describedby={describedBy}
              aria-invalid={invalid ? "true" : undefined}
              onInput={(e) => setDraft({ ...draft, neighbourExpiry: (e.target as HTMLInputElement).value })}
            />
          )}
        </Field>
      </section>

      <section class="card stack" aria-labelledby="escalation-title">
        <h2 id="escalation-title">{t("mairie.settings.escalationTitle")}</h2>
        <p class="hint">{t("mairie.settings.escalationHelp")}</p>
        <div class="grid">
          {(["first", "second"] as const).map((which) => {
            const key = which === "first" ? "escalationFirst" : "escalationSecond";
            return (
              <Field
                key={which}
                id={`escalation-${which}`}
                label={t(which === "first" ? "mairie.settings.escalationFirst" : "mairie.settings.escalationSecond")}
                error={errors[`escalation-${which}`]}
              >
                {({ id, describedBy, invalid }) => (
                  <input
                    id={id}
                    type="text"
                    inputMode="numeric"
                    value={draft[key]}
                    aria-describedby={describedBy}
                    aria-invalid={invalid ? "true" : undefined}
                    onInput={(e) => setDraft({ ...draft, [key]: (e.target as HTMLInputElement).value })}
                  />
                )}
              </Field>
            );
          })}
        </div>
        <Field
          id="cluster-window"
          label={t("mairie.settings.clusterWindow")}
          hint={t("mairie.settings.clusterWindowHint")}
          error={errors["cluster-window"]}
        >
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              type="text"
              inputMode="numeric"
              value={draft.clusterWindow}
              aria-describedby={describedBy}
              aria-invalid={invalid ? "true" : undefined}
              onInput={(e) => setDraft({ ...draft, clusterWindow: (e.target as HTMLInputElement).value })}
            />
          )}
        </Field>
        <Supervisors
          chosen={draft.supervisors}
          error={errors["supervisors"]}
          onChange={(supervisors) => setDraft({ ...draft, supervisors })}
        />
      </section>

      <section class="card stack" aria-labelledby="limits-title">
        <h2 id="limits-title">{t("mairie.settings.limitsTitle")}</h2>
        <p class="hint">{t("mairie.settings.limitsHelp")}</p>
        {LIMIT_NAMES.map((name) => (
          <fieldset key={name} class="limit">
            <legend>{limitLabel(name)}</legend>
            <div class="grid">
              <Field
                id={`limit-${name}-count`}
                label={t("mairie.settings.limitCount")}
                error={errors[`limit-${name}-count`]}
              >
                {({ id, describedBy, invalid }) => (
                  <input
                    id={id}
                    type="text"
                    inputMode="numeric"
                    value={draft.limits[name].count}
                    aria-describedby={describedBy}
                    aria-invalid={invalid ? "true" : undefined}
                    onInput={(e) => setLimit(name, "count", (e.target as HTMLInputElement).value)}
                  />
                )}
              </Field>
              <Field
                id={`limit-${name}-minutes`}
                label={t("mairie.settings.limitMinutes")}
                error={errors[`limit-${name}-minutes`]}
              >
                {({ id, describedBy, invalid }) => (
                  <input
                    id={id}
                    type="text"
                    inputMode="numeric"
                    value={draft.limits[name].minutes}
                    aria-describedby={describedBy}
                    aria-invalid={invalid ? "true" : undefined}
                    onInput={(e) => setLimit(name, "minutes", (e.target as HTMLInputElement).value)}
                  />
                )}
              </Field>
            </div>
          </fieldset>
        ))}
      </section>

      <ErrorMessage message={error} />
      <LiveStatus message={status} busy={busy} />
      <button type="submit" class="button button-primary button-block" disabled={busy}>
        {t("mairie.settings.save")}
      </button>
    </form>
  );
}

/**
 * /coordination/permanence (coordinateur; opérateurs read it): when the police municipale
 * is on duty (a weekly grid of ranges, Paris time, and dated exceptions), and the partner
 * service a report is also sealed to when the police is not reachable. The data and the
 * saving live in duty/model.ts; this draws them.
 */

import { useEffect, useMemo } from "preact/hooks";
import { ErrorMessage, LiveStatus, Loading, usePageTitle } from "../../components/ui";
import { WEEKDAYS, type Weekday } from "../../duty/api";
import { createDutyModel, type DutyModel } from "../../duty/model";
import { t, type MessageKey } from "../../i18n";
import { can, PERMISSION } from "../../permissions";
import { Link } from "../../router";
import { useSession } from "../../session";
import { useStore } from "../../store";
import { MairieNav } from "./frame";

const DAY_KEYS: Record<Weekday, MessageKey> = {
  mon: "duty.day.mon",
  tue: "duty.day.tue",
  wed: "duty.day.wed",
  thu: "duty.day.thu",
  fri: "duty.day.fri",
  sat: "duty.day.sat",
  sun: "duty.day.sun",
};

export function DutyPage() {
  usePageTitle(t("duty.title"));
  const { session } = useSession();
  if (!session) return <Loading />;
  const viewer = can(session, PERMISSION.viewDuty);
  if (!viewer) {
    return (
      <section aria-labelledby="duty-title" class="stack">
        <h1 id="duty-title">{t("duty.title")}</h1>
        <p class="callout callout-warning">{t("duty.forbidden")}</p>
        <p>
          <Link href="/" class="button button-primary">
            {t("enrol.goHome")}
          </Link>
        </p>
      </section>
    );
  }
  return <DutySettings editable={can(session, PERMISSION.manageDuty)} />;
}

function DutySettings({ editable }: { editable: boolean }) {
  const model = useMemo(() => createDutyModel(), []);
  const state = useStore(model.state);
  useEffect(() => {
    void model.load();
  }, [model]);

  return (
    <section aria-labelledby="duty-title" class="stack">
      <h1 id="duty-title">{t("duty.title")}</h1>
      {editable ? <MairieNav /> : null}
      <p class="lead">{t("duty.lead")}</p>
      <LiveStatus message={state.status} busy={state.busy} />
      <ErrorMessage message={state.loadError} />
      {!state.loaded ? (
        <Loading />
      ) : (
        <>
          <p class={state.onDuty ? "callout callout-info" : "callout callout-warning"}>
            {t(state.onDuty ? "duty.nowOn" : "duty.nowOff")}
            {state.isDefault ? ` ${t("duty.defaultNote")}` : ""}
          </p>
          <ScheduleForm model={model} editable={editable} />
          <FallbackForm model={model} editable={editable} />
        </>
      )}
    </section>
  );
}

function invalid(field: string | null, prefix: string): boolean {
  return !!field && (field === prefix || field.startsWith(`${prefix}.`) || field.startsWith(`${prefix}[`));
}

function ScheduleForm({ model, editable }: { model: DutyModel; editable: boolean }) {
  const state = useStore(model.state);
  const errorId = "duty-schedule-error";
  const describedBy = (prefix: string) =>
    invalid(state.errorField, prefix) ? errorId : undefined;
  return (
    <form
      class="card stack"
      aria-labelledby="duty-week-title"
      onSubmit={(event) => {
        event.preventDefault();
        void model.saveSchedule();
      }}
    >
      <h2 id="duty-week-title">{t("duty.weekTitle")}</h2>
      <p class="hint">{t("duty.weekHint")}</p>
      {WEEKDAYS.map((day) => {
        const dayName = t(DAY_KEYS[day]);
        const ranges = state.weekly[day];
        return (
          <fieldset class="stack duty-day" key={day}>
            <legend>{dayName}</legend>
            {ranges.length === 0 ? <p class="hint">{t("duty.closedDay")}</p> : null}
            {ranges.map((range, index) => {
              const prefix = `weekly.${day}[${index}]`;
              const name = t("duty.rangeName", { day: dayName, n: String(index + 1) });
              return (
                <div class="duty-range" role="group" aria-label={name} key={`${day}-${index}`}>
                  <label>
                    {t("duty.start")}{" "}
                    <input
                      type="time"
                      value={range.start}
                      disabled={!editable}
                      aria-invalid={invalid(state.errorField, `${prefix}.start`) || state.errorField === prefix ? "true" : undefined}
                      aria-describedby={describedBy(prefix)}
                      onInput={(e) => model.setRange(day, index, "start", e.currentTarget.value)}
                    />
                  </label>{" "}
                  <label>
                    {t("duty.end")}{" "}
                    <input
                      type="time"
                      value={range.end}
                      disabled={!editable}
                      aria-invalid={invalid(state.errorField, `${prefix}.end`) ? "true" : undefined}
                      aria-describedby={describedBy(prefix)}
                      onInput={(e) => model.setRange(day, index, "end", e.currentTarget.value)}
                    />
                  </label>{" "}
                  {editable ? (
                    <button
                      type="button"
                      class="button button-secondary"
                      aria-label={t("duty.removeRangeOf", { name })}
                      onClick={() => model.removeRange(day, index)}
                    >
                      {t("duty.removeRange")}
                    </button>
                  ) : null}
                </div>
              );
            })}
            {editable ? (
              <p>
                <button
                  type="button"
                  class="button button-secondary"
                  aria-label={t("duty.addRangeTo", { day: dayName })}
                  onClick={() => model.addRange(day)}
                >
                  {t("duty.addRange")}
                </button>
              </p>
            ) : null}
          </fieldset>
        );
      })}

      <h2 id="duty-exceptions-title">{t("duty.exceptionsTitle")}</h2>
      <p class="hint">{t("duty.exceptionsHint")}</p>
      {state.exceptions.length === 0 ? <p>{t("duty.noExceptions")}</p> : null}
      {state.exceptions.map((item, index) => {
        const prefix = `exceptions[${index}]`;
        const name = t("duty.exceptionName", { n: String(index + 1) });
        return (
          <fieldset class="stack duty-exception" key={`exception-${index}`}>
            <legend>{name}</legend>
            <label>
              {t("duty.date")}{" "}
              <input
                type="date"
                value={item.date}
                required
                disabled={!editable}
                aria-invalid={invalid(state.errorField, `${prefix}.date`) ? "true" : undefined}
                aria-describedby={describedBy(`${prefix}.date`)}
                onInput={(e) => model.setException(index, { date: e.currentTarget.value })}
              />
            </label>
            <div class="checkbox">
              <input
                id={`duty-exception-${index}-closed`}
                type="checkbox"
                checked={item.closed}
                disabled={!editable}
                onChange={(e) => model.setException(index, { closed: e.currentTarget.checked })}
              />
              <label for={`duty-exception-${index}-closed`}>{t("duty.closed")}</label>
            </div>
            {item.ranges.map((range, r) => (
              <div
                class="duty-range"
                role="group"
                aria-label={t("duty.exceptionRange", { name, n: String(r + 1) })}
                key={`exception-${index}-${r}`}
              >
                <label>
                  {t("duty.start")}{" "}
                  <input
                    type="time"
                    value={range.start}
                    disabled={!editable}
                    onInput={(e) => {
                      const ranges = item.ranges.map((x, i) =>
                        i === r ? { ...x, start: e.currentTarget.value } : x,
                      );
                      model.setException(index, { ranges });
                    }}
                  />
                </label>{" "}
                <label>
                  {t("duty.end")}{" "}
                  <input
                    type="time"
                    value={range.end}
                    disabled={!editable}
                    onInput={(e) => {
                      const ranges = item.ranges.map((x, i) =>
                        i === r ? { ...x, end: e.currentTarget.value } : x,
                      );
                      model.setException(index, { ranges });
                    }}
                  />
                </label>
              </div>
            ))}
            <label>
              {t("duty.label")}{" "}
              <input
                type="text"
                maxLength={80}
                value={item.label}
                disabled={!editable}
                onInput={(e) => model.setException(index, { label: e.currentTarget.value })}
              />
            </label>
            {editable ? (
              <p>
                <button
                  type="button"
                  class="button button-secondary"
                  aria-label={t("duty.removeExceptionOf", { name })}
                  onClick={() => model.removeException(index)}
                >
                  {t("duty.removeException")}
                </button>
              </p>
            ) : null}
          </fieldset>
        );
      })}
      {editable ? (
        <>
          <p>
            <button type="button" class="button button-secondary" onClick={() => model.addException()}>
              {t("duty.addException")}
            </button>
          </p>
          <ErrorMessage message={state.scheduleError} id={errorId} />
          <p>
            <button type="submit" class="button button-primary" disabled={state.busy}>
              {t("duty.saveSchedule")}
            </button>
          </p>
        </>
      ) : null}
    </form>
  );
}

function FallbackForm({ model, editable }: { model: DutyModel; editable: boolean }) {
  const state = useStore(model.state);
  return (
    <form
      class="card stack"
      aria-labelledby="duty-fallback-title"
      onSubmit={(event) => {
        event.preventDefault();
        void model.saveFallback();
      }}
    >
      <h2 id="duty-fallback-title">{t("duty.fallbackTitle")}</h2>
      <p class="hint">{t("duty.fallbackHint")}</p>
      {state.candidates.length === 0 ? (
        <p class="callout callout-info">{t("duty.noPartner")}</p>
      ) : (
        <fieldset class="stack">
          <legend>{t("duty.fallbackLegend")}</legend>
          {state.candidates.map((partner) => (
            <div class="checkbox" key={partner.membership}>
              <input
                id={`duty-fallback-${partner.membership}`}
                type="checkbox"
                checked={state.chosen.includes(partner.membership)}
                disabled={!editable}
                onChange={(e) => model.toggleFallback(partner.membership, e.currentTarget.checked)}
              />
              <label for={`duty-fallback-${partner.membership}`}>
                {partner.name}
                {partner.status === "pending" ? ` (${t("duty.partnerPending")})` : ""}
              </label>
            </div>
          ))}
        </fieldset>
      )}
      <ErrorMessage message={state.fallbackError} />
      {editable && state.candidates.length > 0 ? (
        <p>
          <button type="submit" class="button button-primary" disabled={state.busy}>
            {t("duty.saveFallback")}
          </button>
        </p>
      ) : null}
    </form>
  );
}

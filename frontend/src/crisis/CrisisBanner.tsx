/**
 * « Mode crise » on screen: the merchant home's banner at the very top (the police's
 * instructions, decrypted on this device, live), and the console's switch (instructions
 * to write, start, change, end). The flows live in model.ts.
 */

import { useEffect, useMemo, useState } from "preact/hooks";
import { ErrorMessage, Field, LiveStatus } from "../components/ui";
import { t } from "../i18n";
import { formatCount, MAX_TEXT_CHARS } from "../incidents/send";
import { useStreamEvent, useStreamResync } from "../live/browser";
import { formatTime } from "../neighbours/ActiveAlerts";
import { can, PERMISSION } from "../permissions";
import { useStore } from "../store";
import type { Session } from "../types";
import { createCrisis, CRISIS_KINDS, type CrisisModel, type CrisisState, type OpenedText } from "./model";

function useCrisis(commune: string, after?: Promise<unknown>): [CrisisModel, CrisisState] {
  const model = useMemo(() => createCrisis(commune, { after }), [commune, after]);
  const state = useStore(model.state);
  useEffect(() => {
    void model.start();
    return () => model.stop();
  }, [model]);
  useStreamEvent(CRISIS_KINDS, (event) => void model.live(event));
  useStreamResync(() => void model.resync());
  return [model, state];
}

function SealedText({ opened }: { opened: OpenedText | null }) {
  if (!opened) return null;
  if (opened.text !== null) return <p class="message-text crisis-instructions">{opened.text}</p>;
  return (
    <p class="error">
      <strong>{t("crisis.unreadable")}</strong> {opened.error}
    </p>
  );
}

/** The merchant home's banner: nothing while the mode is off. */
export function CrisisBanner({ session }: { session: Session }) {
  const commune = session.membership?.commune?.id ?? "";
  if (!commune || !can(session, PERMISSION.viewCrisis)) return null;
  return <CrisisBannerOf commune={commune} />;
}

function CrisisBannerOf({ commune }: { commune: string }) {
  const [, state] = useCrisis(commune);
  const { crisis, instructions, alert, error } = state;
  const on = crisis?.active === true;
  return (
    <div class="crisis-home" data-crisis={crisis === null ? "loading" : on ? "on" : "off"}>
      <div class="visually-hidden" role="status" aria-live="assertive">
        {alert ? <p>{alert}</p> : null}
      </div>
      <ErrorMessage message={error} />
      {on ? (
        <section class="callout callout-urgent stack crisis-banner" aria-labelledby="crisis-title">
          <h2 id="crisis-title">{t("crisis.bannerTitle")}</h2>
          <p class="hint">
            {crisis.startedAt ? (
              <time dateTime={crisis.startedAt}>
                {t("crisis.since", { time: formatTime(crisis.startedAt) })}
              </time>
            ) : null}{" "}
            {t("crisis.bannerLead")}
          </p>
          <SealedText opened={instructions} />
        </section>
      ) : null}
    </div>
  );
}

/** The console's panel: whether it is on, and the switch. */
export function CrisisPanel({ commune, after }: { commune: string; after?: Promise<unknown> }) {
  const [model, state] = useCrisis(commune, after);
  const { crisis, instructions, action, error } = state;
  const [text, setText] = useState("");
  const [closing, setClosing] = useState("");
  const on = crisis?.active === true;
  const submit = async (event: Event) => {
    event.preventDefault();
    if (await model.switchOn(text)) setText("");
  };
  const end = async () => {
    if (await model.switchOff(closing)) setClosing("");
  };
  return (
    <section
      class={`card stack crisis-panel${on ? " callout-urgent" : ""}`}
      aria-labelledby="crisis-panel-title"
      data-crisis={crisis === null ? "loading" : on ? "on" : "off"}
    >
      <h2 id="crisis-panel-title">{t("crisis.panelTitle")}</h2>
      <ErrorMessage message={error} />
      {on ? (
        <>
          <p>
            <strong>{t("crisis.panelOn")}</strong>{" "}
            {crisis.startedAt ? (
              <time dateTime={crisis.startedAt}>
                {t("crisis.since", { time: formatTime(crisis.startedAt) })}
              </time>
            ) : null}
          </p>
          <SealedText opened={instructions} />
        </>
      ) : (
        <p class="hint">{t("crisis.panelLead")}</p>
      )}
      <form class="stack" onSubmit={submit} noValidate>
        <Field
          label={on ? t("crisis.newInstructionsLabel") : t("crisis.instructionsLabel")}
          hint={t("crisis.instructionsHint", { max: formatCount(MAX_TEXT_CHARS) })}
          error={action.error}
        >
          {({ id, describedBy, invalid }) => (
            <textarea
              id={id}
              name="crisis-instructions"
              rows={3}
              value={text}
              disabled={action.busy}
              maxLength={MAX_TEXT_CHARS}
              aria-invalid={invalid ? "true" : undefined}
              aria-describedby={describedBy}
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
            />
          )}
        </Field>
        <p>
          <button type="submit" class="button button-danger" disabled={action.busy}>
            {on ? t("crisis.change") : t("crisis.start")}
          </button>
        </p>
      </form>
      {on ? (
        <div class="stack">
          <Field label={t("crisis.closingLabel")} hint={t("crisis.closingHint")}>
            {({ id, describedBy }) => (
              <textarea
                id={id}
                name="crisis-closing"
                rows={2}
                value={closing}
                disabled={action.busy}
                maxLength={MAX_TEXT_CHARS}
                aria-describedby={describedBy}
                onInput={(e) => setClosing((e.target as HTMLTextAreaElement).value)}
              />
            )}
          </Field>
          <p>
            <button
              type="button"
              class="button button-secondary"
              disabled={action.busy}
              onClick={() => void end()}
            >
              {t("crisis.end")}
            </button>
          </p>
        </div>
      ) : null}
      <LiveStatus message={action.busy ? t("crisis.working") : action.done} busy={action.busy} />
    </section>
  );
}

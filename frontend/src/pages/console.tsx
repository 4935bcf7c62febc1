/**
 * « Console police »: an operator device's view of the commune's reports. Opening the
 * page first runs the service key lifecycle (the first operator creates generation 1,
 * others fetch their grant, holders pass it on), then lists incidents; opening one
 * decrypts its messages here, photos shown from object URLs of the decrypted bytes.
 * The flows live in police/console.ts; this file only draws them. Live: the stream's new
 * reports and messages ring (WebAudio, mutable), are marked unread until opened, count in
 * the tab title, and the open report shows new messages at once; a reply box seals a
 * message on this device for the reporter and the police.
 */

import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ErrorMessage, Field, LiveStatus, Loading, usePageTitle } from "../components/ui";
import type { IncidentSummary } from "../incidents/api";
import { fromPolice, type MessageView } from "../incidents/read";
import { formatDateTime, getLang, hasMessage, roleLabel, t, type MessageKey } from "../i18n";
import { ExerciseControl, ExerciseTag } from "../incidents/Exercise";
import { getSession } from "../session";
import { ClusterPanel } from "../police/ClusterPanel";
import { handoverSummary } from "../police/handover";
import { isOverdue, useTargetClock } from "../police/overdue";
import { useStreamEvent, useStreamResync } from "../live/browser";
import { LiveBanner } from "../live/LiveBanner";
import { mutedStore, playSignal, setMuted, signalCountStore, unlockAudio } from "../live/signal";
import {
  mayAdvanceIncidents,
  mayBroadcast,
  mayDispatch,
  mayPostNote,
  mayManageCrisis,
  mayTakeIncidents,
  mayUseConsole,
  mayReceivePush,
  mayViewChannels,
} from "../permissions";
import { ChannelsConsoleLine } from "../push/ChannelsPanel";
import { PushConsent } from "../push/PushConsent";
import { CrisisPanel } from "../crisis/CrisisBanner";
import { BroadcastPanel } from "./broadcasts";
import { NeighbourAlertsPanel } from "./neighbourAlerts";
import {
  createConsole,
  type ConsoleModel,
  type ConsoleState,
  type LimitHit,
} from "../police/console";
import { orderQueue, queueTitle } from "../police/queue";
import { agentRows, DISPATCH_KEY, dispatchStatusLabel } from "../police/dispatch";
import {
  actionOfKey,
  actionsOf,
  LIFECYCLE_KINDS,
  OUTCOMES,
  outcomeLabel,
  REPORTED,
  SHORTCUTS,
  stateLabel,
  timeline,
  verdictLabel,
  type Lifecycle,
  type Outcome,
  type ShortcutAction,
} from "../incidents/lifecycle";
import { ConsoleMap } from "./consoleMap";
import { categoryLabel, severityLabel } from "../alert/catalogue";
import { ArrivedUnreachable } from "../duty/Unreachable";
import { describeFields } from "../alert/descriptors";
import type { ServiceKeyOutcome } from "../police/serviceKeyFlow";
import { buildPath, navigate } from "../router";
import { useSession } from "../session";
import { useStore } from "../store";

function keySentences(outcome: ServiceKeyOutcome): string[] {
  if (outcome.state === "waiting") return [t("console.keyWaiting", { number: outcome.number })];
  const lines = [
    outcome.state === "created"
      ? t("console.keyCreated", { number: outcome.number })
      : t("console.keyHeld", { number: outcome.number }),
  ];
  if (outcome.granted > 0) lines.push(t("console.keyGranted", { count: outcome.granted }));
  if (outcome.refused.length > 0)
    lines.push(t("console.keyRefused", { count: outcome.refused.length }));
  if (outcome.history.length > 0)
    lines.push(t("console.keyHistory", { numbers: outcome.history.join(", ") }));
  if (outcome.historyRefused.length > 0) {
    const numbers = outcome.historyRefused.map((refused) => refused.number).join(", ");
    lines.push(t("console.keyHistoryRefused", { numbers }));
  }
  return lines;
}

function formatSeconds(seconds: number): string {
  return formatDateTime(new Date(seconds * 1000).toISOString());
}

/** One decrypted message; its photos live as object URLs while it is on screen. */
export function Message({
  view,
  from,
  police = false,
}: {
  view: MessageView;
  /** Who wrote it, in words (the shop's home: « Police municipale » / « Votre commerce »). */
  from?: string;
  police?: boolean;
}) {
  const [urls, setUrls] = useState<string[]>([]);
  useEffect(() => {
    const made = (view.opened?.photos ?? []).map((photo) =>
      URL.createObjectURL(new Blob([new Uint8Array(photo.data)], { type: photo.media })),
    );
    setUrls(made);
    return () => made.forEach((url) => URL.revokeObjectURL(url));
  }, [view]);

  return (
    <li class={police ? "card stack message-police" : "card stack"}>
      {from ? <p class="eyebrow">{from}</p> : null}
      {view.policeOnly ? <p class="badge badge-note">{t("console.noteBadge")}</p> : null}
      <p class="hint">{t("console.sentAt", { date: formatSeconds(view.sentAt) })}</p>
      {view.opened ? (
        <>
          <p class="hint">
            {t("console.sender", { role: roleLabel(view.opened.sender.role).toLowerCase() })}
          </p>
          <Descriptors fields={view.opened.fields} />
          <p class="message-text">{view.opened.text ?? t("console.noText")}</p>
          {urls.length > 0 ? (
            <div class="message-photos">
              {urls.map((url, i) => (
                <img
                  key={url}
                  src={url}
                  alt={t("console.photoAlt", { n: i + 1 })}
                  width={view.opened!.photos[i].width}
                  height={view.opened!.photos[i].height}
                />
              ))}
            </div>
          ) : null}
          {view.opened.via === "service" ? <p class="hint">{t("console.viaService")}</p> : null}
        </>
      ) : (
        <div class="error">
          <p>
            <strong>{t("console.messageError")}</strong> {view.error?.message}
          </p>
        </div>
      )}
    </li>
  );
}

/** The decrypted descriptors (`fields.report`), in words; nothing when there are none. */
function Descriptors({ fields }: { fields: Record<string, unknown> }) {
  const described = describeFields(fields);
  if (!described) return null;
  if (described.invalid) return <p class="hint">{t("alert.descriptorsInvalid")}</p>;
  if (described.lines.length === 0) return null;
  return (
    <dl class="facts descriptors">
      {described.lines.map((line) => (
        <div key={line.key}>
          <dt>{line.title}</dt>
          <dd>{line.values.join(", ")}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Shops that hit a per-device or per-shop limit: the refused reporter was told to call
 * the 17; the operator sees it here rather than never. */
function LimitHits({ hits }: { hits: LimitHit[] }) {
  if (hits.length === 0) return null;
  return (
    <section class="callout callout-warning" aria-labelledby="limit-hits-title">
      <h2 id="limit-hits-title">{t("console.limitTitle")}</h2>
      <ul>
        {hits.map((hit) => (
          <li key={hit.seq}>
            {t("console.limitItem", {
              shop: hit.shop,
              limit: limitLabel(hit.limit),
              time: new Date(hit.at).toLocaleTimeString(getLang() === "fr" ? "fr-FR" : "en-GB", {
                hour: "2-digit",
                minute: "2-digit",
              }),
            })}
          </li>
        ))}
      </ul>
    </section>
  );
}

function limitLabel(name: string): string {
  const key = `console.limit.${name}`;
  return hasMessage(key) ? t(key as MessageKey) : name;
}

/** « En retard sur l'objectif », re-read each 15 s (the target passes without an event). */
function Overdue({ incident }: { incident: IncidentSummary }) {
  const now = useTargetClock();
  if (!isOverdue(incident, now) || !incident.target) return null;
  return (
    <span class="badge badge-escalation" data-overdue="true">
      {t("console.overdue", { minutes: incident.target.minutes })}
    </span>
  );
}

/** Category, severity, the neighbours switch and the photo count: the clear metadata. */
export function IncidentMeta({ incident }: { incident: IncidentSummary }) {
  if (
    !incident.category &&
    !incident.severity &&
    !incident.exercise &&
    !incident.escalationLevel &&
    !incident.target
  )
    return null;
  return (
    <p class="incident-meta">
      {incident.category ? (
        <span class="badge badge-category">{categoryLabel(incident.category)}</span>
      ) : null}{" "}
      {incident.severity ? (
        <span class={`badge badge-severity badge-${incident.severity}`}>
          {t("alert.metaSeverity", { severity: severityLabel(incident.severity) })}
        </span>
      ) : null}{" "}
      {incident.neighbours ? <span class="badge">{t("alert.metaNeighbours")}</span> : null}{" "}
      {incident.photos ? (
        <span class="hint">{t("alert.metaPhotos", { count: incident.photos })}</span>
      ) : null}{" "}
      <ArrivedUnreachable flagged={!!incident.reportedUnreachable} />{" "}
      <ExerciseTag exercise={incident.exercise} />{" "}
      {incident.escalationLevel ? (
        <span class="badge badge-escalation" data-escalation={incident.escalationLevel}>
          {t("escalation.tag", { level: incident.escalationLevel })}
        </span>
      ) : null}{" "}
      {incident.cluster ? <span class="badge">{t("cluster.tag")}</span> : null}{" "}
      <Overdue incident={incident} />
    </p>
  );
}

type Sending = ConsoleState["reply"];

/** A sealed text to send from the open report: a reply to the shop, or a police note. */
function SealedTextForm({
  id,
  name,
  title,
  label,
  hint,
  sendLabel,
  sendingLabel,
  primary,
  rows,
  sending,
  onSend,
  children,
}: {
  id: string;
  name: string;
  title: string;
  label: string;
  hint: string;
  sendLabel: string;
  sendingLabel: string;
  primary: boolean;
  rows: number;
  sending: Sending;
  onSend: (text: string) => Promise<boolean>;
  children?: ComponentChildren;
}) {
  const [text, setText] = useState("");
  const submit = async (event: Event) => {
    event.preventDefault();
    if (await onSend(text)) setText("");
  };
  return (
    <form class="card stack" onSubmit={submit} noValidate aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      {children}
      <Field label={label} hint={hint} error={sending.error}>
        {({ id: field, describedBy, invalid }) => (
          <textarea
            id={field}
            name={name}
            rows={rows}
            value={text}
            disabled={sending.sending}
            aria-invalid={invalid ? "true" : undefined}
            aria-describedby={describedBy}
            onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
          />
        )}
      </Field>
      <p>
        <button
          type="submit"
          class={primary ? "button button-primary" : "button button-secondary"}
          disabled={sending.sending}
        >
          {sending.sending ? sendingLabel : sendLabel}
        </button>
      </p>
      <LiveStatus message={sending.sent} busy={sending.sending} />
    </form>
  );
}

/** A police note: sealed to the police devices only, the shop never receives it. */
export function NoteBox({
  incident,
  note,
  onSend,
}: {
  incident: string;
  note: ConsoleState["note"];
  onSend: (text: string) => Promise<boolean>;
}) {
  return (
    <SealedTextForm
      id={`note-${incident}`}
      name="note"
      title={t("console.noteTitle")}
      label={t("console.noteLabel")}
      hint={t("console.noteHint")}
      sendLabel={t("console.noteSend")}
      sendingLabel={t("console.noteSending")}
      primary={false}
      rows={2}
      sending={note}
      onSend={onSend}
    />
  );
}

/** The structured replies a dispatcher sends most, in one tap (issue 10, item 2). */
const QUICK_REPLIES = ["console.quickOnTheWay", "console.quickShelter", "console.quickDetails"] as const;

function ReplyBox({
  incident,
  reply,
  onSend,
}: {
  incident: string;
  reply: ConsoleState["reply"];
  onSend: (text: string) => Promise<boolean>;
}) {
  return (
    <SealedTextForm
      id={`reply-${incident}`}
      name="reply"
      title={t("console.replyTitle")}
      label={t("console.replyLabel")}
      hint={t("console.replyHint")}
      sendLabel={t("console.replySend")}
      sendingLabel={t("console.replySending")}
      primary
      rows={3}
      sending={reply}
      onSend={onSend}
    >
      <div class="quick-replies" role="group" aria-label={t("console.quickReplies")}>
        {QUICK_REPLIES.map((key) => (
          <button
            key={key}
            type="button"
            class="button button-secondary"
            disabled={reply.sending}
            // Sealed and sent as any reply: the words are the operator's, one tap.
            onClick={() => void onSend(t(key))}
          >
            {t(key)}
          </button>
        ))}
      </div>
    </SealedTextForm>
  );
}

/** The state in words, as a badge (queue rows and the open report). */
export function StateBadge({ lifecycle }: { lifecycle: Lifecycle }) {
  return (
    <span class={`badge badge-state badge-state-${lifecycle.state}`} data-state={lifecycle.state}>
      {t("lifecycle.stateBadge", { state: stateLabel(lifecycle.state) })}
    </span>
  );
}

function actionLabel(action: ShortcutAction): string {
  if ((OUTCOMES as readonly string[]).includes(action))
    return t("lifecycle.action.close", { outcome: outcomeLabel(action as Outcome) });
  return t(`lifecycle.action.${action}` as MessageKey);
}

function ActionButton({
  action,
  disabled,
  onAct,
}: {
  action: ShortcutAction;
  disabled: boolean;
  onAct: (action: ShortcutAction) => void;
}) {
  const key = SHORTCUTS[action];
  return (
    <button
      type="button"
      class={action === "take" ? "button button-primary" : "button button-secondary"}
      data-action={action}
      aria-keyshortcuts={key.toUpperCase()}
      disabled={disabled}
      onClick={() => onAct(action)}
    >
      {actionLabel(action)}{" "}
      <kbd aria-hidden="true">{t("lifecycle.key", { key: key.toUpperCase() })}</kbd>
    </button>
  );
}

interface StepRights {
  take: boolean;
  advance: boolean;
  /** « Envoyer un agent » (incidents.dispatch). */
  dispatch: boolean;
  /** A police note (incidents.post_note). */
  note: boolean;
}

/** One button per legal next step (the server's `next_steps`), each with its key. */
function LifecyclePanel({
  incident,
  step,
  rights,
  onAdvance,
}: {
  incident: IncidentSummary;
  step: ConsoleState["step"];
  rights: StepRights;
  onAdvance: (action: ShortcutAction) => void;
}) {
  const lifecycle = incident.lifecycle ?? REPORTED;
  // What the policy lets this member do, among what the lifecycle allows here.
  const actions = actionsOf(lifecycle).filter((a) => (a === "take" ? rights.take : rights.advance));
  const outcomes = actions.filter((a) => lifecycle.closeOutcomes.includes(a as Outcome));
  const forward = actions.filter((a) => !outcomes.includes(a));
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
      const target = event.target as HTMLElement | null;
      if (target?.closest("input, textarea, select, [contenteditable]")) return;
      const action = actionOfKey(lifecycle, event.key);
      if (!action || !actions.includes(action)) return;
      event.preventDefault();
      onAdvance(action);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [lifecycle, onAdvance, actions]);
  const steps = timeline(incident.createdAt, lifecycle);
  return (
    <section class="card stack lifecycle" aria-labelledby="lifecycle-title">
      <h3 id="lifecycle-title">{t("lifecycle.actionsTitle")}</h3>
      <p>
        <StateBadge lifecycle={lifecycle} />
        {lifecycle.takenBy?.name ? (
          <> {t("lifecycle.takenBy", { name: lifecycle.takenBy.name })}</>
        ) : null}
      </p>
      {lifecycle.verdict ? (
        <p>{t("lifecycle.verdictIs", { verdict: verdictLabel(lifecycle.verdict) })}</p>
      ) : null}
      {lifecycle.outcome ? (
        <p>{t("lifecycle.outcomeIs", { outcome: outcomeLabel(lifecycle.outcome) })}</p>
      ) : null}
      {steps.length > 0 ? (
        <ol class="lifecycle-timeline">
          {steps.map((item) => (
            <li key={item.state}>
              {t("lifecycle.reporterLine", { step: stateLabel(item.state), elapsed: item.elapsed })}
            </li>
          ))}
        </ol>
      ) : null}
      {lifecycle.state === "closed" ? <p class="hint">{t("lifecycle.done")}</p> : null}
      {forward.length > 0 ? (
        <div class="lifecycle-actions">
          {forward.map((action) => (
            <ActionButton key={action} action={action} disabled={step.busy} onAct={onAdvance} />
          ))}
        </div>
      ) : null}
      {outcomes.length > 0 ? (
        <fieldset class="lifecycle-actions">
          <legend>{t("lifecycle.closeLegend")}</legend>
          {outcomes.map((action) => (
            <ActionButton key={action} action={action} disabled={step.busy} onAct={onAdvance} />
          ))}
        </fieldset>
      ) : null}
      {actions.length > 0 ? <p class="hint">{t("lifecycle.shortcutsHint")}</p> : null}
      <ErrorMessage message={step.error} />
      <LiveStatus message={step.said} busy={step.busy} />
    </section>
  );
}

/** The agents sent to this report, each with its live status. */
export function DispatchedAgents({ incident }: { incident: IncidentSummary }) {
  const sent = incident.dispatches ?? [];
  if (sent.length === 0) return null;
  return (
    <section class="card stack dispatched" aria-labelledby={`dispatched-${incident.id}`}>
      <h3 id={`dispatched-${incident.id}`}>{t("dispatch.sentTitle")}</h3>
      <ul class="dispatch-list">
        {sent.map((d) => (
          <li key={d.agent} data-agent={d.agent} data-status={d.status}>
            <strong>{d.name}</strong>{" "}
            <span class={`badge badge-dispatch badge-dispatch-${d.status}`}>
              {dispatchStatusLabel(d)}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Whether agents may be sent now: taken, not closed, not a doubt lifted as unfounded. */
function dispatchable(incident: IncidentSummary): boolean {
  const lifecycle = incident.lifecycle ?? REPORTED;
  return (
    lifecycle.state !== "reported" &&
    lifecycle.state !== "closed" &&
    lifecycle.verdict !== "unfounded"
  );
}

/** « Envoyer un agent » (key A): the agents, checkboxes for a patrol, then « Envoyer ». */
function DispatchPanel({
  incident,
  panel,
  onOpen,
  onCancel,
  onSend,
}: {
  incident: IncidentSummary;
  panel: ConsoleState["dispatch"];
  onOpen: () => void;
  onCancel: () => void;
  onSend: (agents: string[]) => Promise<boolean>;
}) {
  const [chosen, setChosen] = useState<string[]>([]);
  const heading = useRef<HTMLHeadingElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const allowed = dispatchable(incident);
  useEffect(() => {
    if (panel.open) heading.current?.focus();
    else setChosen([]);
  }, [panel.open]);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
      // Échap closes the panel, from its checkboxes too.
      if (event.key === "Escape" && panel.open && !panel.busy) {
        event.preventDefault();
        onCancel();
        requestAnimationFrame(() => opener.current?.focus());
        return;
      }
      const target = event.target as HTMLElement | null;
      if (target?.closest("input, textarea, select, [contenteditable]")) return;
      if (event.key.toLowerCase() !== DISPATCH_KEY || !allowed || panel.open) return;
      event.preventDefault();
      onOpen();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [allowed, panel.open, panel.busy, onOpen, onCancel]);
  const rows = panel.candidates ? agentRows(panel.candidates) : null;
  const toggle = (agent: string, on: boolean) =>
    setChosen((now) => (on ? [...now.filter((a) => a !== agent), agent] : now.filter((a) => a !== agent)));
  const submit = async (event: Event) => {
    event.preventDefault();
    if (await onSend(chosen)) {
      setChosen([]);
      requestAnimationFrame(() => opener.current?.focus());
    }
  };
  const cancel = () => {
    onCancel();
    requestAnimationFrame(() => opener.current?.focus());
  };
  return (
    <div class="stack dispatch">
      {allowed && !panel.open ? (
        <p>
          <button
            type="button"
            ref={opener}
            class="button button-primary"
            data-action="dispatch"
            aria-keyshortcuts={DISPATCH_KEY.toUpperCase()}
            onClick={onOpen}
          >
            {t("dispatch.open")}{" "}
            <kbd aria-hidden="true">{t("lifecycle.key", { key: DISPATCH_KEY.toUpperCase() })}</kbd>
          </button>
        </p>
      ) : null}
      {panel.open && (allowed || panel.busy) ? (
        <form class="card stack dispatch-panel" onSubmit={submit} noValidate aria-labelledby="dispatch-title">
          <h3 id="dispatch-title" ref={heading} tabIndex={-1}>
            {t("dispatch.title")}
          </h3>
          {rows === null && !panel.error ? <Loading /> : null}
          {rows && rows.length === 0 ? <p>{t("dispatch.noAgents")}</p> : null}
          {rows && rows.length > 0 ? (
            <fieldset class="dispatch-agents">
              <legend>{t("dispatch.legend")}</legend>
              <p class="hint">{t("dispatch.hint")}</p>
              {rows.map((row) => {
                const id = `dispatch-agent-${row.agent}`;
                return (
                  <div key={row.agent} class="checkbox">
                    <input
                      type="checkbox"
                      id={id}
                      name="agents"
                      value={row.agent}
                      disabled={row.disabled || panel.busy}
                      checked={chosen.includes(row.agent)}
                      aria-describedby={`${id}-state`}
                      onChange={(e) => toggle(row.agent, (e.target as HTMLInputElement).checked)}
                    />
                    <div>
                      <label for={id}>{row.name}</label>
                      <p id={`${id}-state`} class="hint">
                        {row.availability}
                      </p>
                    </div>
                  </div>
                );
              })}
            </fieldset>
          ) : null}
          <ErrorMessage message={panel.error} />
          <p class="dispatch-actions">
            <button
              type="submit"
              class="button button-primary"
              disabled={panel.busy || chosen.length === 0}
            >
              {panel.busy ? t("dispatch.sending") : t("dispatch.send")}
            </button>{" "}
            <button type="button" class="button button-secondary" disabled={panel.busy} onClick={cancel}>
              {t("dispatch.cancel")}
            </button>
          </p>
        </form>
      ) : null}
      {!panel.open ? <ErrorMessage message={panel.error} /> : null}
      <LiveStatus message={panel.said} busy={panel.busy} />
    </div>
  );
}

function IncidentView({
  incident,
  messages,
  reply,
  note,
  step,
  dispatch,
  rights,
  onSend,
  onNote,
  onAdvance,
  onOpenDispatch,
  onCancelDispatch,
  onDispatch,
  onClose,
}: {
  incident: IncidentSummary;
  messages: MessageView[];
  reply: ConsoleState["reply"];
  note: ConsoleState["note"];
  step: ConsoleState["step"];
  dispatch: ConsoleState["dispatch"];
  rights: StepRights;
  onSend: (text: string) => Promise<boolean>;
  onNote: (text: string) => Promise<boolean>;
  onAdvance: (action: ShortcutAction) => void;
  onOpenDispatch: () => void;
  onCancelDispatch: () => void;
  onDispatch: (agents: string[]) => Promise<boolean>;
  onClose: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [incident.id]);
  return (
    <section class="stack" aria-labelledby="incident-title">
      <h2 id="incident-title" ref={heading} tabIndex={-1}>
        {t("console.incidentTitle", { shop: incident.shop.enseigne })}
      </h2>
      <IncidentMeta incident={incident} />
      <LifecyclePanel incident={incident} step={step} rights={rights} onAdvance={onAdvance} />
      <DispatchedAgents incident={incident} />
      {rights.dispatch ? (
        <DispatchPanel
          incident={incident}
          panel={dispatch}
          onOpen={onOpenDispatch}
          onCancel={onCancelDispatch}
          onSend={onDispatch}
        />
      ) : null}
      <ul class="message-list">
        {messages.map((view) => (
          <Message key={view.id} view={view} police={fromPolice(view)} />
        ))}
      </ul>
      <ReplyBox incident={incident.id} reply={reply} onSend={onSend} />
      {rights.note ? <NoteBox incident={incident.id} note={note} onSend={onNote} /> : null}
      {rights.advance ? <Handover incident={incident} messages={messages} /> : null}
      <button type="button" class="button button-secondary" onClick={onClose}>
        {t("console.close")}
      </button>
    </section>
  );
}

/** The handover summary, made on this device, read-only, with « Copier ». */
function Handover({ incident, messages }: { incident: IncidentSummary; messages: MessageView[] }) {
  const [summary, setSummary] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(summary ?? "");
      setSaid(t("handover.copied"));
    } catch {
      document.getElementById(`handover-${incident.id}`)?.focus();
    }
  };
  return (
    <details class="card stack handover">
      <summary>{t("handover.title")}</summary>
      <p class="hint">{t("handover.help")}</p>
      {summary === null ? (
        <button type="button" class="button button-secondary" onClick={() => setSummary(handoverSummary(incident, messages))}>
          {t("handover.prepare")}
        </button>
      ) : (
        <>
          <Field id={`handover-${incident.id}`} label={t("handover.summary")}>
            {({ id }) => <textarea id={id} rows={10} readOnly value={summary} />}
          </Field>
          <button type="button" class="button button-secondary" onClick={() => void copy()}>
            {t("handover.copy")}
          </button>
        </>
      )}
      <LiveStatus message={said} />
    </details>
  );
}

/** The sound switch: pressed means muted; remembered on this browser. */
function MuteToggle() {
  const muted = useStore(mutedStore);
  const [said, setSaid] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        class="button button-secondary"
        aria-pressed={muted ? "true" : "false"}
        onClick={() => {
          setMuted(!muted);
          setSaid(!muted ? t("console.muted") : t("console.unmuted"));
        }}
      >
        {t("console.mute")}
      </button>
      <LiveStatus message={said} />
    </>
  );
}

/** The stream feeds the model; the tab title counts what is unread. */
function useLiveConsole(model: ConsoleModel, unread: number): void {
  useStreamEvent(
    [
      "incident.reported",
      "message.posted",
      "note.posted",
      "alert_limit.reached",
      "incident.escalated",
      "cluster.confirmed",
      "incident.dispatched",
      "dispatch.status_changed",
      "dispatch.keys_added",
      "device.certified",
      ...LIFECYCLE_KINDS,
    ],
    (event) => void model.live(event),
  );
  useStreamResync(() => void model.resync());
  useEffect(() => {
    document.title = queueTitle(t("console.tabTitle"), unread);
  }, [unread]);
  useEffect(() => {
    // Browsers start sound only after a gesture: the first one on the page unlocks it.
    const unlock = () => unlockAudio();
    document.addEventListener("pointerdown", unlock, { once: true });
    document.addEventListener("keydown", unlock, { once: true });
    return () => {
      document.removeEventListener("pointerdown", unlock);
      document.removeEventListener("keydown", unlock);
    };
  }, []);
}

function Console({
  commune,
  device,
  incident,
  broadcast,
  rights,
  crisis,
  channels,
  push,
}: {
  commune: string;
  device: string | null;
  incident: string | null;
  broadcast: boolean;
  rights: StepRights;
  crisis: boolean;
  /** « N appareils injoignables » (push.view_channels). */
  channels: boolean;
  /** « Notifications sur cet appareil » (push.subscribe, a certified device). */
  push: boolean;
}) {
  const model = useMemo(
    () => createConsole(commune, { signal: () => void playSignal(), device }),
    [commune, device],
  );
  const {
    keyOutcome,
    keyError,
    incidents,
    open,
    status,
    error,
    busy,
    unread,
    fresh,
    alert,
    reply,
    note,
    limits,
    step,
    dispatch,
  } = useStore(model.state);
  useLiveConsole(model, unread.size);
  const queue = useMemo(
    () => (incidents ? orderQueue(incidents, unread) : null),
    [incidents, unread],
  );
  // The report last opened from the list: its button gets the focus back on closing.
  const lastOpened = useRef<string | null>(null);
  const list = useRef<HTMLUListElement>(null);

  // The service key first, then the broadcast key: the two lifecycles never write at once.
  const keyRun = useMemo(() => model.start(), [model]);

  useEffect(() => {
    if (incident) {
      void model.openIncident(incident);
      return;
    }
    model.close();
    const id = lastOpened.current;
    if (id) {
      const selector = `button[data-incident="${CSS.escape(id)}"]`;
      requestAnimationFrame(() =>
        list.current?.querySelector<HTMLButtonElement>(selector)?.focus(),
      );
    }
  }, [model, incident]);

  const shown = open && open.incident.id === incident ? open : null;
  const shownId = shown?.incident.id ?? null;
  const onAdvance = useCallback(
    (action: ShortcutAction) => {
      if (shownId) void model.advance(shownId, action);
    },
    [model, shownId],
  );
  const onOpenDispatch = useCallback(() => {
    if (shownId) void model.openDispatch(shownId);
  }, [model, shownId]);

  return (
    <>
      <section class="card stack" aria-labelledby="key-title">
        <h2 id="key-title">{t("console.keyTitle")}</h2>
        {keyOutcome ? keySentences(keyOutcome).map((line) => <p key={line}>{line}</p>) : null}
        {keyError ? <ErrorMessage message={keyError.message} /> : null}
        {!keyOutcome && !keyError ? <p>{t("console.keyChecking")}</p> : null}
      </section>
      <LiveBanner />
      {channels ? (
        <div hidden={!!shown}>
          <ChannelsConsoleLine />
        </div>
      ) : null}
      {crisis ? (
        // Kept mounted while a report is open: the state stays live.
        <div hidden={!!shown}>
          <CrisisPanel commune={commune} after={keyRun} />
        </div>
      ) : null}
      <div hidden={!!shown}>
        <ClusterPanel
          manage={getSession()?.permissions.includes("incidents.manage_clusters") ?? false}
          commune={commune}
          dispatch={rights.dispatch}
        />
        <ExerciseControl manage={getSession()?.permissions.includes("incidents.run_exercise") ?? false} />
      </div>
      {broadcast ? <div hidden={!!shown}><NeighbourAlertsPanel commune={commune} after={keyRun} /></div> : null}
      {broadcast ? (
        // Kept mounted while a report is open: its key and list stay as they are.
        <div hidden={!!shown}>
          <BroadcastPanel commune={commune} after={keyRun} />
        </div>
      ) : null}
      <LiveStatus message={status} busy={busy} />
      <div class="status" role="status" aria-live="polite">
        {alert ? <p>{alert}</p> : null}
      </div>
      <LimitHits hits={limits} />
      <ErrorMessage message={error} />
      {shown ? (
        <IncidentView
          incident={shown.incident}
          messages={shown.messages}
          reply={reply}
          note={note}
          step={step}
          dispatch={dispatch}
          rights={rights}
          onSend={(text) => model.sendReply(shown.incident.id, text)}
          onNote={(text) => model.sendNote(shown.incident.id, text)}
          onAdvance={onAdvance}
          onOpenDispatch={onOpenDispatch}
          onCancelDispatch={() => model.closeDispatch()}
          onDispatch={(agents) => model.sendAgents(shown.incident.id, agents)}
          onClose={() => navigate("/console")}
        />
      ) : (
        <section class="stack" aria-labelledby="incidents-title">
          <h2 id="incidents-title">{t("console.incidentsTitle")}</h2>
          <div class="console-tools">
            <button
              type="button"
              class="button button-secondary"
              disabled={busy}
              onClick={() => void model.refresh(true)}
            >
              {t("console.refresh")}
            </button>
            <MuteToggle />
            {unread.size > 0 ? (
              <p class="hint">{t("console.unreadSummary", { count: unread.size })}</p>
            ) : null}
          </div>
          {queue === null ? <Loading /> : null}
          {queue && queue.length === 0 ? <p>{t("console.noIncidents")}</p> : null}
          {queue && queue.length > 0 ? (
            <ul class="incident-list" ref={list}>
              {queue.map((item) => (
                <li
                  key={item.id}
                  class={[
                    "card",
                    unread.has(item.id) ? "incident-unread" : "",
                    fresh.has(item.id) ? "incident-fresh" : "",
                  ]
                    .filter(Boolean)
                    .join(" ")}
                >
                  <div>
                    <p>
                      {unread.has(item.id) ? (
                        <>
                          <span class="badge badge-unread">
                            {fresh.has(item.id) ? t("console.newBadge") : t("console.unread")}
                          </span>{" "}
                        </>
                      ) : null}
                      <strong>
                        {t("console.incidentLine", {
                          shop: item.shop.enseigne,
                          date: formatDateTime(item.createdAt),
                        })}
                      </strong>
                    </p>
                    <p>
                      <StateBadge lifecycle={item.lifecycle ?? REPORTED} />
                    </p>
                    <IncidentMeta incident={item} />
                    <p class="hint">{t("console.messagesCount", { count: item.messages })}</p>
                    {item.dispatches && item.dispatches.length > 0 ? (
                      <p class="hint">
                        {t("dispatch.queueLine", {
                          agents: item.dispatches
                            .map((d) => `${d.name} (${dispatchStatusLabel(d)})`)
                            .join(", "),
                        })}
                      </p>
                    ) : null}
                  </div>
                  <button
                    type="button"
                    class="button button-primary"
                    data-incident={item.id}
                    disabled={busy}
                    onClick={() => {
                      lastOpened.current = item.id;
                      navigate(buildPath("/incidents/:id", { id: item.id }));
                    }}
                  >
                    {t("console.open", { shop: item.shop.enseigne })}
                  </button>
                </li>
              ))}
            </ul>
          ) : null}
        </section>
      )}
      {incidents && !shown ? <ConsoleMap incidents={incidents} /> : null}
      {push && device ? (
        <div hidden={!!shown}>
          <PushConsent device={device} />
        </div>
      ) : null}
    </>
  );
}

/** `/console`, or `/incidents/:id` to open that report at once. */
function PlainTitle() {
  usePageTitle(t("console.title"));
  return null;
}

export function ConsolePage({ incident }: { incident: string | null }) {
  const { session } = useSession();
  const commune = session?.membership?.commune?.id;
  const signals = useStore(signalCountStore);
  return (
    <section aria-labelledby="console-title" class="stack" data-signals={signals}>
      <h1 id="console-title">{t("console.title")}</h1>
      {!session ? (
        <>
          <PlainTitle />
          <Loading />
        </>
      ) : mayUseConsole(session) && commune ? (
        <Console
          commune={commune}
          device={session.device?.id ?? null}
          incident={incident}
          broadcast={mayBroadcast(session)}
          rights={{
            take: mayTakeIncidents(session),
            advance: mayAdvanceIncidents(session),
            dispatch: mayDispatch(session),
            note: mayPostNote(session),
          }}
          crisis={mayManageCrisis(session)}
          channels={mayViewChannels(session)}
          push={mayReceivePush(session)}
        />
      ) : (
        <>
          <PlainTitle />
          <p class="callout callout-info">{t("console.forbidden")}</p>
        </>
      )}
    </section>
  );
}

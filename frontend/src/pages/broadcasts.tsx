/**
 * « Message à tous les commerces »: the operator console's panel (write, send, the list of
 * messages sent) and the shop home's « Messages de la police municipale » (newest first,
 * the ones that arrived live marked « Nouveau » and announced in a polite live region).
 * The flows live in broadcasts/model.ts; this file only draws them.
 */

import { useEffect, useMemo, useState } from "preact/hooks";
import { ErrorMessage, Field, LiveStatus, Loading } from "../components/ui";
import {
  createBroadcasts,
  CRISIS_BROADCAST_KINDS,
  HOLDER_KINDS,
  OPERATOR_KINDS,
  type BroadcastsModel,
  type BroadcastsState,
  type BroadcastView,
} from "../broadcasts/model";
import type { GroupKeyOutcome } from "../broadcasts/groupKeyFlow";
import { formatDateTime, t } from "../i18n";
import { formatCount, MAX_TEXT_CHARS } from "../incidents/send";
import { useStreamEvent, useStreamResync } from "../live/browser";
import { useStore } from "../store";

function useBroadcasts(
  commune: string,
  operator: boolean,
  after?: Promise<unknown>,
): [BroadcastsModel, BroadcastsState] {
  const model = useMemo(
    () => createBroadcasts(commune, { operator, after }),
    [commune, operator, after],
  );
  const state = useStore(model.state);
  useEffect(() => {
    void model.start();
    return () => model.stop();
  }, [model]);
  useStreamEvent(
    [...(operator ? OPERATOR_KINDS : HOLDER_KINDS), ...CRISIS_BROADCAST_KINDS],
    (event) => void model.live(event),
  );
  useStreamResync(() => void model.resync());
  return [model, state];
}

const formatSeconds = (seconds: number) => formatDateTime(new Date(seconds * 1000).toISOString());

/** One decrypted broadcast; its photos live as object URLs while it is on screen. */
function BroadcastItem({ view, fresh, from }: { view: BroadcastView; fresh: boolean; from: string }) {
  const [urls, setUrls] = useState<string[]>([]);
  useEffect(() => {
    const made = (view.opened?.photos ?? []).map((photo) =>
      URL.createObjectURL(new Blob([new Uint8Array(photo.data)], { type: photo.media })),
    );
    setUrls(made);
    return () => made.forEach((url) => URL.revokeObjectURL(url));
  }, [view]);
  const classes = ["card", "stack", "broadcast", fresh ? "broadcast-fresh" : ""].filter(Boolean);
  return (
    <li class={classes.join(" ")} data-broadcast={view.id}>
      <p class="eyebrow">
        {fresh ? (
          <>
            <span class="badge badge-new">{t("broadcast.newBadge")}</span>{" "}
          </>
        ) : null}
        {from}
      </p>
      <p class="hint">
        <time dateTime={new Date(view.sentAt * 1000).toISOString()}>
          {t("broadcast.sentAt", { date: formatSeconds(view.sentAt) })}
        </time>
      </p>
      {view.opened ? (
        <>
          <p class="message-text">{view.opened.text ?? t("console.noText")}</p>
          {urls.length > 0 ? (
            <div class="message-photos">
              {urls.map((url, i) => (
                <img
                  key={url}
                  src={url}
                  alt={t("broadcast.photoAlt", { n: i + 1 })}
                  width={view.opened!.photos[i].width}
                  height={view.opened!.photos[i].height}
                />
              ))}
            </div>
          ) : null}
        </>
      ) : (
        <div class="error">
          <p>
            <strong>{t("broadcast.unreadable")}</strong> {view.error?.message}
          </p>
        </div>
      )}
    </li>
  );
}

function keyLine(key: GroupKeyOutcome | null, operator: boolean): string | null {
  if (!key) return t("broadcast.keyChecking");
  switch (key.state) {
    case "none":
      return t("broadcast.keyNone");
    case "waiting":
      return operator ? t("broadcast.keyWaitingOperator", { number: key.number }) : t("broadcast.keyWaiting");
    case "created":
      return t("broadcast.keyCreated", { number: key.number });
    case "held":
      return operator ? t("broadcast.keyHeld", { number: key.number }) : null;
  }
}

/** The console's panel: the key's state, the form, and the messages sent. */
export function BroadcastPanel({ commune, after }: { commune: string; after?: Promise<unknown> }) {
  const [model, state] = useBroadcasts(commune, true, after);
  const { key, keyError, items, send, error } = state;
  const [text, setText] = useState("");
  const ready = key?.state === "created" || key?.state === "held";
  const submit = async (event: Event) => {
    event.preventDefault();
    if (await model.send(text)) setText("");
  };
  const line = keyLine(key, true);
  return (
    <section class="card stack broadcast-panel" aria-labelledby="broadcast-title">
      <h2 id="broadcast-title">{t("broadcast.panelTitle")}</h2>
      <p class="hint">{t("broadcast.panelLead")}</p>
      {line ? <p>{line}</p> : null}
      {ready && (key.granted > 0 || key.refused.length > 0) ? (
        <p class="hint">
          {key.granted > 0 ? t("broadcast.keyGranted", { count: key.granted }) : null}
          {key.granted > 0 && key.refused.length > 0 ? " " : null}
          {key.refused.length > 0 ? t("broadcast.keyRefusedDevices", { count: key.refused.length }) : null}
        </p>
      ) : null}
      {ready && key.holders !== null ? (
        <p data-holders={key.holders}>{t("broadcast.holders", { count: key.holders })}</p>
      ) : null}
      <ErrorMessage message={keyError} />
      <form class="stack" onSubmit={submit} noValidate>
        <Field
          label={t("broadcast.textLabel")}
          hint={t("broadcast.textHint", { max: formatCount(MAX_TEXT_CHARS) })}
          error={send.error}
        >
          {({ id, describedBy, invalid }) => (
            <textarea
              id={id}
              name="broadcast"
              rows={3}
              value={text}
              disabled={send.sending}
              maxLength={MAX_TEXT_CHARS}
              aria-invalid={invalid ? "true" : undefined}
              aria-describedby={describedBy}
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
            />
          )}
        </Field>
        <p>
          <button
            type="submit"
            class="button button-primary"
            disabled={send.sending || !ready}
          >
            {send.sending ? t("broadcast.sending") : t("broadcast.send")}
          </button>
        </p>
        <LiveStatus message={send.sent} busy={send.sending} />
      </form>
      <h3 id="broadcast-sent-title">{t("broadcast.sentTitle")}</h3>
      <ErrorMessage message={error} />
      {items === null ? <Loading /> : null}
      {items?.length === 0 ? <p>{t("broadcast.noneSent")}</p> : null}
      {items && items.length > 0 ? (
        <ul class="message-list" aria-labelledby="broadcast-sent-title">
          {items.map((view) => (
            <BroadcastItem key={view.id} view={view} fresh={false} from={t("broadcast.toAll")} />
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/** The shop's home: what the police sent to every shop, newest first. */
export function PoliceMessages({ commune }: { commune: string }) {
  const [model, state] = useBroadcasts(commune, false);
  const { key, keyError, items, fresh, alert, error } = state;
  const line = keyLine(key, false);
  const waiting = key?.state === "waiting" || key?.state === "none";
  return (
    <section aria-labelledby="police-messages-title" class="stack police-messages">
      <h2 id="police-messages-title">{t("broadcast.homeTitle")}</h2>
      <div class="status" role="status" aria-live="polite">
        {alert ? <p>{alert}</p> : null}
      </div>
      {waiting && line ? <p class="hint">{line}</p> : null}
      <ErrorMessage message={keyError ?? error} />
      {items === null && !keyError && !error ? <Loading /> : null}
      {items?.length === 0 && !waiting ? <p class="hint">{t("broadcast.noneReceived")}</p> : null}
      {items && items.length > 0 ? (
        <ul class="message-list">
          {items.map((view) => (
            <BroadcastItem
              key={view.id}
              view={view}
              fresh={fresh.has(view.id)}
              from={t("broadcast.fromPolice")}
            />
          ))}
        </ul>
      ) : null}
      {fresh.size > 0 ? (
        <p>
          <button type="button" class="button button-secondary" onClick={() => model.markRead()}>
            {t("broadcast.markRead")}
          </button>
        </p>
      ) : null}
    </section>
  );
}

/**
 * « Signaler un incident »: for a shopkeeper with one hand free. One big send button,
 * optional text, up to four photos taken with the rear camera; everything is re-encoded
 * and sealed on this phone before anything leaves it. The 17 stays one tap away, and is
 * what the page says whenever the report cannot go out.
 */

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ErrorMessage, Field, LiveStatus, Loading, usePageTitle } from "../components/ui";
import { FlowError, messageForCode } from "../incidents/context";
import { CALL_17_CODES, createReportFlow } from "../incidents/report";
import {
  countChars,
  formatCount,
  MAX_PHOTOS,
  MAX_TEXT_CHARS,
  type SentReport,
} from "../incidents/send";
import { SERVICE_ENTRY } from "../envelope/recipients";
import { getLang, t } from "../i18n";
import { mayReport } from "../permissions";
import { useSession } from "../session";
import { useStore } from "../store";

function Call17({ text }: { text: string }) {
  return (
    <div class="callout callout-urgent">
      <p>
        <strong>{text}</strong>
      </p>
      <a href="tel:17" class="button button-danger button-block">
        {t("report.call17")}
      </a>
    </div>
  );
}

function timeOf(seconds: number): string {
  return new Intl.DateTimeFormat(getLang() === "fr" ? "fr-FR" : "en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).format(new Date(seconds * 1000));
}

function Refused({ report }: { report: SentReport }) {
  if (report.refused.length === 0) return null;
  return (
    <div class="callout callout-warning" role="alert">
      <h3>{t("report.refusedTitle", { count: report.refused.length })}</h3>
      <p>{t("report.refusedText")}</p>
      <ul>
        {report.refused.map((r) => (
          <li key={r.device}>
            {r.device === SERVICE_ENTRY
              ? t("report.refusedService", { reason: messageForCode(r.code) })
              : t("report.refusedItem", {
                  device: r.device.slice(0, 8),
                  reason: messageForCode(r.code),
                })}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Sent({ report, onAgain }: { report: SentReport; onAgain: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section class="card stack" aria-labelledby="report-sent-title">
      <h2 id="report-sent-title" ref={heading} tabIndex={-1}>
        {t("report.sent", { time: timeOf(report.sentAt) })}
      </h2>
      <p>{t("report.sentDetail", { count: report.recipients })}</p>
      <Refused report={report} />
      <button type="button" class="button button-secondary button-block" onClick={onAgain}>
        {t("report.newReport")}
      </button>
    </section>
  );
}

function ReportForm({ commune }: { commune: string }) {
  const flow = useMemo(() => createReportFlow(commune), [commune]);
  const { busy, status, error, sealed, sent } = useStore(flow.state);
  const [text, setText] = useState("");
  const [photos, setPhotos] = useState<File[]>([]);
  const fileInput = useRef<HTMLInputElement>(null);

  const addPhotos = (event: Event) => {
    const input = event.currentTarget as HTMLInputElement;
    const picked = [...(input.files ?? [])];
    input.value = ""; // the same photo may be picked again after removing it
    const next = [...photos, ...picked];
    if (next.length > MAX_PHOTOS) {
      flow.fail(new FlowError("too_many_photos", t("report.tooManyPhotos", { max: MAX_PHOTOS })));
      setPhotos(next.slice(0, MAX_PHOTOS));
      return;
    }
    flow.fail(null);
    setPhotos(next);
  };

  const removePhoto = (index: number) => {
    setPhotos(photos.filter((_, i) => i !== index));
    fileInput.current?.focus();
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (await flow.submit(text, photos)) {
      setText("");
      setPhotos([]);
    }
  };

  if (sent) {
    return (
      <>
        <LiveStatus message={status} />
        <Sent report={sent} onAgain={flow.again} />
      </>
    );
  }

  const tooLong = countChars(text) > MAX_TEXT_CHARS;
  return (
    <form class="stack" onSubmit={submit} noValidate aria-labelledby="report-title">
      <Field
        label={t("report.textLabel")}
        hint={t("report.textHint")}
        error={tooLong ? t("report.textTooLong", { max: formatCount(MAX_TEXT_CHARS) }) : null}
      >
        {({ id, describedBy, invalid }) => (
          <textarea
            id={id}
            name="text"
            rows={4}
            value={text}
            disabled={busy || !!sealed}
            aria-invalid={invalid ? "true" : undefined}
            aria-describedby={describedBy}
            onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
          />
        )}
      </Field>
      <p class="hint" aria-hidden="true">
        {t("report.textCount", {
          count: formatCount(countChars(text)),
          max: formatCount(MAX_TEXT_CHARS),
        })}
      </p>
      <Field label={t("report.photosLabel")} hint={t("report.photosHint")}>
        {({ id, describedBy }) => (
          <input
            id={id}
            ref={fileInput}
            class="photo-input"
            type="file"
            name="photos"
            accept="image/*"
            capture="environment"
            multiple
            disabled={busy || !!sealed || photos.length >= MAX_PHOTOS}
            aria-describedby={describedBy}
            onChange={addPhotos}
          />
        )}
      </Field>
      {photos.length > 0 ? (
        <ul class="photo-list">
          {photos.map((photo, i) => (
            <li key={`${i}-${photo.name}`}>
              <span>{t("report.photoItem", { n: i + 1, name: photo.name || "photo" })}</span>
              <button
                type="button"
                class="button button-secondary"
                disabled={busy || !!sealed}
                onClick={() => removePhoto(i)}
              >
                {t("report.removePhoto", { n: i + 1 })}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <ErrorMessage message={error?.message ?? null} />
      {error && CALL_17_CODES.has(error.code) ? <Call17 text={t("report.callNow")} /> : null}
      {error && sealed ? <p class="callout callout-warning">{t("report.notSentRetry")}</p> : null}
      <LiveStatus message={status} busy={busy} />
      <button
        type="submit"
        class="button button-primary button-block button-send"
        disabled={busy || tooLong}
      >
        {sealed ? t("report.retry") : t("report.send")}
      </button>
    </form>
  );
}

export function ReportPage() {
  usePageTitle(t("report.title"));
  const { session } = useSession();
  const commune = session?.membership?.commune?.id;
  return (
    <section aria-labelledby="report-title" class="stack">
      <h1 id="report-title">{t("report.title")}</h1>
      <div class="callout callout-urgent" role="note">
        <p>
          <strong>{t("report.urgent")}</strong>
        </p>
        <a href="tel:17" class="button button-danger button-block">
          {t("report.call17")}
        </a>
      </div>
      {!session ? (
        <Loading />
      ) : mayReport(session) && commune ? (
        <>
          <p class="lead">{t("report.lead")}</p>
          <ReportForm commune={commune} />
        </>
      ) : (
        <p class="callout callout-info">{t("report.forbidden")}</p>
      )}
    </section>
  );
}

/**
 * The one confirmation screen of an alert (`/signaler?categorie=<slug>`, opened by a tap
 * on the home page), and « Signaler un incident » (`/signaler`, the category chosen here):
 * severity prefilled from the category, descriptors as toggle chips, a short text, photos,
 * the « prévenir les commerces voisins » switch, then « Envoyer » in a bar that stays under
 * the thumb. A category whose catalogue entry says `call_17` puts « Appelez le 17 » first.
 * Everything but category, severity and the switch is sealed on this phone (photos are
 * re-encoded first); the draft survives a reload until it is sent (alert/draft.ts).
 */

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ErrorMessage, Field, LiveStatus, Loading, usePageTitle } from "../components/ui";
import { describeError } from "../api";
import { sendNeighbourAlert } from "../neighbours/send";
import { SentToFallback, Unreachable } from "../duty/Unreachable";
import { useReachability, type Reachability } from "../duty/reachability";
import {
  catalogueStore,
  categoryLabel,
  findCategory,
  loadCatalogue,
  SEVERITIES,
  severityLabel,
  type Catalogue,
  type Category,
  type Severity,
} from "../alert/catalogue";
import {
  descriptorLabel,
  descriptorTitle,
  isChosen,
  LISTS,
  sealedFields,
  toggle,
  type DescriptorKey,
} from "../alert/descriptors";
import { createDraftStore, newDraft, startDraft, type Draft, type DraftStore } from "../alert/draft";
import { useLiveReports } from "../alert/live";
import { sentRecordOf } from "../alert/send";
import { OutboxItem } from "../alert/pending";
import type { Outbox } from "../alert/outbox";
import {
  neighbourResults,
  outboxFor,
  rememberNeighbourWords,
  type NeighbourResult,
} from "../alert/queue";
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
import { ExerciseTag, useExercise } from "../incidents/Exercise";
import { getLang, hasMessage, t, type MessageKey } from "../i18n";
import { mayReport } from "../permissions";
import { Link, useRoute } from "../router";
import { useSession } from "../session";
import { useStore } from "../store";

/** Before the catalogue answers (a reload), the default categories that put the 17 first. */
const DEFAULT_CALL_17 = new Set(["agression", "rixe"]);
const FALLBACK_CATEGORY = "autre";

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

/** « Appelez le 17 » before anything else, announced at once. */
function Call17First() {
  return (
    <div class="callout callout-urgent call17-first" role="alert">
      <p class="call17-title">
        <strong>{t("alert.call17Title")}</strong>
      </p>
      <p>{t("alert.call17Text")}</p>
      <a href="tel:17" class="button button-danger button-block button-send">
        {t("alert.call17Button")}
      </a>
    </div>
  );
}

export function timeOf(seconds: number, withSeconds = true): string {
  return new Intl.DateTimeFormat(getLang() === "fr" ? "fr-FR" : "en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    ...(withSeconds ? { second: "2-digit" } : {}),
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

function Sent({
  report,
  label,
  onAgain,
}: {
  report: SentReport;
  label: string | null;
  onAgain: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section class="card stack" aria-labelledby="report-sent-title">
      <h2 id="report-sent-title" ref={heading} tabIndex={-1}>
        {t("report.sent", { time: timeOf(report.sentAt) })}
      </h2>
      {label && report.meta ? (
        <p>
          {t("alert.sentCategory", {
            category: label,
            severity: report.meta.severity ? severityLabel(report.meta.severity) : "—",
          })}
        </p>
      ) : null}
      <p>{t("report.sentDetail", { count: report.recipients })}</p>
      <Refused report={report} />
      <p>
        <Link href="/" class="button button-primary button-block">
          {t("alert.backHome")}
        </Link>
      </p>
      <button type="button" class="button button-secondary button-block" onClick={onAgain}>
        {t("report.newReport")}
      </button>
    </section>
  );
}

/** Toggle chips for one descriptor list (aria-pressed); a single choice lets go on a second tap. */
function Chips({
  name,
  draft,
  disabled,
  onToggle,
}: {
  name: DescriptorKey;
  draft: Draft;
  disabled: boolean;
  onToggle: (key: DescriptorKey, slug: string) => void;
}) {
  const legend = `alert-${name}-legend`;
  return (
    <fieldset class="chip-group" aria-labelledby={legend}>
      <legend id={legend}>{descriptorTitle(name)}</legend>
      <div class="chips">
        {LISTS[name].map((slug) => (
          <button
            key={slug}
            type="button"
            class="chip"
            aria-pressed={isChosen(draft.report, name, slug) ? "true" : "false"}
            disabled={disabled}
            onClick={() => onToggle(name, slug)}
          >
            {isChosen(draft.report, name, slug) ? (
              <span class="chip-check" aria-hidden="true">
                ✓{" "}
              </span>
            ) : null}
            {descriptorLabel(name, slug)}
          </button>
        ))}
      </div>
    </fieldset>
  );
}

function CategoryChoice({
  catalogue,
  value,
  disabled,
  onChange,
}: {
  catalogue: Catalogue;
  value: string;
  disabled: boolean;
  onChange: (slug: string) => void;
}) {
  return (
    <fieldset class="chip-group">
      <legend>{t("alert.categoryLegend")}</legend>
      <div class="segments segments-wrap">
        {catalogue.categories.map((c) => (
          <label key={c.slug} class="segment">
            <input
              type="radio"
              class="segment-input"
              name="category"
              value={c.slug}
              checked={value === c.slug}
              disabled={disabled}
              onChange={() => onChange(c.slug)}
            />
            <span>{categoryLabel(c)}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function SeverityChoice({
  value,
  disabled,
  onChange,
}: {
  value: Severity | null;
  disabled: boolean;
  onChange: (severity: Severity) => void;
}) {
  return (
    <fieldset class="chip-group">
      <legend>{t("alert.severityLegend")}</legend>
      <div class="segments segments-severity">
        {SEVERITIES.map((s) => (
          <label key={s} class={`segment segment-${s}`}>
            <input
              type="radio"
              class="segment-input"
              name="severity"
              value={s}
              checked={value === s}
              disabled={disabled}
              onChange={() => onChange(s)}
            />
            <span>{severityLabel(s)}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function NeighboursSwitch({
  on,
  catalogue,
  disabled,
  onChange,
}: {
  on: boolean;
  catalogue: Catalogue | null;
  disabled: boolean;
  onChange: (on: boolean) => void;
}) {
  const minutes = catalogue?.neighbours.expiryMinutes ?? 120;
  const hint =
    catalogue?.neighbours.validation === false
      ? t("alert.neighboursDirect", { minutes })
      : t("alert.neighboursValidation", { minutes });
  return (
    <div class="switch-row">
      <button
        type="button"
        role="switch"
        class="switch"
        aria-checked={on ? "true" : "false"}
        aria-labelledby="neighbours-label"
        aria-describedby="neighbours-hint"
        disabled={disabled}
        onClick={() => onChange(!on)}
      >
        <span id="neighbours-label" class="switch-label">
          {t("alert.neighbours")}
        </span>
        <span class="switch-track" aria-hidden="true">
          <span class="switch-state">{on ? t("alert.on") : t("alert.off")}</span>
        </span>
      </button>
      <p class="hint" id="neighbours-hint">
        {hint}
      </p>
    </div>
  );
}

function initialDraft(drafts: DraftStore, fixed: string | null): Draft {
  if (fixed) return startDraft(drafts, fixed).draft;
  return drafts.load() ?? newDraft("");
}

type NeighbourSending = NeighbourResult;

/**
 * « Envoyer » found no network (or a server stumble): the report waits in the offline
 * queue, and this screen says so until the queue delivers it (then the « envoyé » screen).
 */
function Queued({ incident, outbox }: { incident: string; outbox: Outbox }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const { entries } = useStore(outbox.state);
  const view = entries.find((v) => v.entry.incident === incident) ?? null;
  return (
    <section class="card stack outbox-queued" aria-labelledby="report-queued-title">
      <h2 id="report-queued-title" ref={heading} tabIndex={-1}>
        {t("outbox.queuedTitle")}
      </h2>
      <p>{t("outbox.queuedText")}</p>
      {view ? <OutboxItem view={view} outbox={outbox} /> : null}
      <p>
        <Link href="/" class="button button-primary button-block">
          {t("alert.backHome")}
        </Link>
      </p>
    </section>
  );
}

/** What became of the « prévenir les commerces voisins » switch once the report was sent. */
function NeighbourOutcome({ outcome }: { outcome: NeighbourSending | null }) {
  if (!outcome) return null;
  if (outcome.state === "failed") {
    return (
      <p class="callout callout-warning" role="alert">
        {t("alert.neighboursFailed", { reason: outcome.reason })}
      </p>
    );
  }
  const text =
    outcome.state === "sending"
      ? t("neighbours.sending")
      : outcome.state === "pending"
        ? t("neighbours.warnSent")
        : t("neighbours.warnSentOut");
  return (
    <p class="callout callout-info" role="status">
      {text}
    </p>
  );
}

function ReportForm({
  commune,
  device,
  fixed,
  catalogue,
  onCategory,
  reachability,
}: {
  commune: string;
  device: string;
  /** The category tapped on the home page; null: chosen on this screen. */
  fixed: string | null;
  catalogue: Catalogue | null;
  onCategory: (slug: string) => void;
  /** Whether the police municipale can see the report now (duty hours, an operator). */
  reachability: Reachability | null;
}) {
  const outbox = useMemo(() => outboxFor(device, commune), [device, commune]);
  const flow = useMemo(() => createReportFlow(commune, device, outbox), [commune, device, outbox]);
  const drafts = useMemo(() => createDraftStore(device), [device]);
  const { busy, status, error, sealed, queued, sent } = useStore(flow.state);
  const delivered = useStore(neighbourResults);
  const [draft, setDraft] = useState<Draft>(() => initialDraft(drafts, fixed));
  const [photos, setPhotos] = useState<File[]>([]);
  const [photosReady, setPhotosReady] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const locked = busy || !!sealed;
  const [neighbours, setNeighbours] = useState<NeighbourSending | null>(null);
  const [exercise] = useExercise();
  // While a drill runs, a report is part of it unless the shopkeeper says it is real.
  const [real, setReal] = useState(false);
  useLiveReports(drafts);

  // The draft's photos come back from IndexedDB (a reload keeps them until sent).
  useEffect(() => {
    let live = true;
    void drafts.loadPhotos().then((stored) => {
      if (!live) return;
      setPhotos((current) => (current.length === 0 ? stored.slice(0, MAX_PHOTOS) : current));
      setPhotosReady(true);
    });
    return () => {
      live = false;
    };
  }, [drafts]);

  // On « Signaler un incident » the category defaults to « autre » (or the commune's last).
  const category = draft.category || defaultCategory(catalogue);
  const entry = findCategory(catalogue, category);
  useEffect(() => onCategory(category), [category]);

  const change = (patch: Partial<Draft>) => {
    const next = { ...draft, category, ...patch, updatedAt: Date.now() };
    setDraft(next);
    drafts.save(next);
  };
  const severity: Severity | null =
    draft.severity ?? (entry ? (entry.severity as Severity) : null);

  const addPhotos = (event: Event) => {
    const input = event.currentTarget as HTMLInputElement;
    const picked = [...(input.files ?? [])];
    input.value = ""; // the same photo may be picked again after removing it
    let next = [...photos, ...picked];
    if (next.length > MAX_PHOTOS) {
      flow.fail(new FlowError("too_many_photos", t("report.tooManyPhotos", { max: MAX_PHOTOS })));
      next = next.slice(0, MAX_PHOTOS);
    } else {
      flow.fail(null);
    }
    setPhotos(next);
    change({});
    void drafts.savePhotos(next);
  };

  const removePhoto = (index: number) => {
    const next = photos.filter((_, i) => i !== index);
    setPhotos(next);
    void drafts.savePhotos(next);
    fileInput.current?.focus();
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const label = entry ? categoryLabel(entry) : category;
    // What the form holds, kept in memory: it becomes the draft again after a refusal.
    const kept = { draft: { ...draft, category }, photos };
    const warn = draft.neighbours;
    const words = draft.text.trim() ? `${label} : ${draft.text.trim()}` : label;
    const outcome = await flow.submit({
      text: draft.text,
      photos,
      fields: sealedFields(draft.report),
      meta: { category, severity, neighbours: draft.neighbours, exercise: !!exercise && !real },
      label,
      // In the queue now, with its ids: the draft must not go a second time under others.
      stored: () => void drafts.clear(),
    });
    if (outcome === "busy") return;
    if (outcome === "refused") {
      drafts.save(kept.draft);
      void drafts.savePhotos(kept.photos);
      return;
    }
    setPhotos([]);
    setDraft(newDraft(fixed ?? ""));
    const { sent: done, queued: waiting } = flow.state.get();
    // Queued: the queue records it and warns the neighbours once it is delivered.
    if (outcome === "queued") {
      if (warn && waiting) rememberNeighbourWords(waiting, words);
      return;
    }
    if (done) drafts.recordSent(sentRecordOf(done, label));
    // The neighbour alert is its own sealed broadcast to the sector; the report is
    // already sent, so a refusal here is told without undoing anything.
    if (warn && done) {
      setNeighbours({ state: "sending" });
      try {
        const alert = await sendNeighbourAlert(commune, done.incident, words);
        setNeighbours({ state: alert.status === "pending" ? "pending" : "sent" });
      } catch (error) {
        setNeighbours({ state: "failed", reason: describeError(error) });
      }
    }
  };

  if (sent) {
    return (
      <>
        <LiveStatus message={status} />
        <Sent
          report={sent}
          label={sent.meta ? labelFor(catalogue, sent.meta.category) : null}
          onAgain={flow.again}
        />
        <SentToFallback reachability={reachability} />
        <NeighbourOutcome outcome={neighbours ?? delivered[sent.incident] ?? null} />
      </>
    );
  }

  if (queued) return <Queued incident={queued} outbox={outbox} />;

  const tooLong = countChars(draft.text) > MAX_TEXT_CHARS;
  const call17Error = error && CALL_17_CODES.has(error.code);
  return (
    <form class="stack alert-form" onSubmit={submit} noValidate aria-labelledby="report-title">
      {exercise ? (
        <fieldset class="callout callout-exercise" data-exercise={exercise.id}>
          <legend>
            <ExerciseTag exercise={exercise} /> {t("exercise.reportLegend", { name: exercise.name })}
          </legend>
          <label class="checkbox">
            <input
              type="checkbox"
              checked={real}
              disabled={locked}
              aria-describedby="exercise-real-hint"
              onChange={(e) => setReal((e.target as HTMLInputElement).checked)}
            />
            <span>{t("exercise.reportReal")}</span>
          </label>
          <p class="hint" id="exercise-real-hint">
            {t("exercise.reportHint")}
          </p>
        </fieldset>
      ) : null}
      {!fixed && catalogue && catalogue.categories.length > 0 ? (
        <CategoryChoice
          catalogue={catalogue}
          value={category}
          disabled={locked}
          onChange={(slug) => change({ category: slug, severity: null })}
        />
      ) : null}
      <SeverityChoice
        value={severity}
        disabled={locked}
        onChange={(s) => change({ severity: s })}
      />
      <NeighboursSwitch
        on={draft.neighbours}
        catalogue={catalogue}
        disabled={locked}
        onChange={(on) => change({ neighbours: on })}
      />
      <section class="stack" aria-labelledby="descriptors-title">
        <h2 id="descriptors-title">{t("alert.descriptorsTitle")}</h2>
        <p class="hint">{t("alert.descriptorsHint")}</p>
        {(["people", "clothing", "colours", "signs", "direction", "vehicle"] as const).map(
          (key) => (
            <Chips
              key={key}
              name={key}
              draft={draft}
              disabled={locked}
              onToggle={(k, slug) => change({ report: toggle(draft.report, k, slug) })}
            />
          ),
        )}
      </section>
      <Field
        label={t("report.textLabel")}
        hint={t("alert.textHint")}
        error={tooLong ? t("report.textTooLong", { max: formatCount(MAX_TEXT_CHARS) }) : null}
      >
        {({ id, describedBy, invalid }) => (
          <textarea
            id={id}
            name="text"
            rows={3}
            value={draft.text}
            disabled={locked}
            aria-invalid={invalid ? "true" : undefined}
            aria-describedby={describedBy}
            onInput={(e) => change({ text: (e.target as HTMLTextAreaElement).value })}
          />
        )}
      </Field>
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
            disabled={locked || photos.length >= MAX_PHOTOS}
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
                disabled={locked}
                onClick={() => removePhoto(i)}
              >
                {t("report.removePhoto", { n: i + 1 })}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <p class="hint">{t("alert.draftKept")}</p>
      <div class="send-bar">
        <ErrorMessage message={error?.message ?? null} />
        {call17Error ? <Call17 text={t("report.callNow")} /> : null}
        {error && sealed ? <p class="callout callout-warning">{t("report.notSentRetry")}</p> : null}
        <LiveStatus message={photosReady ? status : t("alert.photosLoading")} busy={busy} />
        <button
          type="submit"
          class="button button-primary button-block button-send"
          disabled={busy || tooLong || !photosReady}
        >
          {sealed ? t("report.retry") : t("report.send")}
        </button>
      </div>
    </form>
  );
}

function defaultCategory(catalogue: Catalogue | null): string {
  if (!catalogue || catalogue.categories.length === 0) return FALLBACK_CATEGORY;
  const other = catalogue.categories.find((c) => c.slug === FALLBACK_CATEGORY);
  return (other ?? catalogue.categories[catalogue.categories.length - 1]).slug;
}

/** The label before the catalogue answers: the app's own name for a default category. */
function labelFor(catalogue: Catalogue | null, slug: string): string {
  const entry = findCategory(catalogue, slug);
  if (entry) return categoryLabel(entry);
  const key = `alert.category.${slug}`;
  return hasMessage(key) ? t(key as MessageKey) : slug;
}

function wantsCall17(entry: Category | null, slug: string | null, catalogue: Catalogue | null) {
  if (entry) return entry.call17;
  return !catalogue && !!slug && DEFAULT_CALL_17.has(slug);
}

/** `?categorie=<slug>` of the address: the category tapped on the home page. */
function categoryParam(): string | null {
  if (typeof window === "undefined") return null;
  const value = new URLSearchParams(window.location.search).get("categorie");
  return value && /^[a-z0-9_-]{1,40}$/.test(value) ? value : null;
}

export function ReportPage() {
  useRoute();
  const fixed = categoryParam();
  const { session } = useSession();
  const { catalogue, error: catalogueError } = useStore(catalogueStore);
  const [chosen, setChosen] = useState<string | null>(fixed);
  const reachability = useReachability();
  useEffect(() => {
    void loadCatalogue();
  }, []);
  const commune = session?.membership?.commune?.id;
  const device = session?.device?.id;
  const entry = findCategory(catalogue, fixed);
  const title = fixed ? labelFor(catalogue, fixed) : t("report.title");
  usePageTitle(title);
  const unknown = !!fixed && !!catalogue && !entry;
  const chosenEntry = findCategory(catalogue, chosen);
  const call17 = fixed
    ? wantsCall17(entry, fixed, catalogue)
    : wantsCall17(chosenEntry, chosen, catalogue);
  return (
    <section aria-labelledby="report-title" class="stack">
      {fixed && call17 ? <Call17First /> : null}
      {!fixed ? (
        <div class="callout callout-urgent" role="note">
          <p>
            <strong>{t("report.urgent")}</strong>
          </p>
          <a href="tel:17" class="button button-danger button-block">
            {t("report.call17")}
          </a>
        </div>
      ) : null}
      <h1 id="report-title">{title}</h1>
      {!fixed && call17 ? <Call17First /> : null}
      <Unreachable reachability={reachability} />
      {catalogueError ? (
        <ErrorMessage message={t("alert.catalogueError", { reason: catalogueError })} />
      ) : null}
      {!session ? (
        <Loading />
      ) : !(mayReport(session) && commune && device) ? (
        <p class="callout callout-info">{t("report.forbidden")}</p>
      ) : unknown ? (
        <>
          <p class="callout callout-warning">{t("alert.unknownCategory")}</p>
          <p>
            <Link href="/" class="button button-primary button-block">
              {t("alert.backHome")}
            </Link>
          </p>
        </>
      ) : (
        <>
          {!fixed ? <p class="lead">{t("report.lead")}</p> : null}
          <ReportForm
            key={`${device}:${fixed ?? ""}`}
            commune={commune}
            device={device}
            fixed={fixed}
            catalogue={catalogue}
            onCategory={setChosen}
            reachability={reachability}
          />
        </>
      )}
    </section>
  );
}

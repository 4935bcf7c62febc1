/**
 * The alert part of the merchant's home: the category buttons (from the commune's
 * catalogue), the draft not yet sent, the last report's live status, and the discreet
 * gesture's hook and its small neutral confirmation.
 */

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ErrorMessage, Loading } from "../components/ui";
import { getLang, t } from "../i18n";
import { navigate, Link } from "../router";
import { useStore } from "../store";
import {
  catalogueStore,
  categoryLabel,
  DISCREET_CATEGORY,
  findCategory,
  loadCatalogue,
  type Category,
} from "./catalogue";
import { createLongPress } from "./discreet";
import { startDraft, type Draft, type DraftStore, type SentRecord } from "./draft";
import { ReportProgress } from "./progress";
import { useLiveReports } from "./live";
import { sendDiscreet } from "./send";
import { PendingReports } from "./pending";
import { useOutbox } from "./queue";

const DAY_MS = 24 * 3600 * 1000;

function clock(ms: number, seconds = false): string {
  return new Intl.DateTimeFormat(getLang() === "fr" ? "fr-FR" : "en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    ...(seconds ? { second: "2-digit" } : {}),
  }).format(new Date(ms));
}

export function alertPath(slug: string): string {
  return `/signaler?categorie=${encodeURIComponent(slug)}`;
}

function CategoryButton({ category, onOpen }: { category: Category; onOpen: () => void }) {
  return (
    <li>
      <button
        type="button"
        class={`alert-button alert-${category.severity}${category.call17 ? " alert-call17" : ""}`}
        onClick={onOpen}
      >
        <span class="alert-button-label">{categoryLabel(category)}</span>
        {category.call17 ? <span class="alert-button-hint">{t("alert.call17Hint")}</span> : null}
      </button>
    </li>
  );
}

function DraftBanner({
  draft,
  label,
  onDiscard,
}: {
  draft: Draft;
  label: string;
  onDiscard: () => void;
}) {
  return (
    <section class="callout callout-warning stack" aria-labelledby="draft-title">
      <h2 id="draft-title">{t("alert.draftTitle")}</h2>
      <p>{t("alert.draftText", { category: label, time: clock(draft.updatedAt) })}</p>
      <p>
        <Link href={alertPath(draft.category)} class="button button-primary button-block">
          {t("alert.draftResume")}
        </Link>
      </p>
      <button type="button" class="button button-secondary button-block" onClick={onDiscard}>
        {t("alert.draftDiscard")}
      </button>
    </section>
  );
}

function SentStatus({ record }: { record: SentRecord }) {
  const received = Date.parse(record.receivedAt);
  return (
    <section class="card stack alert-status" aria-labelledby="status-title">
      <h2 id="status-title">{t("alert.statusTitle")}</h2>
      <p>
        <strong>
          {t("alert.statusSent", {
            category: record.categoryLabel || record.category,
            time: clock(record.sentAt * 1000),
          })}
        </strong>
      </p>
      <p>
        {t("alert.statusReceived", {
          time: Number.isNaN(received) ? "—" : clock(received, true),
          count: record.recipients,
        })}
      </p>
      <p class={record.confirmed ? "ok" : "hint"}>
        {record.confirmed ? t("alert.statusLive") : t("alert.statusWaiting")}
      </p>
      {record.refused > 0 ? (
        <p class="hint">{t("alert.statusRefused", { count: record.refused })}</p>
      ) : null}
      <ReportProgress incident={record.incident} />
    </section>
  );
}

/** Category buttons, the pending draft, the reports waiting for the network, the last
 * report's status. */
export function AlertPanel({
  drafts,
  owner,
  commune,
}: {
  drafts: DraftStore;
  owner: string;
  commune: string;
}) {
  const outbox = useOutbox(owner, commune);
  const { catalogue, error, loading } = useStore(catalogueStore);
  const [draft, setDraft] = useState<Draft | null>(() => drafts.load());
  const [sent, setSent] = useState<SentRecord[]>(() => drafts.sent());
  const [said, setSaid] = useState<string | null>(null);
  useEffect(() => {
    void loadCatalogue();
  }, []);
  useEffect(() => {
    setDraft(drafts.load());
    setSent(drafts.sent());
  }, [drafts]);
  // The live stream carries our own report back: the server filed and fanned it out.
  useLiveReports(drafts, () => setSent(drafts.sent()));
  // The queue delivered a report while this page was open: its status line replaces it.
  useEffect(
    () => outbox?.state.subscribe(() => setSent(drafts.sent())),
    [outbox, drafts],
  );
  const latest = sent.find((r) => !r.discreet && Date.now() - r.sentAt * 1000 < DAY_MS) ?? null;

  const open = (category: Category) => {
    startDraft(drafts, category.slug);
    navigate(alertPath(category.slug));
  };
  const discard = async () => {
    await drafts.clear();
    setDraft(null);
    setSaid(t("alert.draftDiscarded"));
  };
  const draftEntry = draft ? findCategory(catalogue, draft.category) : null;

  return (
    <>
      {draft ? (
        <DraftBanner
          draft={draft}
          label={draftEntry ? categoryLabel(draftEntry) : draft.category}
          onDiscard={() => void discard()}
        />
      ) : null}
      <div class="status" role="status" aria-live="polite">
        {said ? <p>{said}</p> : null}
      </div>
      <section class="stack alert-grid-section" aria-labelledby="alert-title">
        <h2 id="alert-title">{t("alert.gridTitle")}</h2>
        <p class="hint">{t("alert.gridHint")}</p>
        {error ? (
          <>
            <ErrorMessage message={t("alert.catalogueError", { reason: error })} />
            <button
              type="button"
              class="button button-secondary"
              onClick={() => void loadCatalogue(true)}
            >
              {t("alert.catalogueRetry")}
            </button>
          </>
        ) : null}
        {!catalogue && !error && loading ? <Loading /> : null}
        {catalogue && catalogue.categories.length === 0 ? (
          <p class="callout callout-info">{t("alert.catalogueEmpty")}</p>
        ) : null}
        {catalogue && catalogue.categories.length > 0 ? (
          <ul class="alert-grid">
            {catalogue.categories.map((c) => (
              <CategoryButton key={c.slug} category={c} onOpen={() => open(c)} />
            ))}
          </ul>
        ) : null}
      </section>
      {outbox ? <PendingReports outbox={outbox} /> : null}
      {latest ? <SentStatus record={latest} /> : null}
    </>
  );
}

export type DiscreetState = "idle" | "sending" | "queued" | "done" | "failed";

/** The discreet alert bound to an element: pointer handlers, and what it became. */
export function useDiscreetAlert(
  commune: string | null,
  owner: string | null,
  drafts: DraftStore | null,
): { state: DiscreetState; handlers: Record<string, (event: PointerEvent | Event) => void> } {
  const [state, setState] = useState<DiscreetState>("idle");
  const outbox = useOutbox(owner, commune);
  const waiting = useRef<string | null>(null);
  // Queued without network: « Enregistré. » once the queue delivered it.
  useEffect(
    () =>
      outbox?.state.subscribe((current) => {
        if (waiting.current && current.sent[waiting.current]) {
          waiting.current = null;
          setState("done");
        }
      }),
    [outbox],
  );
  const busy = useRef(false);
  const fire = useRef<() => void>(() => undefined);
  fire.current = () => {
    if (!commune || !owner || !outbox || busy.current) return;
    busy.current = true;
    setState("sending");
    const { catalogue } = catalogueStore.get();
    const entry = findCategory(catalogue, DISCREET_CATEGORY);
    const label = entry ? categoryLabel(entry) : t("alert.category.agression");
    sendDiscreet(outbox, commune, owner, drafts, label)
      .then((result) => {
        if (result.state === "queued" && !outbox.state.get().sent[result.incident]) {
          waiting.current = result.incident;
          setState("queued");
          return;
        }
        setState("done");
        try {
          navigator.vibrate?.(40);
        } catch {
          /* no vibration */
        }
      })
      .catch(() => setState("failed"))
      .finally(() => {
        busy.current = false;
      });
  };
  const press = useMemo(
    () =>
      createLongPress(() => fire.current(), {
        setTimeout: (fn, ms) => window.setTimeout(fn, ms),
        clearTimeout: (handle) => window.clearTimeout(handle as number),
      }),
    [],
  );
  useEffect(() => () => press.cancel(), [press]);
  // « Enregistré. » fades back to nothing: the screen returns to what it was.
  useEffect(() => {
    if (state !== "done") return;
    const handle = window.setTimeout(() => setState("idle"), 15_000);
    return () => window.clearTimeout(handle);
  }, [state]);
  const pointer = (fn: (e: PointerEvent) => void) => (event: PointerEvent | Event) =>
    fn(event as PointerEvent);
  return {
    state,
    handlers: {
      onPointerDown: pointer((e) => press.down(e.pointerId, e.clientX, e.clientY)),
      onPointerMove: pointer((e) => press.move(e.pointerId, e.clientX, e.clientY)),
      onPointerUp: pointer((e) => press.up(e.pointerId)),
      onPointerCancel: pointer((e) => press.up(e.pointerId)),
      onPointerLeave: pointer((e) => press.up(e.pointerId)),
      // A long press would open the browser's menu or select the name: neither shows.
      onContextMenu: (event) => event.preventDefault(),
    },
  };
}

/** Small and neutral: no colour, no icon, the same size as a hint. */
export function DiscreetStatus({ state }: { state: DiscreetState }) {
  return (
    <div class="discreet-status" role="status" aria-live="polite">
      {state === "sending" ? <p>{t("alert.discreetSending")}</p> : null}
      {state === "done" ? <p>{t("alert.discreetDone")}</p> : null}
      {/* Not gone yet (queued) or not at all (failed): the 17, small as the rest. */}
      {state === "queued" || state === "failed" ? (
        <p>
          {state === "queued" ? t("alert.discreetQueued") : t("alert.discreetFailed")}{" "}
          <a href="tel:17" class="discreet-call">
            {t("alert.discreetCall")}
          </a>
        </p>
      ) : null}
    </div>
  );
}

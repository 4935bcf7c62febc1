/**
 * Reports waiting in the offline queue, as the shopkeeper sees them (on the home, and on
 * the confirmation screen once « Envoyer » found no network): « En attente de réseau »
 * meanwhile, « Impossible d'envoyer : appelez le 17 » after a minute (the queue keeps
 * trying), and a refusal heard in the background with the 17 until read.
 */

import { getLang, t } from "../i18n";
import { useStore } from "../store";
import type { EntryView, Outbox } from "./outbox";

function clock(ms: number): string {
  return new Intl.DateTimeFormat(getLang() === "fr" ? "fr-FR" : "en-GB", {
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(ms));
}

/** One entry: what it is, where it stands; the status line is announced politely. */
export function OutboxItem({ view, outbox }: { view: EntryView; outbox: Outbox }) {
  const { entry, status } = view;
  return (
    <div class="stack outbox-item" data-incident={entry.incident} data-status={status}>
      <p>
        <strong>
          {t("outbox.item", { category: entry.label || entry.meta.category, time: clock(entry.queuedAt) })}
        </strong>
      </p>
      <div class="status" role="status" aria-live="polite">
        {status === "failed" ? null : <p>{t("outbox.waiting")}</p>}
      </div>
      {status === "call17" ? (
        <div class="callout callout-urgent" role="alert">
          <p>
            <strong>{t("outbox.call17Title")}</strong> {t("outbox.call17Text")}
          </p>
          <a href="tel:17" class="button button-danger button-block">
            {t("outbox.call17")}
          </a>
        </div>
      ) : null}
      {status === "failed" && entry.failure ? (
        <div class="callout callout-urgent" role="alert">
          <p>
            <strong>{t("outbox.failed", { reason: entry.failure.message })}</strong>{" "}
            {t("outbox.failedCall")}
          </p>
          <a href="tel:17" class="button button-danger button-block">
            {t("outbox.call17")}
          </a>
          <button
            type="button"
            class="button button-secondary button-block"
            onClick={() => void outbox.dismiss(entry.incident)}
          >
            {t("outbox.dismiss")}
          </button>
        </div>
      ) : null}
    </div>
  );
}

/** The home's list of this device's waiting reports (the discreet one stays unlisted). */
export function PendingReports({ outbox }: { outbox: Outbox }) {
  const { entries } = useStore(outbox.state);
  const shown = entries.filter((v) => !v.entry.discreet);
  if (shown.length === 0) return null;
  return (
    <section class="card stack outbox" aria-labelledby="outbox-title">
      <h2 id="outbox-title">{t("outbox.title")}</h2>
      <ul class="outbox-list">
        {shown.map((view) => (
          <li key={view.entry.incident}>
            <OutboxItem view={view} outbox={outbox} />
          </li>
        ))}
      </ul>
    </section>
  );
}

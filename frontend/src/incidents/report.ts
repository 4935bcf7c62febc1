/**
 * The report page's flow, apart from its screen: the report goes into the offline queue
 * (alert/outbox.ts) before its first attempt, with its ids, so that a network or server
 * stumble leaves it waiting on the device and every retry sends the very same report (the
 * server accepts it once). A refusal drops it: the form shows why, its draft intact.
 */

import { t, type MessageKey } from "../i18n";
import { createStore, type Store } from "../store";
import type { ReportMeta } from "./api";
import { FlowError } from "./context";
import {
  checkDraft,
  newReportIds,
  type SealedReport,
  type SendStep,
  type SentReport,
} from "./send";
import { composedEntry, sealedEntry, type Outbox, type OutboxEntry } from "../alert/outbox";

const STEP_KEYS: Record<SendStep, MessageKey> = {
  checking: "report.stepChecking",
  recipients: "report.stepRecipients",
  photos: "report.stepPhotos",
  sealing: "report.stepSealing",
  sending: "report.stepSending",
};

/**
 * A refusal that keeps the sealed bytes for « Réessayer » (the server's alert limit: the
 * same report may go later). Transport trouble never reaches the form: the report waits
 * in the offline queue instead (alert/outbox.ts).
 */
const KEEP_SEALED = new Set(["rate_limited"]);

/** These stop the whole send: the reporter must call 17 rather than wait. */
export const CALL_17_CODES = new Set([
  "no_police_recipient",
  "stale_revocations",
  "own_device_untrusted",
  // The server's limit: its French message says when the next alert is possible.
  "rate_limited",
]);

/** What the confirmation screen hands over: sealed content and clear metadata. */
export interface ReportInput {
  text: string;
  photos: readonly Blob[];
  /** The content object's `fields` (alert/descriptors.ts `sealedFields`). */
  fields?: Record<string, unknown>;
  meta?: ReportMeta | null;
  /** The category's label, for the queue's screens. */
  label?: string;
  /** Called once the report is kept on the device, before its first attempt. */
  stored?: () => void;
}

export interface ReportState {
  busy: boolean;
  /** The step being run, as a sentence for the live region. */
  status: string | null;
  error: FlowError | null;
  /** Sealed but refused for now (a limit): the next submit retries these bytes. */
  sealed: SealedReport | null;
  /** Kept on the device and waiting for the network (its id in the queue). */
  queued: string | null;
  sent: SentReport | null;
}

export type SubmitOutcome = "sent" | "queued" | "refused" | "busy";

export interface ReportFlow {
  state: Store<ReportState>;
  /** Queues the report (or the sealed report kept), tries it at once; what became of it. */
  submit(input: ReportInput): Promise<SubmitOutcome>;
  fail(error: FlowError | null): void;
  /** Back to an empty form after « Nouveau signalement ». */
  again(): void;
}

const asFlow = (err: unknown): FlowError =>
  err instanceof FlowError ? err : new FlowError("error", String(err));

const NO_META: ReportMeta = { category: "", severity: null, neighbours: false };

/** The photos as the queue keeps them until sealing (Blobs, as the draft does). */
const storedPhotos = (photos: readonly Blob[]) =>
  photos.map((blob) => ({ name: (blob as File).name || "photo", type: blob.type, blob }));

export function createReportFlow(commune: string, owner: string, outbox: Outbox): ReportFlow {
  const state = createStore<ReportState>({
    busy: false,
    status: null,
    error: null,
    sealed: null,
    queued: null,
    sent: null,
  });
  const onStep = (step: SendStep) => state.update({ status: t(STEP_KEYS[step]) });

  /** The queue delivers it later, this page still open: the normal « envoyé » screen. */
  function watch(incident: string) {
    const check = () => {
      const sent = outbox.state.get().sent[incident];
      if (!sent) return false;
      if (state.get().queued === incident) state.update({ queued: null, sent });
      return true;
    };
    if (check()) return;
    const stop = outbox.state.subscribe(() => {
      if (check()) stop();
    });
  }

  async function submit(input: ReportInput): Promise<SubmitOutcome> {
    if (state.get().busy) return "busy";
    state.update({ error: null, sent: null, busy: true });
    try {
      const pending = state.get().sealed;
      const now = Date.now();
      const label = input.label ?? input.meta?.category ?? "";
      let entry: OutboxEntry;
      if (pending) {
        entry = sealedEntry(pending, { owner, commune, label, now });
      } else {
        checkDraft(input.text, input.photos);
        entry = composedEntry({
          ...newReportIds(),
          owner,
          commune,
          label,
          meta: input.meta ?? NO_META,
          composed: {
            text: input.text,
            fields: input.fields ?? {},
            photos: storedPhotos(input.photos),
          },
          now,
        });
      }
      const attempt = await outbox.submit(entry, { onStep, stored: input.stored });
      if (attempt.outcome === "sent") {
        // The "sent" heading takes the focus and is read out: no status on top of it.
        state.update({ sealed: null, sent: attempt.sent, status: null });
        return "sent";
      }
      if (attempt.outcome === "refused") {
        state.update({
          status: null,
          error: attempt.error,
          sealed: KEEP_SEALED.has(attempt.error.code) ? attempt.sealed : null,
        });
        return "refused";
      }
      state.update({ status: null, sealed: null, queued: entry.incident });
      watch(entry.incident);
      return "queued";
    } catch (err) {
      state.update({ status: null, error: asFlow(err) });
      return "refused";
    } finally {
      state.update({ busy: false });
    }
  }

  return {
    state,
    submit,
    fail: (error) => state.update({ error }),
    again: () => state.update({ sent: null, queued: null }),
  };
}

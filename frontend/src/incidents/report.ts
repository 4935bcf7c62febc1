/**
 * The report page's flow, apart from its screen: seal once, deliver, and keep the sealed
 * bytes after a network or server stumble so that « Réessayer » sends the very same report
 * (the server accepts it once). A refusal drops them: it needs a fresh report.
 */

import { t, type MessageKey } from "../i18n";
import { createStore, type Store } from "../store";
import type { ReportMeta } from "./api";
import { FlowError } from "./context";
import {
  checkDraft,
  deliverReport,
  sealReport,
  type SealedReport,
  type SendStep,
  type SentReport,
} from "./send";

const STEP_KEYS: Record<SendStep, MessageKey> = {
  checking: "report.stepChecking",
  recipients: "report.stepRecipients",
  photos: "report.stepPhotos",
  sealing: "report.stepSealing",
  sending: "report.stepSending",
};

const RETRYABLE = new Set(["network", "server_error", "bad_response", "rate_limited"]);

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
}

export interface ReportState {
  busy: boolean;
  /** The step being run, as a sentence for the live region. */
  status: string | null;
  error: FlowError | null;
  /** Sealed but not delivered yet: the next submit retries these bytes. */
  sealed: SealedReport | null;
  sent: SentReport | null;
}

export interface ReportFlow {
  state: Store<ReportState>;
  /** Seals (or reuses the sealed report) and delivers; true once it went out. */
  submit(input: ReportInput): Promise<boolean>;
  fail(error: FlowError | null): void;
  /** Back to an empty form after « Nouveau signalement ». */
  again(): void;
}

const asFlow = (err: unknown): FlowError =>
  err instanceof FlowError ? err : new FlowError("error", String(err));

export function createReportFlow(commune: string): ReportFlow {
  const state = createStore<ReportState>({
    busy: false,
    status: null,
    error: null,
    sealed: null,
    sent: null,
  });
  const onStep = (step: SendStep) => state.update({ status: t(STEP_KEYS[step]) });

  async function deliver(report: SealedReport): Promise<boolean> {
    try {
      const done = await deliverReport(report, onStep);
      // The "sent" heading takes the focus and is read out: no status on top of it.
      state.update({ sealed: null, sent: done, status: null });
      return true;
    } catch (err) {
      const failure = asFlow(err);
      state.update({
        status: null,
        error: failure,
        sealed: RETRYABLE.has(failure.code) ? report : null,
      });
      return false;
    }
  }

  async function submit({ text, photos, fields = {}, meta = null }: ReportInput): Promise<boolean> {
    if (state.get().busy) return false;
    state.update({ error: null, sent: null, busy: true });
    try {
      const pending = state.get().sealed;
      if (pending) return await deliver(pending);
      checkDraft(text, photos);
      const report = await sealReport(commune, text, photos, onStep, fields, meta);
      state.update({ sealed: report });
      return await deliver(report);
    } catch (err) {
      state.update({ status: null, error: asFlow(err) });
      return false;
    } finally {
      state.update({ busy: false });
    }
  }

  return {
    state,
    submit,
    fail: (error) => state.update({ error }),
    again: () => state.update({ sent: null }),
  };
}

/**
 * « La police municipale n'est pas joignable : appelez le 17 », with a tel: link first,
 * shown before sending while the police is off duty or nobody is connected. The report
 * page renders it: <Unreachable reachability={useReachability()} />.
 */

import { t } from "../i18n";
import type { Reachability } from "./api";

export function Unreachable({ reachability }: { reachability: Reachability | null }) {
  if (!reachability || reachability.reachable) return null;
  return (
    <div class="callout callout-warning duty-unreachable" role="alert">
      <p>
        <strong>{t("duty.unreachable")}</strong>
      </p>
      <p>
        <a class="button button-primary" href="tel:17">
          {t("duty.call17")}
        </a>
      </p>
      <p>{t(reachability.onDuty ? "duty.nobodyConnected" : "duty.offDuty")}</p>
      {reachability.fallback ? <p>{t("duty.fallbackToo")}</p> : null}
    </div>
  );
}

/**
 * After sending while the police was not reachable: the report also went to the partner.
 * The report page renders it on its « envoyé » screen with the reachability it showed.
 */
export function SentToFallback({ reachability }: { reachability: Reachability | null }) {
  if (!reachability || reachability.reachable || !reachability.fallback) return null;
  return <p class="callout callout-info">{t("duty.sentToFallback")}</p>;
}

/**
 * The console's mark on a report that arrived while nobody could see it (the incident's
 * `reported_unreachable`, stored from maillage.duty.reachability at reception).
 */
export function ArrivedUnreachable({ flagged }: { flagged: boolean }) {
  if (!flagged) return null;
  return <span class="badge badge-unread">{t("duty.arrivedUnreachable")}</span>;
}

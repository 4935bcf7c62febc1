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

/** « Connexion perdue — reconnexion… » while the stream is down; a polite live region. */

import { t } from "../i18n";
import { useStreamStatus } from "./browser";

export function LiveBanner() {
  const { status } = useStreamStatus();
  return (
    <div class="live-banner" role="status" aria-live="polite">
      {status === "lost" ? <p>{t("live.lost")}</p> : null}
    </div>
  );
}

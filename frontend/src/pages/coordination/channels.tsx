/**
 * /coordination/joignabilite: the devices no channel reaches (no working notification, no
 * open police console), why, and each one's recent delivery attempts; live on the
 * `push.*` events (push/ChannelsPanel.tsx draws it, push/channels.ts holds it).
 */

import { t } from "../../i18n";
import { mayViewChannels } from "../../permissions";
import { ChannelsPanel } from "../../push/ChannelsPanel";
import { useSession } from "../../session";
import { MairieScreen } from "./frame";

export function ChannelsPage() {
  const { session } = useSession();
  return (
    <MairieScreen title={t("channels.title")}>
      {() =>
        mayViewChannels(session) ? (
          <ChannelsPanel />
        ) : (
          <p class="callout callout-warning">{t("coord.forbidden")}</p>
        )
      }
    </MairieScreen>
  );
}

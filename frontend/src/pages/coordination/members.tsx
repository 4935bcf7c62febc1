/** The commune's members, with suspend, reinstate and revoke (confirmed by the page). */

import { ErrorMessage, Loading } from "../../components/ui";
import type { MemberAction, MemberRow } from "../../coordination/api";
import { roleLabel, statusLabel, t } from "../../i18n";
import { Link } from "../../router";

export function MemberList(props: {
  items: MemberRow[] | null;
  error: string | null;
  selfId: string | undefined;
  onAction: (row: MemberRow, action: MemberAction) => void;
}) {
  return (
    <section aria-labelledby="members-title" class="card">
      <h2 id="members-title">{t("coord.membersTitle")}</h2>
      <ErrorMessage message={props.error} />
      {props.items === null && !props.error ? <Loading /> : null}
      {props.items?.length === 0 ? <p>{t("coord.noMembers")}</p> : null}
      {props.items && props.items.length > 0 ? (
        <ul class="rows">
          {props.items.map((row) => (
            <li key={row.id} class="row">
              <div>
                <p class="row-title">
                  {row.displayName}{" "}
                  <span class={`badge badge-${row.status}`}>{statusLabel(row.status)}</span>
                </p>
                <p class="row-detail">
                  {roleLabel(row.role, row.roleLabel)}
                  {row.shop?.enseigne ? ` · ${row.shop.enseigne}` : ""}
                  {" · "}
                  {t("coord.deviceCount", { count: String(row.devices.length) })}
                </p>
              </div>
              <p class="row-detail">
                <Link
                  href={`/coordination/membres/${encodeURIComponent(row.id)}`}
                  aria-label={t("mairie.devices.linkFor", {
                    name: row.displayName,
                    count: String(row.devices.length),
                  })}
                >
                  {t("mairie.devices.link", { count: String(row.devices.length) })}
                </Link>
              </p>
              {row.id !== props.selfId ? (
                <div class="row-actions">
                  {row.status === "active" ? (
                    <button
                      type="button"
                      class="button button-secondary"
                      onClick={() => props.onAction(row, "suspend")}
                      aria-label={t("coord.suspendFor", { name: row.displayName })}
                    >
                      {t("coord.suspend")}
                    </button>
                  ) : null}
                  {row.status === "suspended" ? (
                    <button
                      type="button"
                      class="button button-secondary"
                      onClick={() => props.onAction(row, "reinstate")}
                      aria-label={t("coord.reinstateFor", { name: row.displayName })}
                    >
                      {t("coord.reinstate")}
                    </button>
                  ) : null}
                  {row.status !== "revoked" ? (
                    <button
                      type="button"
                      class="button button-danger"
                      onClick={() => props.onAction(row, "revoke")}
                      aria-label={t("coord.revokeFor", { name: row.displayName })}
                    >
                      {t("coord.revoke")}
                    </button>
                  ) : null}
                </div>
              ) : (
                <p class="row-detail">{t("coord.you")}</p>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/** Devices waiting for this coordinator's signature, with fingerprints to compare aloud. */

import { useEffect, useState } from "preact/hooks";
import { ErrorMessage, Loading } from "../../components/ui";
import type { DeviceRow } from "../../coordination/api";
import { keyFingerprint } from "../../coordination/certify";
import { roleLabel, t } from "../../i18n";
import { groupForReading } from "../device";

export function PendingDevices(props: {
  items: DeviceRow[] | null;
  error: string | null;
  canApprove: boolean;
  busyId: string | null;
  onApprove: (row: DeviceRow) => void;
}) {
  const [prints, setPrints] = useState<Record<string, string>>({});
  useEffect(() => {
    for (const row of props.items ?? []) {
      if (row.signKey && !prints[row.id])
        void keyFingerprint(row.signKey)
          .then((value) => setPrints((p) => ({ ...p, [row.id]: value })))
          .catch(() => undefined);
    }
  }, [props.items]);
  return (
    <section aria-labelledby="pending-title" class="card">
      <h2 id="pending-title">{t("coord.pendingTitle")}</h2>
      <p class="hint">{t("coord.pendingHelp")}</p>
      <ErrorMessage message={props.error} />
      {props.items === null && !props.error ? <Loading /> : null}
      {props.items?.length === 0 ? <p>{t("coord.noPending")}</p> : null}
      {props.items && props.items.length > 0 ? (
        <ul class="rows">
          {props.items.map((row) => (
            <li key={row.id} class="row">
              <div>
                <p class="row-title">{row.memberName}</p>
                <p class="row-detail">
                  {roleLabel(row.role, row.roleLabel)}
                  {row.shop?.enseigne ? ` · ${row.shop.enseigne}` : ""} · {row.label}
                </p>
                {row.reason === "issuer_revoked" ? (
                  <p class="row-detail">{t("coord.recertify")}</p>
                ) : null}
                {prints[row.id] ? (
                  <p class="row-detail">
                    {t("coord.deviceFingerprint")}{" "}
                    <span class="fingerprint">{groupForReading(prints[row.id])}</span>
                  </p>
                ) : null}
              </div>
              {row.rootOnly ? (
                <p class="row-detail">{t("coord.rootOnly")}</p>
              ) : (
                <button
                  type="button"
                  class="button button-primary"
                  disabled={!props.canApprove || props.busyId !== null}
                  onClick={() => props.onApprove(row)}
                  aria-label={t("coord.approveFor", { name: row.memberName })}
                >
                  {props.busyId === row.id ? t("coord.approving") : t("coord.approve")}
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

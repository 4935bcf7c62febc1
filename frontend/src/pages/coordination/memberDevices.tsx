/**
 * /coordination/membres/:id: a member's devices in a table (name, state, dates, live
 * certificate), each revocable after a confirmation; the revocation list is signed on this
 * device (coordination/memberDevices.ts).
 */

import { useEffect, useState } from "preact/hooks";
import { ConfirmDialog, ErrorMessage, LiveStatus, Loading } from "../../components/ui";
import type { MemberDevice, MemberRow } from "../../coordination/api";
import { loadMember, mayRevoke, messageOf, revokeDevice } from "../../coordination/memberDevices";
import { formatDateTime, roleLabel, statusLabel, t } from "../../i18n";
import { useStreamEvent } from "../../live/browser";
import { useSession } from "../../session";
import { MairieScreen } from "./frame";

export function MemberDevicesPage(props: { member: string }) {
  return (
    <MairieScreen title={t("mairie.devices.title")}>
      {(commune) => <MemberDevices memberId={props.member} commune={commune} key={props.member} />}
    </MairieScreen>
  );
}

function MemberDevices(props: { memberId: string; commune: string | undefined }) {
  const { session } = useSession();
  const ownDevice = session?.device?.id;
  const [member, setMember] = useState<MemberRow | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<MemberDevice | null>(null);
  const [busy, setBusy] = useState(false);

  const load = async () => {
    try {
      setMember(await loadMember(props.memberId));
    } catch (err) {
      setError(messageOf(err));
    }
  };
  useEffect(() => {
    void load();
  }, [props.memberId]);
  useStreamEvent(
    ["device.registered", "device.certified", "device.revoked", "member.suspended", "member.revoked", "member.reinstated"],
    () => void load(),
  );

  const revoke = async () => {
    const device = confirm;
    setConfirm(null);
    if (!device) return;
    setBusy(true);
    setError(null);
    setStatus(t("mairie.devices.revoking", { label: device.label || t("mairie.devices.unnamed") }));
    try {
      await revokeDevice(props.commune, device);
      setStatus(t("mairie.devices.revoked", { label: device.label || t("mairie.devices.unnamed") }));
      await load();
    } catch (err) {
      setStatus(null);
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  if (member === undefined) return error ? <ErrorMessage message={error} /> : <Loading />;
  if (member === null) return <p class="callout callout-warning">{t("mairie.devices.memberNotFound")}</p>;

  const name = member.displayName;
  return (
    <>
      <section class="card" aria-labelledby="member-title">
        <h2 id="member-title">{name}</h2>
        <p>
          {roleLabel(member.role, member.roleLabel)}
          {member.shop?.enseigne ? ` · ${member.shop.enseigne}` : ""} ·{" "}
          <span class={`badge badge-${member.status}`}>{statusLabel(member.status)}</span>
        </p>
      </section>
      <ErrorMessage message={error} />
      <LiveStatus message={status} busy={busy} />
      <div class="table-scroll" role="region" aria-labelledby="devices-caption" tabIndex={0}>
        <table class="data-table">
          <caption id="devices-caption">{t("mairie.devices.caption", { name })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("mairie.devices.colLabel")}</th>
              <th scope="col">{t("mairie.devices.colStatus")}</th>
              <th scope="col">{t("mairie.devices.colCreated")}</th>
              <th scope="col">{t("mairie.devices.colCertificate")}</th>
              <th scope="col">{t("mairie.devices.colActions")}</th>
            </tr>
          </thead>
          <tbody>
            {member.devices.map((device) => {
              const label = device.label || t("mairie.devices.unnamed");
              return (
                <tr key={device.id}>
                  <th scope="row">
                    {label}
                    {device.fingerprint ? (
                      <span class="row-detail block">
                        {t("coord.deviceFingerprint")} <span class="mono">{device.fingerprint}</span>
                      </span>
                    ) : null}
                  </th>
                  <td>
                    <span class={`badge badge-${device.status}`}>{statusLabel(device.status)}</span>
                    {device.revokedAt ? (
                      <span class="row-detail block">{formatDateTime(device.revokedAt)}</span>
                    ) : null}
                  </td>
                  <td>{device.createdAt ? formatDateTime(device.createdAt) : ""}</td>
                  <td class="mono">{device.certificateSerial || t("mairie.devices.noCertificate")}</td>
                  <td>
                    {device.id === ownDevice ? (
                      <span>{t("mairie.devices.thisDevice")}</span>
                    ) : mayRevoke(device) ? (
                      <button
                        type="button"
                        class="button button-danger"
                        disabled={busy}
                        onClick={() => setConfirm(device)}
                        aria-label={t("mairie.devices.revokeFor", { label, name })}
                      >
                        {t("mairie.devices.revoke")}
                      </button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {member.devices.length === 0 ? <p>{t("mairie.devices.none")}</p> : null}
      </div>
      <ConfirmDialog
        open={confirm !== null}
        title={t("mairie.devices.confirmTitle")}
        confirmLabel={t("mairie.devices.revoke")}
        danger
        onConfirm={() => void revoke()}
        onCancel={() => setConfirm(null)}
      >
        <p>
          {t("mairie.devices.confirmText", {
            label: confirm?.label || t("mairie.devices.unnamed"),
            name,
          })}
        </p>
      </ConfirmDialog>
    </>
  );
}

/**
 * /coordination (coordinateur): invite people, approve devices (signing certificates on this
 * device), and suspend / reinstate / revoke members (signing revocation lists).
 */

import { useEffect, useMemo, useState } from "preact/hooks";
import { describeError } from "../api";
import {
  ConfirmDialog,
  CopyButton,
  ErrorMessage,
  Field,
  LiveStatus,
  Loading,
  usePageTitle,
} from "../components/ui";
import type {
  DeviceRow,
  InvitationCreated,
  InvitationRow,
  MemberAction,
  MemberRow,
} from "../coordination/api";
import { keyFingerprint, type Certifier } from "../coordination/certify";
import {
  checkInvitation,
  createCoordination,
  type CoordinationModel,
} from "../coordination/model";
import { roleLabel, statusLabel, t, formatDateTime } from "../i18n";
import { mayCoordinate } from "../permissions";
import { Link } from "../router";
import { useSession } from "../session";
import { useStore } from "../store";
import { ROLES, type Role, type Shop } from "../types";
import { groupForReading } from "./device";

/* ---------------------------------------------------------------- trust status ---- */

function TrustPanel(props: { certifier: Certifier | null; error: string | null; checking: boolean }) {
  const [print, setPrint] = useState("");
  useEffect(() => {
    if (props.certifier) void keyFingerprint(props.certifier.keys.signKey).then(setPrint);
  }, [props.certifier]);
  return (
    <section aria-labelledby="trust-title" class="card">
      <h2 id="trust-title">{t("coord.trustTitle")}</h2>
      {props.checking && !props.certifier ? <Loading /> : null}
      {props.certifier ? (
        <>
          <p class="ok">{t("coord.trustOk")}</p>
          <p>
            {t("coord.revocationNumber", { number: String(props.certifier.revocations.number) })}
          </p>
          {print ? (
            <p>
              {t("coord.ownFingerprint")}{" "}
              <span class="fingerprint">{groupForReading(print)}</span>
            </p>
          ) : null}
          {props.certifier.pinned.source === "server" ? (
            <p class="callout callout-warning">
              {t("coord.rootFromServer")}{" "}
              <span class="fingerprint">{props.certifier.pinned.fingerprint}</span>
            </p>
          ) : null}
        </>
      ) : null}
      {props.error ? <ErrorMessage message={props.error} /> : null}
    </section>
  );
}

/* ---------------------------------------------------------------- invitations ---- */

function InviteForm({ shops, model }: { shops: Shop[] | null; model: CoordinationModel }) {
  const [role, setRole] = useState<Role>("commercant");
  const [shop, setShop] = useState("");
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<InvitationCreated | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    const found = checkInvitation({ role, shop, name, email });
    setErrors(found);
    if (Object.keys(found).length) {
      document.getElementById(`invite-${Object.keys(found)[0]}`)?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      setResult(await model.invite({ role, shop, name, email }));
      setName("");
      setEmail("");
    } catch (err) {
      const message = describeError(err);
      const field = (err as { field?: string | null }).field;
      if (field) setErrors({ [field]: message });
      setError(message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="invite-title" class="card stack">
      <h2 id="invite-title">{t("coord.inviteTitle")}</h2>
      <form class="stack" onSubmit={submit} noValidate>
        <Field id="invite-role" label={t("coord.role")} error={errors.role}>
          {({ id, describedBy, invalid }) => (
            <select
              id={id}
              name="role"
              value={role}
              aria-describedby={describedBy}
              aria-invalid={invalid ? "true" : undefined}
              onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)}
            >
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {roleLabel(r)}
                </option>
              ))}
            </select>
          )}
        </Field>
        {role === "commercant" ? (
          <Field id="invite-shop" label={t("coord.shop")} error={errors.shop}>
            {({ id, describedBy, invalid }) => (
              <select
                id={id}
                name="shop"
                value={shop}
                required
                aria-describedby={describedBy}
                aria-invalid={invalid ? "true" : undefined}
                onChange={(e) => setShop((e.target as HTMLSelectElement).value)}
              >
                <option value="">{shops ? t("coord.chooseShop") : t("common.loading")}</option>
                {(shops ?? []).map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.enseigne}
                    {s.sector?.name ? ` (${s.sector.name})` : ""}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : null}
        <Field id="invite-display_name" label={t("coord.name")} error={errors.display_name}>
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              name="display_name"
              type="text"
              autoComplete="off"
              required
              maxLength={150}
              value={name}
              aria-describedby={describedBy}
              aria-invalid={invalid ? "true" : undefined}
              onInput={(e) => setName((e.target as HTMLInputElement).value)}
            />
          )}
        </Field>
        <Field id="invite-email" label={t("coord.email")} hint={t("coord.emailHint")} error={errors.email}>
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              name="email"
              type="email"
              autoComplete="off"
              value={email}
              aria-describedby={describedBy}
              aria-invalid={invalid ? "true" : undefined}
              onInput={(e) => setEmail((e.target as HTMLInputElement).value)}
            />
          )}
        </Field>
        <ErrorMessage message={error} />
        <button type="submit" class="button button-primary button-block" disabled={busy}>
          {t("coord.inviteSubmit")}
        </button>
      </form>
      {result ? (
        <div class="invite-result stack" role="status" aria-live="polite">
          <h3>{t("coord.inviteReady")}</h3>
          <p>{t("coord.inviteHelp")}</p>
          {result.qrSvg ? (
            <img
              class="qr"
              src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(result.qrSvg)}`}
              alt={t("coord.qrAlt")}
              width={240}
              height={240}
            />
          ) : null}
          <Field label={t("coord.link")}>
            {({ id, describedBy }) => (
              <input
                id={id}
                name="invitation-url"
                type="text"
                readOnly
                value={result.url}
                aria-describedby={describedBy}
                onFocus={(e) => (e.target as HTMLInputElement).select()}
              />
            )}
          </Field>
          <CopyButton text={result.url} label={t("coord.copyLink")} />
          {result.expiresAt ? (
            <p class="hint">{t("coord.expires", { date: formatDateTime(result.expiresAt) })}</p>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

function InvitationList(props: {
  items: InvitationRow[] | null;
  error: string | null;
  onCancel: (row: InvitationRow) => void;
}) {
  return (
    <section aria-labelledby="invitations-title" class="card">
      <h2 id="invitations-title">{t("coord.invitationsTitle")}</h2>
      <ErrorMessage message={props.error} />
      {props.items === null && !props.error ? <Loading /> : null}
      {props.items?.length === 0 ? <p>{t("coord.noInvitations")}</p> : null}
      {props.items && props.items.length > 0 ? (
        <ul class="rows">
          {props.items.map((row) => (
            <li key={row.id} class="row">
              <div>
                <p class="row-title">{row.displayName}</p>
                <p class="row-detail">
                  {roleLabel(row.role, row.roleLabel)}
                  {row.shop?.enseigne ? ` · ${row.shop.enseigne}` : ""}
                  {row.expiresAt
                    ? ` · ${t("coord.expires", { date: formatDateTime(row.expiresAt) })}`
                    : ""}
                </p>
              </div>
              <button
                type="button"
                class="button button-secondary"
                onClick={() => props.onCancel(row)}
                aria-label={t("coord.cancelInvitationFor", { name: row.displayName })}
              >
                {t("coord.cancelInvitation")}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/* ---------------------------------------------------------------- devices ---- */

function PendingDevices(props: {
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

/* ---------------------------------------------------------------- members ---- */

function MemberList(props: {
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

/* ---------------------------------------------------------------- page ---- */

type Confirm =
  | { kind: "member"; row: MemberRow; action: MemberAction }
  | { kind: "invitation"; row: InvitationRow };

export function CoordinationPage() {
  usePageTitle(t("coord.title"));
  const { session } = useSession();
  if (!session) return <Loading />;
  if (!mayCoordinate(session)) {
    return (
      <section aria-labelledby="coord-title" class="stack">
        <h1 id="coord-title">{t("coord.title")}</h1>
        <p class="callout callout-warning">{t("coord.forbidden")}</p>
        <p>
          <Link href="/" class="button button-primary">
            {t("enrol.goHome")}
          </Link>
        </p>
      </section>
    );
  }
  return <Coordination commune={session.membership?.commune?.id} communeName={session.membership?.commune?.name} selfId={session.membership?.id} />;
}

function Coordination(props: { commune?: string; communeName?: string; selfId?: string }) {
  const model = useMemo(() => createCoordination(props.commune), [props.commune]);
  const trust = useStore(model.trust);
  const invitations = useStore(model.invitations.state);
  const pending = useStore(model.pending.state);
  const members = useStore(model.members.state);
  const shops = useStore(model.shops.state);
  const { status, error, busyId } = useStore(model.page);
  const [confirm, setConfirm] = useState<Confirm | null>(null);

  useEffect(() => {
    void model.start();
  }, [model]);

  const onConfirm = () => {
    const current = confirm;
    setConfirm(null);
    if (!current) return;
    if (current.kind === "invitation") void model.cancel(current.row);
    else void model.memberAction(current.row, current.action);
  };

  const confirmText = (): { title: string; body: string; label: string; danger: boolean } => {
    if (!confirm) return { title: "", body: "", label: "", danger: false };
    if (confirm.kind === "invitation")
      return {
        title: t("coord.confirmCancelTitle"),
        body: t("coord.confirmCancelText", { name: confirm.row.displayName }),
        label: t("coord.cancelInvitation"),
        danger: false,
      };
    const name = confirm.row.displayName;
    switch (confirm.action) {
      case "suspend":
        return {
          title: t("coord.confirmSuspendTitle"),
          body: t("coord.confirmSuspendText", { name }),
          label: t("coord.suspend"),
          danger: false,
        };
      case "reinstate":
        return {
          title: t("coord.confirmReinstateTitle"),
          body: t("coord.confirmReinstateText", { name }),
          label: t("coord.reinstate"),
          danger: false,
        };
      default:
        return {
          title: t("coord.confirmRevokeTitle"),
          body: t("coord.confirmRevokeText", { name }),
          label: t("coord.revoke"),
          danger: true,
        };
    }
  };
  const dialog = confirmText();

  return (
    <div class="stack">
      <h1 id="coord-title">{t("coord.title")}</h1>
      {props.communeName ? <p class="lead">{props.communeName}</p> : null}
      <p>
        <button type="button" class="button button-secondary" onClick={() => void model.refresh()}>
          {t("coord.refresh")}
        </button>
      </p>
      <ErrorMessage message={error} />
      <LiveStatus message={status} />
      <TrustPanel certifier={trust.certifier} error={trust.error} checking={trust.checking} />
      <div class="grid">
        <InviteForm shops={shops.items} model={model} />
        <InvitationList
          items={invitations.items}
          error={invitations.error}
          onCancel={(row) => setConfirm({ kind: "invitation", row })}
        />
      </div>
      <PendingDevices
        items={pending.items}
        error={pending.error}
        canApprove={!!trust.certifier}
        busyId={busyId}
        onApprove={(row) => void model.approve(row)}
      />
      <MemberList
        items={members.items}
        error={members.error}
        selfId={props.selfId}
        onAction={(row, action) => setConfirm({ kind: "member", row, action })}
      />
      <ConfirmDialog
        open={confirm !== null}
        title={dialog.title}
        confirmLabel={dialog.label}
        danger={dialog.danger}
        onConfirm={onConfirm}
        onCancel={() => setConfirm(null)}
      >
        <p>{dialog.body}</p>
      </ConfirmDialog>
    </div>
  );
}

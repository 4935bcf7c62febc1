/**
 * /coordination (coordinateur): invite people, approve devices (signing certificates on this
 * device), and suspend / reinstate / revoke members (signing revocation lists). The data
 * and flows live in coordination/model.ts; these components draw them.
 */

import { useEffect, useMemo, useState } from "preact/hooks";
import {
  ConfirmDialog,
  ErrorMessage,
  LiveStatus,
  Loading,
  usePageTitle,
} from "../../components/ui";
import type { InvitationRow, MemberAction, MemberRow } from "../../coordination/api";
import { createCoordination } from "../../coordination/model";
import { t } from "../../i18n";
import { can, mayCoordinate, PERMISSION } from "../../permissions";
import { Link } from "../../router";
import { useSession } from "../../session";
import type { Session } from "../../types";
import { useStreamEvent, useStreamResync } from "../../live/browser";
import { LiveBanner } from "../../live/LiveBanner";
import { PushConsentPanel } from "../../push/PushConsent";
import { useStore } from "../../store";
import { PendingDevices } from "./devices";
import { MairieNav } from "./frame";
import { InvitationList, InviteForm } from "./invitations";
import { MemberList } from "./members";
import { TrustPanel } from "./trust";

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
  const membership = session.membership;
  return (
    <Coordination
      commune={membership?.commune?.id}
      communeName={membership?.commune?.name}
      selfId={membership?.id}
      mayInvite={can(session, PERMISSION.inviteMember)}
      mayCertify={can(session, PERMISSION.certifyDevice)}
      session={session}
    />
  );
}

function Coordination(props: {
  commune?: string;
  communeName?: string;
  selfId?: string;
  mayInvite: boolean;
  mayCertify: boolean;
  session: Session;
}) {
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

  // Live: a new device waiting appears at once; approvals made elsewhere leave the list.
  const [liveNote, setLiveNote] = useState<string | null>(null);
  useStreamEvent(
    ["device.registered", "device.certified", "device.revoked", "member.enrolled"],
    (event) => {
      void model.pending.reload();
      void model.members.reload();
      if (event.kind === "member.enrolled") void model.invitations.reload();
      if (event.kind === "device.registered" || event.kind === "member.enrolled")
        setLiveNote(t("coord.newPending"));
    },
  );
  useStreamEvent(
    ["member.suspended", "member.reinstated", "member.revoked", "invitation.created", "invitation.cancelled"],
    (event) => {
      if (event.kind.startsWith("invitation.")) void model.invitations.reload();
      else void model.members.reload();
    },
  );
  useStreamResync(() => void model.start());

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
      <MairieNav />
      {props.communeName ? <p class="lead">{props.communeName}</p> : null}
      <p>
        <button type="button" class="button button-secondary" onClick={() => void model.refresh()}>
          {t("coord.refresh")}
        </button>
      </p>
      <ErrorMessage message={error} />
      <LiveStatus message={status} />
      <LiveBanner />
      <LiveStatus message={liveNote} />
      <TrustPanel certifier={trust.certifier} error={trust.error} checking={trust.checking} />
      {props.mayInvite ? (
        <div class="grid">
          <InviteForm shops={shops.items} model={model} />
          <InvitationList
            items={invitations.items}
            error={invitations.error}
            onCancel={(row) => setConfirm({ kind: "invitation", row })}
          />
        </div>
      ) : null}
      <PendingDevices
        items={pending.items}
        error={pending.error}
        canApprove={props.mayCertify && !!trust.certifier}
        busyId={busyId}
        onApprove={(row) => void model.approve(row)}
      />
      <MemberList
        items={members.items}
        error={members.error}
        selfId={props.selfId}
        onAction={(row, action) => setConfirm({ kind: "member", row, action })}
      />
      <PushConsentPanel session={props.session} />
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

/** Accueil: what this person can do now, from what the server says they may do. */

import { useEffect, useMemo } from "preact/hooks";
import { ErrorMessage, LiveStatus, Loading, usePageTitle } from "../components/ui";
import { createMyReports, fromPolice } from "../incidents/mine";
import { formatDateTime, roleLabel, t } from "../i18n";
import { useStreamEvent, useStreamResync } from "../live/browser";
import { LiveBanner } from "../live/LiveBanner";
import { useStore } from "../store";
import { Message, StateBadge } from "./console";
import { LIFECYCLE_KINDS, REPORTED } from "../incidents/lifecycle";
import { useMeta } from "../meta";
import { Link } from "../router";
import { homeKind, mayReadBroadcasts, mayReport } from "../permissions";
import { createDraftStore } from "../alert/draft";
import { AlertPanel, DiscreetStatus, useDiscreetAlert } from "../alert/home";
import { categoryLabel, severityLabel } from "../alert/catalogue";
import { PoliceMessages } from "./broadcasts";
import { PushConsentPanel } from "../push/PushConsent";
import { ExerciseBanner, useExercise } from "../incidents/Exercise";
import { ActiveAlerts } from "../neighbours/ActiveAlerts";
import { CrisisBanner } from "../crisis/CrisisBanner";
import { loadSession, useSession, useSessionRecheck } from "../session";
import type { Session } from "../types";
import { DeviceFingerprint, RegisterDevice } from "./device";
import { usePasskeySignIn } from "./signin";

function Welcome({ demo }: { demo: boolean }) {
  usePageTitle(t("home.welcomeTitle"));
  // One tap from the home page straight into the passkey prompt.
  const { signIn, busy, status, error } = usePasskeySignIn();
  return (
    <section aria-labelledby="home-title" class="stack">
      <h1 id="home-title">{t("home.welcomeTitle")}</h1>
      <p class="lead">{t("home.welcomeLead")}</p>
      <ErrorMessage message={error} />
      <LiveStatus message={status} busy={busy} />
      <p>
        <button
          type="button"
          class="button button-primary button-block"
          onClick={() => void signIn()}
          disabled={busy}
        >
          {t("home.signinPasskey")}
        </button>
      </p>
      <div class="card">
        <h2>{t("home.invitedTitle")}</h2>
        <p>{t("home.invitedText")}</p>
      </div>
      {demo ? (
        <p>
          <Link href="/demo" class="button button-secondary button-block">
            {t("home.demoLink")}
          </Link>
        </p>
      ) : null}
    </section>
  );
}

function Pending({ session }: { session: Session }) {
  usePageTitle(t("home.pendingTitle"));
  return (
    <section aria-labelledby="home-title" class="stack">
      <h1 id="home-title">{t("home.pendingTitle")}</h1>
      <p class="callout callout-info">{t("home.pendingText")}</p>
      {session.membership?.commune?.name ? (
        <p>{t("home.pendingCommune", { commune: session.membership.commune.name })}</p>
      ) : null}
      {session.device ? <DeviceFingerprint /> : <RegisterDevice />}
      <p>
        <button type="button" class="button button-secondary" onClick={() => void loadSession()}>
          {t("home.refresh")}
        </button>
      </p>
    </section>
  );
}

function Blocked({ status }: { status: "suspended" | "revoked" }) {
  const title = status === "suspended" ? t("home.suspendedTitle") : t("home.revokedTitle");
  usePageTitle(title);
  return (
    <section aria-labelledby="home-title" class="stack">
      <h1 id="home-title">{title}</h1>
      <p class="callout callout-warning">
        {status === "suspended" ? t("home.suspendedText") : t("home.revokedText")}
      </p>
    </section>
  );
}

/**
 * The merchant's home IS the alert: the category buttons first (under the thumb on a
 * phone), then what is pending (a draft not sent) and what was sent (live status), the
 * police's messages, the shop's facts and reports. The shop's name, held for 2 seconds,
 * is the discreet alert (docs/decisions.md, « Alerte discrète »).
 */
function MerchantHome({ session }: { session: Session }) {
  const shop = session.membership?.shop;
  const commune = session.membership?.commune?.id ?? null;
  const device = session.device?.id ?? null;
  usePageTitle(shop?.enseigne || t("home.shopTitle"));
  const drafts = useMemo(() => (device ? createDraftStore(device) : null), [device]);
  const discreet = useDiscreetAlert(mayReport(session) ? commune : null, device, drafts);
  const [exercise] = useExercise(session.permissions.includes("incidents.view_exercises"));
  return (
    <section aria-labelledby="home-title" class="stack alert-home">
      <CrisisBanner session={session} />
      <ExerciseBanner exercise={exercise} />
      <div>
        <p class="eyebrow">{t("home.shopEyebrow")}</p>
        <h1 id="home-title" class="discreet-target" {...discreet.handlers}>
          {shop?.enseigne || t("home.shopTitle")}
        </h1>
        <DiscreetStatus state={discreet.state} />
      </div>
      <ActiveAlerts session={session} />
      {drafts && device && commune && mayReport(session) ? (
        <AlertPanel drafts={drafts} owner={device} commune={commune} />
      ) : null}
      <div class="callout callout-urgent alert-17">
        <p>
          <strong>{t("alert.emergencyShort")}</strong> {t("home.emergencyText")}
        </p>
        <a href="tel:17" class="button button-danger button-block">
          {t("home.call17")}
        </a>
      </div>
      <p>
        <Link href="/signaler" class="button button-secondary button-block">
          {t("home.reportLink")}
        </Link>
      </p>
      {mayReadBroadcasts(session) && session.membership?.commune?.id ? (
        <PoliceMessages commune={session.membership.commune.id} />
      ) : null}
      <PushConsentPanel session={session} />
      <dl class="facts">
        {shop?.sector?.name ? (
          <div>
            <dt>{t("home.sector")}</dt>
            <dd>{shop.sector.name}</dd>
          </div>
        ) : null}
        {shop?.address ? (
          <div>
            <dt>{t("home.address")}</dt>
            <dd>{shop.address}</dd>
          </div>
        ) : null}
        {session.membership?.commune?.name ? (
          <div>
            <dt>{t("home.commune")}</dt>
            <dd>{session.membership.commune.name}</dd>
          </div>
        ) : null}
        {session.person?.display_name ? (
          <div>
            <dt>{t("home.signedInAs")}</dt>
            <dd>{session.person.display_name}</dd>
          </div>
        ) : null}
      </dl>
      {commune ? <MyReportsSection commune={commune} device={device} /> : null}
    </section>
  );
}

/** The shop's own reports, live: new police replies marked, the exchange decrypted here. */
function MyReportsSection({ commune, device }: { commune: string; device: string | null }) {
  const model = useMemo(() => createMyReports(commune, device), [commune, device]);
  const { incidents, replied, expanded, thread, alert, error } = useStore(model.state);
  useEffect(() => {
    void model.start();
  }, [model]);
  useStreamEvent(["incident.reported", "message.posted", ...LIFECYCLE_KINDS], (event) =>
    void model.live(event),
  );
  useStreamResync(() => void model.reload());
  return (
    <section aria-labelledby="reports-title" class="stack">
      <h2 id="reports-title">{t("home.reportsTitle")}</h2>
      <LiveBanner />
      <div class="status" role="status" aria-live="polite">
        {alert ? <p>{alert}</p> : null}
      </div>
      <ErrorMessage message={error} />
      {incidents === null && !error ? <Loading /> : null}
      {incidents?.length === 0 ? <p>{t("home.noReports")}</p> : null}
      {incidents && incidents.length > 0 ? (
        <ul class="incident-list">
          {incidents.map((item) => {
            const date = formatDateTime(item.createdAt);
            const isOpen = expanded === item.id;
            return (
              <li key={item.id} class={replied.has(item.id) ? "card incident-unread" : "card"}>
                <div class="stack">
                  <p>
                    {replied.has(item.id) ? (
                      <>
                        <span class="badge badge-new">{t("home.newReply")}</span>{" "}
                      </>
                    ) : null}
                    <strong>
                      {item.category
                        ? t("alert.reportLine", { category: categoryLabel(item.category), date })
                        : t("home.reportLine", { date })}
                    </strong>
                  </p>
                  <p class="hint">
                    {item.severity
                      ? `${t("alert.metaSeverity", { severity: severityLabel(item.severity) })}. `
                      : null}
                    {t("home.reportStatus")} {t("home.reportMessages", { count: item.messages })}
                  </p>
                  <p>
                    <StateBadge lifecycle={item.lifecycle ?? REPORTED} />
                  </p>
                  <p>
                    <button
                      type="button"
                      class="button button-secondary"
                      aria-expanded={isOpen ? "true" : "false"}
                      aria-controls={isOpen ? `thread-${item.id}` : undefined}
                      onClick={() => void model.toggle(item.id)}
                    >
                      {isOpen ? t("home.hideThread") : t("home.showThread", { date })}
                    </button>
                  </p>
                  {isOpen ? (
                    <div id={`thread-${item.id}`}>
                      {thread === null ? (
                        <Loading />
                      ) : (
                        <ul class="message-list">
                          {thread.map((view) => (
                            <Message
                              key={view.id}
                              view={view}
                              police={fromPolice(view)}
                              from={fromPolice(view) ? t("home.fromPolice") : t("home.fromShop")}
                            />
                          ))}
                        </ul>
                      )}
                    </div>
                  ) : null}
                </div>
              </li>
            );
          })}
        </ul>
      ) : null}
    </section>
  );
}

/** A staff member's home: one greeting and the one door to their workspace. */
function WorkspaceHome({
  session,
  title,
  lead,
  href,
  action,
}: {
  session: Session;
  title: string;
  lead: string;
  href: string;
  action: string;
}) {
  usePageTitle(title);
  return (
    <section aria-labelledby="home-title" class="stack">
      <h1 id="home-title">
        {t("home.hello", { name: session.person?.display_name ?? "" })}
      </h1>
      <p class="lead">{lead}</p>
      <p>
        <Link href={href} class="button button-primary button-block">
          {action}
        </Link>
      </p>
    </section>
  );
}

function CoordinatorHome({ session }: { session: Session }) {
  return (
    <WorkspaceHome
      session={session}
      title={t("home.coordinatorTitle")}
      lead={t("home.coordinatorLead", { commune: session.membership?.commune?.name ?? "" })}
      href="/coordination"
      action={t("home.openCoordination")}
    />
  );
}

function OperatorHome({ session }: { session: Session }) {
  return (
    <WorkspaceHome
      session={session}
      title={t("home.operatorTitle")}
      lead={t("home.operatorLead", { commune: session.membership?.commune?.name ?? "" })}
      href="/console"
      action={t("home.openConsole")}
    />
  );
}

function AgentHome({ session }: { session: Session }) {
  return (
    <WorkspaceHome
      session={session}
      title={t("home.agentTitle")}
      lead={t("home.agentLead", { commune: session.membership?.commune?.name ?? "" })}
      href="/agent"
      action={t("home.openAgent")}
    />
  );
}

function OtherRoleHome({ session }: { session: Session }) {
  usePageTitle(t("home.hello", { name: session.person?.display_name ?? "" }));
  const role = session.membership?.role;
  if (role === "partenaire") {
    return (
      <section aria-labelledby="home-title" class="stack">
        <h1 id="home-title">
          {t("home.hello", { name: session.person?.display_name ?? "" })}
        </h1>
        <p>{t("duty.partnerLead")}</p>
        <p>
          <Link href="/repli" class="button button-primary button-block">
            {t("duty.partnerTitle")}
          </Link>
        </p>
      </section>
    );
  }
  return (
    <section aria-labelledby="home-title" class="stack">
      <h1 id="home-title">
        {t("home.hello", { name: session.person?.display_name ?? "" })}
      </h1>
      <p>
        {t("home.roleSoon", {
          role: role ? roleLabel(role) : "",
          commune: session.membership?.commune?.name ?? "",
        })}
      </p>
    </section>
  );
}

function NewDevice() {
  usePageTitle(t("device.newTitle"));
  return (
    <section aria-labelledby="home-title" class="stack">
      <h1 id="home-title">{t("device.newTitle")}</h1>
      <RegisterDevice />
    </section>
  );
}

function DevicePending() {
  usePageTitle(t("device.pendingTitle"));
  return (
    <section aria-labelledby="home-title" class="stack">
      <h1 id="home-title">{t("device.pendingTitle")}</h1>
      <p class="callout callout-info">{t("device.pendingText")}</p>
      <DeviceFingerprint />
      <p>
        <button type="button" class="button button-secondary" onClick={() => void loadSession()}>
          {t("home.refresh")}
        </button>
      </p>
    </section>
  );
}

export function HomePage() {
  const { session } = useSession();
  const meta = useMeta();
  useSessionRecheck();

  if (!session) return <Loading />;
  if (!session.authenticated || !session.membership) return <Welcome demo={!!meta?.demo_mode} />;
  const { status } = session.membership;
  if (status === "pending") return <Pending session={session} />;
  if (status === "suspended" || status === "revoked") return <Blocked status={status} />;
  if (!session.device) return <NewDevice />;
  if (session.device.status === "pending") return <DevicePending />;
  switch (homeKind(session)) {
    case "merchant":
      return <MerchantHome session={session} />;
    case "coordinator":
      return <CoordinatorHome session={session} />;
    case "operator":
      return <OperatorHome session={session} />;
    case "agent":
      return <AgentHome session={session} />;
    default:
      return <OtherRoleHome session={session} />;
  }
}

/**
 * /rejoindre#jeton=…&racine=… : enrolment from an invitation link.
 * The fragment never reaches the server: the token is sent in request bodies, the root
 * fingerprint never (it is pinned on this device and compared with what the server claims).
 * The flow lives in members/enrolment.ts; this file draws it.
 */

import { useEffect, useState } from "preact/hooks";
import { ApiError, describeError } from "../api";
import { ErrorMessage, Field, LiveStatus, Loading, usePageTitle } from "../components/ui";
import { PasskeyError, passkeysSupported } from "../device/webauthn";
import { roleLabel, t, type MessageKey } from "../i18n";
import {
  completeEnrolment,
  InvitationRefused,
  openInvitation,
  parseInvitationFragment,
  type EnrolmentStep,
  type Invitation,
} from "../members/enrolment";
import { Link } from "../router";
import { useSession } from "../session";
import { defaultDeviceLabel } from "./device";

type Phase =
  | { kind: "invalid" }
  | { kind: "opening" }
  | { kind: "refused"; message: string }
  | { kind: "ready"; invitation: Invitation }
  | { kind: "done"; invitation: Invitation };

const STEP_KEYS: Record<EnrolmentStep, MessageKey> = {
  keys: "enrol.stepKeys",
  options: "enrol.stepOptions",
  passkey: "enrol.stepPasskey",
  complete: "enrol.stepComplete",
};

export function EnrolPage() {
  usePageTitle(t("enrol.title"));
  const [link] = useState(() => parseInvitationFragment(window.location.hash));
  const [phase, setPhase] = useState<Phase>(link ? { kind: "opening" } : { kind: "invalid" });
  const [accepted, setAccepted] = useState(false);
  const [label, setLabel] = useState(defaultDeviceLabel());
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [step, setStep] = useState<string | null>(null);
  const { session } = useSession();

  useEffect(() => {
    if (!link) return;
    openInvitation(link)
      .then((invitation) => setPhase({ kind: "ready", invitation }))
      .catch((err) =>
        setPhase({
          kind: "refused",
          message: err instanceof InvitationRefused ? err.message : describeError(err),
        }),
      );
  }, [link]);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (phase.kind !== "ready" || !link) return;
    setError(null);
    if (!accepted) {
      setFieldError(t("enrol.mustAccept"));
      document.getElementById("charter-accept")?.focus();
      return;
    }
    setFieldError(null);
    const invitation = phase.invitation;
    try {
      await completeEnrolment(link, invitation, label.trim() || defaultDeviceLabel(), (next) =>
        setStep(t(STEP_KEYS[next])),
      );
      setStep(null);
      setPhase({ kind: "done", invitation });
    } catch (err) {
      setStep(null);
      if (err instanceof PasskeyError) {
        setError(
          err.reason === "cancelled"
            ? t("passkey.cancelled")
            : err.reason === "unsupported"
              ? t("passkey.unsupported")
              : err.reason === "already_registered"
                ? t("passkey.alreadyRegistered")
                : t("passkey.failed"),
        );
      } else if (err instanceof ApiError) {
        setError(describeError(err));
      } else {
        setError(t("enrol.failed"));
      }
    }
  };

  if (phase.kind === "invalid" && session?.authenticated) {
    return (
      <section aria-labelledby="enrol-title" class="stack">
        <h1 id="enrol-title">{t("enrol.title")}</h1>
        <p>{t("enrol.alreadyEnrolled")}</p>
        <p>
          <Link href="/" class="button button-primary button-block">
            {t("enrol.goHome")}
          </Link>
        </p>
      </section>
    );
  }
  if (phase.kind === "invalid") {
    return (
      <section aria-labelledby="enrol-title" class="stack">
        <h1 id="enrol-title">{t("enrol.title")}</h1>
        <ErrorMessage message={t("enrol.badLink")} />
        <p>{t("enrol.badLinkHelp")}</p>
      </section>
    );
  }
  if (phase.kind === "opening") return <Loading />;
  if (phase.kind === "refused") {
    return (
      <section aria-labelledby="enrol-title" class="stack">
        <h1 id="enrol-title">{t("enrol.title")}</h1>
        <ErrorMessage message={phase.message} />
        <p>{t("enrol.askNewLink")}</p>
      </section>
    );
  }
  if (phase.kind === "done") {
    return (
      <section aria-labelledby="enrol-title" class="stack">
        <h1 id="enrol-title">{t("enrol.doneTitle")}</h1>
        <p class="callout callout-info" role="status">
          {t("home.pendingText")}
        </p>
        <p>{t("enrol.doneText")}</p>
        <p>
          <Link href="/" class="button button-primary button-block">
            {t("enrol.goHome")}
          </Link>
        </p>
      </section>
    );
  }

  const { invitation } = phase;
  const busy = step !== null;
  return (
    <section aria-labelledby="enrol-title" class="stack">
      <h1 id="enrol-title">{t("enrol.title")}</h1>
      <p class="lead">
        {t("enrol.invitedBy", { commune: invitation.commune?.name ?? "" })}
      </p>
      <dl class="facts">
        {invitation.displayName ? (
          <div>
            <dt>{t("enrol.name")}</dt>
            <dd>{invitation.displayName}</dd>
          </div>
        ) : null}
        <div>
          <dt>{t("enrol.commune")}</dt>
          <dd>{invitation.commune?.name}</dd>
        </div>
        <div>
          <dt>{t("enrol.role")}</dt>
          <dd>{roleLabel(invitation.role, invitation.roleLabel)}</dd>
        </div>
        {invitation.shop ? (
          <div>
            <dt>{t("enrol.shop")}</dt>
            <dd>
              {invitation.shop.enseigne}
              {invitation.shop.address ? `, ${invitation.shop.address}` : ""}
            </dd>
          </div>
        ) : null}
      </dl>
      <form class="stack" onSubmit={submit} noValidate>
        <section aria-labelledby="charter-title" class="card">
          <h2 id="charter-title">
            {t("enrol.charterTitle", { version: String(invitation.charterVersion) })}
          </h2>
          <div class="charter" tabIndex={0} aria-labelledby="charter-title">
            {invitation.charterText.split(/\n{2,}/).map((paragraph, i) => (
              <p key={i}>{paragraph}</p>
            ))}
          </div>
        </section>
        <div class={fieldError ? "checkbox field-invalid" : "checkbox"}>
          <input
            id="charter-accept"
            name="charter"
            type="checkbox"
            checked={accepted}
            required
            aria-invalid={fieldError ? "true" : undefined}
            aria-describedby={fieldError ? "charter-accept-error" : undefined}
            onChange={(e) => setAccepted((e.target as HTMLInputElement).checked)}
          />
          <label for="charter-accept">{t("enrol.accept")}</label>
        </div>
        {fieldError ? (
          <p class="field-error" id="charter-accept-error">
            {fieldError}
          </p>
        ) : null}
        <Field label={t("device.labelField")} hint={t("device.labelHint")}>
          {({ id, describedBy }) => (
            <input
              id={id}
              name="device-label"
              type="text"
              autoComplete="off"
              maxLength={100}
              value={label}
              aria-describedby={describedBy}
              onInput={(e) => setLabel((e.target as HTMLInputElement).value)}
            />
          )}
        </Field>
        <p class="hint">{t("enrol.passkeyExplain")}</p>
        {!passkeysSupported() ? <ErrorMessage message={t("passkey.unsupported")} /> : null}
        <ErrorMessage message={error} />
        <LiveStatus message={step} busy={busy} />
        <button type="submit" class="button button-primary button-block" disabled={busy}>
          {t("enrol.submit")}
        </button>
      </form>
    </section>
  );
}

/**
 * « Notifications sur cet appareil » (docs/decisions.md « Web Push », « Asking for consent,
 * on screen »): a ticked consent, then « Activer les notifications »; once on, « Ne plus
 * recevoir de notifications ». Only for a certified device: the server keeps no other's.
 * The shell's `usePushRenewal` renews a subscription consent was already given for.
 */

import { useEffect, useId, useMemo, useState } from "preact/hooks";
import { ErrorMessage, LiveStatus } from "../components/ui";
import { t } from "../i18n";
import { mayReceivePush } from "../permissions";
import { useStore } from "../store";
import type { Session } from "../types";
import { browserPush, pushConsentFor, type ConsentError, type ConsentState } from "./subscription";

function errorText(error: ConsentError): string {
  switch (error.code) {
    case "consent":
      return t("push.consent.needAgree");
    case "denied":
      return t("push.consent.denied");
    case "unsupported":
      return t("push.consent.unsupported");
    case "needs-install":
      return t("push.consent.needsInstall");
    case "not-certified":
      return error.message;
    default:
      return t("push.consent.failed", { message: error.message });
  }
}

function statusText(state: ConsentState, stopped: boolean): string | null {
  if (state.kind === "working") {
    return state.toward === "on" ? t("push.consent.enabling") : t("push.consent.withdrawing");
  }
  if (state.kind === "on") return t("push.consent.on");
  if (state.kind === "off" && stopped) return t("push.consent.off");
  return null;
}

export function PushConsent({ device }: { device: string }) {
  const model = useMemo(() => pushConsentFor(device), [device]);
  const state = useStore(model.state);
  const [agreed, setAgreed] = useState(false);
  const [stopped, setStopped] = useState(false);
  const id = useId();
  useEffect(() => {
    void model.load();
  }, [model]);

  const working = state.kind === "working";
  const held =
    state.kind === "on" ||
    (state.kind === "error" && state.id !== null) ||
    (working && state.toward === "off");
  const error =
    state.kind === "error"
      ? errorText(state.error)
      : state.kind === "denied" && state.asked
        ? t("push.consent.denied")
        : null;
  const needAgree = state.kind === "error" && state.error.code === "consent";

  const enable = () => {
    setStopped(false);
    void model.enable(agreed);
  };
  const withdraw = () => {
    void model.withdraw().then(() => {
      setAgreed(false);
      setStopped(model.state.get().kind === "off");
    });
  };

  let body;
  if (state.kind === "unsupported") {
    body = <p class="callout callout-info">{t("push.consent.unsupported")}</p>;
  } else if (state.kind === "needs-install") {
    body = (
      <>
        <p class="callout callout-info">{t("push.consent.needsInstall")}</p>
        <p class="hint">{t("push.consent.needsInstallHow")}</p>
      </>
    );
  } else if (state.kind === "denied") {
    body = state.asked ? null : <p class="callout callout-warning">{t("push.consent.denied")}</p>;
  } else if (held) {
    body = (
      <>
        <p class="hint">{t("push.consent.onHint")}</p>
        <p>
          <button type="button" class="button button-secondary" disabled={working} onClick={withdraw}>
            {t("push.consent.withdraw")}
          </button>
        </p>
      </>
    );
  } else {
    body = (
      <>
        <p>{t("push.consent.lead")}</p>
        <div class={needAgree ? "checkbox field-invalid" : "checkbox"}>
          <input
            id={`${id}-agree`}
            type="checkbox"
            checked={agreed}
            aria-invalid={needAgree ? "true" : undefined}
            aria-describedby={needAgree ? `${id}-error` : undefined}
            onChange={(e) => setAgreed((e.target as HTMLInputElement).checked)}
          />
          <label for={`${id}-agree`}>{t("push.consent.agree")}</label>
        </div>
        <p>
          <button
            type="button"
            class="button button-primary"
            disabled={working || state.kind === "loading"}
            onClick={enable}
          >
            {t("push.consent.enable")}
          </button>
        </p>
      </>
    );
  }

  return (
    <section class="card stack push-consent" aria-labelledby={`${id}-title`} data-push={state.kind}>
      <h2 id={`${id}-title`}>{t("push.consent.title")}</h2>
      {body}
      <LiveStatus message={statusText(state, stopped)} busy={working} />
      <ErrorMessage message={error} id={`${id}-error`} />
    </section>
  );
}

/** The panel, where the session's device is certified (else nothing). */
export function PushConsentPanel({ session }: { session: Session | null | undefined }) {
  const device = session?.device?.id;
  if (!device || !mayReceivePush(session)) return null;
  return <PushConsent device={device} />;
}

/**
 * At every start of the app, on any page: a device whose person consented before gets a
 * fresh subscription without being asked, when its old one is gone (subscription.ts
 * `mayRenewSilently`). Nothing is read while the browser does not allow notifications.
 */
export function usePushRenewal(session: Session | null): void {
  const device = session && mayReceivePush(session) ? (session.device?.id ?? null) : null;
  useEffect(() => {
    if (!device || typeof Notification === "undefined") return;
    if (browserPush().support() !== "ok" || Notification.permission !== "granted") return;
    void pushConsentFor(device).load();
  }, [device]);
}

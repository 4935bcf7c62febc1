/** /connexion: passkey sign-in, then (on a new browser) registering this browser as a device. */

import { useState } from "preact/hooks";
import { describeError } from "../api";
import { ErrorMessage, LiveStatus, usePageTitle } from "../components/ui";
import { PasskeyError, passkeysSupported } from "../device/webauthn";
import { t, type MessageKey } from "../i18n";
import { signInWithPasskey, type SignInStep } from "../members/signin";
import { Link, navigate } from "../router";
import { useSession } from "../session";
import { RegisterDevice } from "./device";

export function passkeyErrorMessage(err: PasskeyError): string {
  switch (err.reason) {
    case "cancelled":
      return t("passkey.signinCancelled");
    case "unsupported":
      return t("passkey.unsupported");
    case "already_registered":
      return t("passkey.alreadyRegistered");
    default:
      return t("passkey.failed");
  }
}

const STEP_KEYS: Record<SignInStep, MessageKey> = {
  options: "signin.stepOptions",
  passkey: "signin.stepPasskey",
  verify: "signin.stepVerify",
};

/** The passkey sign-in ceremony's screen state, shared by the home page and /connexion. */
export function usePasskeySignIn(onSignedIn?: (hasDevice: boolean) => void) {
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const signIn = async () => {
    setBusy(true);
    setError(null);
    try {
      const next = await signInWithPasskey((step) => setStatus(t(STEP_KEYS[step])));
      setStatus(null);
      onSignedIn?.(next.device !== null);
    } catch (err) {
      setStatus(null);
      setError(err instanceof PasskeyError ? passkeyErrorMessage(err) : describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return { signIn, busy, status, error };
}

export function SignInPage() {
  usePageTitle(t("signin.title"));
  const { session } = useSession();
  const { signIn, busy, status, error } = usePasskeySignIn((hasDevice) => {
    if (hasDevice) navigate("/");
  });

  if (session?.authenticated && session.membership && !session.device) {
    return (
      <section aria-labelledby="signin-title" class="stack">
        <h1 id="signin-title">{t("device.newTitle")}</h1>
        <p class="callout callout-info">{t("signin.noDevice")}</p>
        <RegisterDevice onDone={() => navigate("/")} />
      </section>
    );
  }

  if (session?.authenticated) {
    return (
      <section aria-labelledby="signin-title" class="stack">
        <h1 id="signin-title">{t("signin.title")}</h1>
        <p>{t("signin.already", { name: session.person?.display_name ?? "" })}</p>
        <p>
          <Link href="/" class="button button-primary button-block">
            {t("enrol.goHome")}
          </Link>
        </p>
      </section>
    );
  }

  return (
    <section aria-labelledby="signin-title" class="stack">
      <h1 id="signin-title">{t("signin.title")}</h1>
      <p class="lead">{t("signin.lead")}</p>
      {!passkeysSupported() ? <ErrorMessage message={t("passkey.unsupported")} /> : null}
      <ErrorMessage message={error} />
      <LiveStatus message={status} busy={busy} />
      <button
        type="button"
        class="button button-primary button-block"
        onClick={() => void signIn()}
        disabled={busy}
      >
        {t("signin.button")}
      </button>
      <div class="card">
        <h2>{t("signin.noPasskeyTitle")}</h2>
        <p>{t("signin.noPasskeyText")}</p>
      </div>
    </section>
  );
}

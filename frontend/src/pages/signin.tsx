/** /connexion: passkey sign-in, then (on a new browser) registering this browser as a device. */

import { useState } from "preact/hooks";
import { describeError, postPasskeyOptions, postPasskeyVerify } from "../api";
import { ErrorMessage, LiveStatus, usePageTitle } from "../components/ui";
import { getPublicId } from "../device/keystore";
import { getPasskey, PasskeyError, passkeysSupported } from "../device/webauthn";
import { t } from "../i18n";
import { Link, navigate } from "../router";
import { adoptSession, useSession } from "../session";
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

/** The passkey sign-in ceremony, shared by the home page and /connexion. */
export function usePasskeySignIn(onSignedIn?: (hasDevice: boolean) => void) {
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const signIn = async () => {
    setBusy(true);
    setError(null);
    try {
      setStatus(t("signin.stepOptions"));
      const options = await postPasskeyOptions();
      setStatus(t("signin.stepPasskey"));
      const credential = await getPasskey(options);
      setStatus(t("signin.stepVerify"));
      const device = await getPublicId();
      const next = await adoptSession(await postPasskeyVerify(credential, device));
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

/** Signing in with a passkey, apart from the screens that offer it (home, /connexion). */

import { postPasskeyOptions, postPasskeyVerify } from "../api";
import { getPublicId } from "../device/keystore";
import { getPasskey } from "../device/webauthn";
import { adoptSignIn } from "../session";
import type { Session } from "../types";

export type SignInStep = "options" | "passkey" | "verify";

/**
 * The ceremony: options from the server, the passkey on this device, the server's check,
 * naming this browser's device if it has one. Throws PasskeyError or ApiError.
 */
export async function signInWithPasskey(onStep: (step: SignInStep) => void): Promise<Session> {
  onStep("options");
  const options = await postPasskeyOptions();
  onStep("passkey");
  const credential = await getPasskey(options);
  onStep("verify");
  return adoptSignIn(await postPasskeyVerify(credential, await getPublicId()));
}

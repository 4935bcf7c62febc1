/** Registering this browser as the signed-in member's device (POST /devices). */

import { postDevice } from "../api";
import { generateDeviceKeys, publicKeys, setPublicId } from "./keystore";
import { loadSession } from "../session";

export type RegisterStep = "generating" | "sending" | "registered";

/** New keys made here (the private halves never leave), the public ones sent; pending. */
export async function registerThisDevice(
  label: string,
  onStep: (step: RegisterStep) => void,
): Promise<void> {
  onStep("generating");
  const keys = await generateDeviceKeys();
  onStep("sending");
  const id = await postDevice({ label, ...publicKeys(keys) });
  if (id) await setPublicId(id);
  onStep("registered");
  await loadSession();
}

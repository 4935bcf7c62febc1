/** This browser as a device: its fingerprint (to compare in person) and registering it. */

import { useEffect, useState } from "preact/hooks";
import { describeError } from "../api";
import { ErrorMessage, Field, LiveStatus } from "../components/ui";
import { keyFingerprint, loadDeviceKeys } from "../device/keystore";
import { t, type MessageKey } from "../i18n";
import { registerThisDevice, type RegisterStep } from "../device/register";

const STEP_KEYS: Record<RegisterStep, MessageKey> = {
  generating: "device.generating",
  sending: "device.sending",
  registered: "device.registered",
};

/** Shows the fingerprint of this device's signing key, grouped for reading aloud. */
export function DeviceFingerprint() {
  const [value, setValue] = useState<string | null>(null);
  useEffect(() => {
    void loadDeviceKeys().then(async (keys) => {
      if (keys) setValue(await keyFingerprint(keys.signKey));
    });
  }, []);
  if (!value) return null;
  return (
    <div class="card">
      <h2>{t("device.fingerprintTitle")}</h2>
      <p>{t("device.fingerprintHelp")}</p>
      <p class="fingerprint" aria-label={t("device.fingerprintAria", { value })}>
        {groupForReading(value)}
      </p>
    </div>
  );
}

export function groupForReading(value: string): string {
  return value.slice(0, 16).replace(/(.{4})(?!$)/g, "$1 ");
}

export function defaultDeviceLabel(): string {
  const ua = navigator.userAgent;
  const kind = /Android|iPhone|iPad|Mobile/i.test(ua)
    ? t("device.kindPhone")
    : t("device.kindComputer");
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrome\/|Chromium\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : "";
  return browser ? t("device.defaultLabel", { kind, browser }) : kind;
}

/** For a signed-in member on a browser the server does not know yet (POST /devices). */
export function RegisterDevice({ onDone }: { onDone?: () => void }) {
  const [label, setLabel] = useState(defaultDeviceLabel());
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!label.trim()) {
      setError(t("device.labelRequired"));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await registerThisDevice(label.trim(), (step) => setStatus(t(STEP_KEYS[step])));
      onDone?.();
    } catch (err) {
      setStatus(null);
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card stack" onSubmit={submit} aria-labelledby="register-device-title" noValidate>
      <h2 id="register-device-title">{t("device.registerTitle")}</h2>
      <p>{t("device.registerText")}</p>
      <Field label={t("device.labelField")} hint={t("device.labelHint")} error={null}>
        {({ id, describedBy }) => (
          <input
            id={id}
            name="label"
            type="text"
            autoComplete="off"
            maxLength={100}
            required
            value={label}
            aria-describedby={describedBy}
            onInput={(e) => setLabel((e.target as HTMLInputElement).value)}
          />
        )}
      </Field>
      <ErrorMessage message={error} />
      <LiveStatus message={status} busy={busy} />
      <button type="submit" class="button button-primary button-block" disabled={busy}>
        {t("device.registerButton")}
      </button>
    </form>
  );
}

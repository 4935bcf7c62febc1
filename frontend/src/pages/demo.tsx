/** /demo: "Se connecter en tant que…" — only when the server runs in demo mode. */

import { useEffect, useState } from "preact/hooks";
import { ApiError, describeError, getDemoMembers, postDemoLogin } from "../api";
import { ErrorMessage, LiveStatus, Loading, usePageTitle } from "../components/ui";
import {
  dropDemoDevice,
  generateDeviceKeys,
  publicKeys,
  switchDemoDevice,
  type DeviceKeys,
} from "../device/keystore";
import { roleLabel, t } from "../i18n";
import { useMeta } from "../meta";
import { navigate } from "../router";
import { adoptSession } from "../session";
import { normaliseShop, type Role, type Session, type Shop } from "../types";

interface DemoMember {
  id: string;
  displayName: string;
  role: Role;
  roleLabel: string;
  shop: Shop | null;
}

function normalise(raw: Record<string, unknown>): DemoMember {
  return {
    id: String(raw.id ?? raw.public_id ?? ""),
    displayName: String(raw.display_name ?? ""),
    role: String(raw.role ?? "") as Role,
    roleLabel: String(raw.role_label ?? ""),
    shop: typeof raw.shop === "string" ? normaliseShop({ enseigne: raw.shop }) : normaliseShop(raw.shop),
  };
}

export function DemoPage() {
  usePageTitle(t("demo.title"));
  const meta = useMeta();
  const [members, setMembers] = useState<DemoMember[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!meta?.demo_mode) return;
    getDemoMembers()
      .then((list) => setMembers(list.map(normalise)))
      .catch((err) => setError(describeError(err)));
  }, [meta?.demo_mode]);

  const signInAs = async (member: DemoMember) => {
    setBusy(true);
    setError(null);
    try {
      setStatus(t("demo.signingIn", { name: member.displayName }));
      // This browser becomes that member's device: the one it already was for them if
      // any (so an operator keeps its police key between turns), else a new one.
      const login = (keys: DeviceKeys) =>
        postDemoLogin(member.id, { label: t("demo.deviceLabel"), ...publicKeys(keys) });
      const returning = await switchDemoDevice(member.id);
      let session: Session;
      try {
        session = await login(returning ?? (await generateDeviceKeys()));
      } catch (err) {
        if (!returning || !(err instanceof ApiError) || err.code !== "device_key_in_use") throw err;
        await dropDemoDevice(member.id);
        session = await login(await generateDeviceKeys());
      }
      await adoptSession(session);
      setStatus(null);
      navigate("/");
    } catch (err) {
      setStatus(null);
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  if (!meta) return <Loading />;
  if (!meta.demo_mode) {
    return (
      <section aria-labelledby="demo-title" class="stack">
        <h1 id="demo-title">{t("demo.title")}</h1>
        <p>{t("demo.off")}</p>
      </section>
    );
  }

  return (
    <section aria-labelledby="demo-title" class="stack">
      <h1 id="demo-title">{t("demo.title")}</h1>
      <div class="callout callout-warning">
        <p>
          <strong>{t("demo.rootWarningTitle")}</strong> {t("demo.rootWarning")}
        </p>
      </div>
      <p class="lead">{t("demo.lead")}</p>
      <ErrorMessage message={error} />
      <LiveStatus message={status} busy={busy} />
      {members === null && !error ? <Loading /> : null}
      {members && members.length === 0 ? <p>{t("demo.none")}</p> : null}
      {members && members.length > 0 ? (
        <ul class="choice-list">
          {members.map((member) => (
            <li key={member.id}>
              <button
                type="button"
                class="choice"
                disabled={busy}
                onClick={() => void signInAs(member)}
              >
                <span class="choice-title">
                  {t("demo.signInAs", { name: member.displayName })}
                </span>
                <span class="choice-detail">
                  {roleLabel(member.role, member.roleLabel)}
                  {member.shop?.enseigne ? ` · ${member.shop.enseigne}` : ""}
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/** /demo: "Se connecter en tant que…" — only when the server runs in demo mode. */

import { useEffect, useState } from "preact/hooks";
import { describeError } from "../api";
import { ErrorMessage, LiveStatus, Loading, usePageTitle } from "../components/ui";
import { roleLabel, t } from "../i18n";
import { listDemoMembers, signInAsDemoMember, type DemoMember } from "../members/demo";
import { useMeta } from "../meta";
import { navigate } from "../router";

export function DemoPage() {
  usePageTitle(t("demo.title"));
  const meta = useMeta();
  const [members, setMembers] = useState<DemoMember[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!meta?.demo_mode) return;
    listDemoMembers()
      .then(setMembers)
      .catch((err) => setError(describeError(err)));
  }, [meta?.demo_mode]);

  const signInAs = async (member: DemoMember) => {
    setBusy(true);
    setError(null);
    try {
      setStatus(t("demo.signingIn", { name: member.displayName }));
      await signInAsDemoMember(member);
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

/** Inviting someone (the link and QR code shown once) and the open invitations. */

import { useState } from "preact/hooks";
import { describeError } from "../../api";
import { CopyButton, ErrorMessage, Field, Loading } from "../../components/ui";
import type { InvitationCreated, InvitationRow } from "../../coordination/api";
import { checkInvitation, type CoordinationModel } from "../../coordination/model";
import { formatDateTime, roleLabel, t } from "../../i18n";
import { ROLES, type Role, type Shop } from "../../types";
import { ShopPicker } from "./shopPicker";

export function InviteForm(props: { shops: Shop[] | null; model: CoordinationModel }) {
  const { shops, model } = props;
  const [role, setRole] = useState<Role>("commercant");
  const [shop, setShop] = useState("");
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<InvitationCreated | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    const found = checkInvitation({ role, shop, name, email });
    setErrors(found);
    if (Object.keys(found).length) {
      document.getElementById(`invite-${Object.keys(found)[0]}`)?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      setResult(await model.invite({ role, shop, name, email }));
      setName("");
      setEmail("");
    } catch (err) {
      const message = describeError(err);
      const field = (err as { field?: string | null }).field;
      if (field) setErrors({ [field]: message });
      setError(message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="invite-title" class="card stack">
      <h2 id="invite-title">{t("coord.inviteTitle")}</h2>
      <form class="stack" onSubmit={submit} noValidate>
        <Field id="invite-role" label={t("coord.role")} error={errors.role}>
          {({ id, describedBy, invalid }) => (
            <select
              id={id}
              name="role"
              value={role}
              aria-describedby={describedBy}
              aria-invalid={invalid ? "true" : undefined}
              onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)}
            >
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {roleLabel(r)}
                </option>
              ))}
            </select>
          )}
        </Field>
        {role === "commercant" ? (
          <ShopPicker shops={shops} value={shop} error={errors.shop} onChange={setShop} />
        ) : null}
        <Field id="invite-display_name" label={t("coord.name")} error={errors.display_name}>
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              name="display_name"
              type="text"
              autoComplete="off"
              required
              maxLength={150}
              value={name}
              aria-describedby={describedBy}
              aria-invalid={invalid ? "true" : undefined}
              onInput={(e) => setName((e.target as HTMLInputElement).value)}
            />
          )}
        </Field>
        <Field id="invite-email" label={t("coord.email")} hint={t("coord.emailHint")} error={errors.email}>
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              name="email"
              type="email"
              autoComplete="off"
              value={email}
              aria-describedby={describedBy}
              aria-invalid={invalid ? "true" : undefined}
              onInput={(e) => setEmail((e.target as HTMLInputElement).value)}
            />
          )}
        </Field>
        <ErrorMessage message={error} />
        <button type="submit" class="button button-primary button-block" disabled={busy}>
          {t("coord.inviteSubmit")}
        </button>
      </form>
      {result ? (
        <div class="invite-result stack" role="status" aria-live="polite">
          <h3>{t("coord.inviteReady")}</h3>
          <p>{t("coord.inviteHelp")}</p>
          {result.qrSvg ? (
            <img
              class="qr"
              src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(result.qrSvg)}`}
              alt={t("coord.qrAlt")}
              width={240}
              height={240}
            />
          ) : null}
          <Field label={t("coord.link")}>
            {({ id, describedBy }) => (
              <input
                id={id}
                name="invitation-url"
                type="text"
                readOnly
                value={result.url}
                aria-describedby={describedBy}
                onFocus={(e) => (e.target as HTMLInputElement).select()}
              />
            )}
          </Field>
          <CopyButton text={result.url} label={t("coord.copyLink")} />
          {result.expiresAt ? (
            <p class="hint">{t("coord.expires", { date: formatDateTime(result.expiresAt) })}</p>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

export function InvitationList(props: {
  items: InvitationRow[] | null;
  error: string | null;
  onCancel: (row: InvitationRow) => void;
}) {
  return (
    <section aria-labelledby="invitations-title" class="card">
      <h2 id="invitations-title">{t("coord.invitationsTitle")}</h2>
      <ErrorMessage message={props.error} />
      {props.items === null && !props.error ? <Loading /> : null}
      {props.items?.length === 0 ? <p>{t("coord.noInvitations")}</p> : null}
      {props.items && props.items.length > 0 ? (
        <ul class="rows">
          {props.items.map((row) => (
            <li key={row.id} class="row">
              <div>
                <p class="row-title">{row.displayName}</p>
                <p class="row-detail">
                  {roleLabel(row.role, row.roleLabel)}
                  {row.shop?.enseigne ? ` · ${row.shop.enseigne}` : ""}
                  {row.expiresAt
                    ? ` · ${t("coord.expires", { date: formatDateTime(row.expiresAt) })}`
                    : ""}
                </p>
              </div>
              <button
                type="button"
                class="button button-secondary"
                onClick={() => props.onCancel(row)}
                aria-label={t("coord.cancelInvitationFor", { name: row.displayName })}
              >
                {t("coord.cancelInvitation")}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

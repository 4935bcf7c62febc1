/**
 * /coordination/commerces/nouveau and /coordination/commerces/:id: one form to add or edit
 * a shop. Presence is checked here; the SIRET's key, the coordinates and the sector are
 * checked by the server, whose French message lands on its field. Nothing is stored on a
 * refusal (one action, all or nothing).
 */

import { useEffect, useState } from "preact/hooks";
import { ApiError, describeError } from "../../api";
import { ErrorMessage, Field, Loading } from "../../components/ui";
import { createShop, getShopRow, listSectors, updateShop } from "../../coordination/api";
import {
  checkShop,
  draftOf,
  EMPTY_DRAFT,
  shopFlash,
  type SectorRow,
  type ShopDraft,
} from "../../coordination/shops";
import { t, type MessageKey } from "../../i18n";
import { Link, navigate } from "../../router";
import { MairieScreen } from "./frame";

export function ShopFormPage(props: { shop: string | null }) {
  const title = props.shop ? t("mairie.shops.editTitle") : t("mairie.shops.addTitle");
  return (
    <MairieScreen title={title}>{() => <ShopForm shopId={props.shop} key={props.shop} />}</MairieScreen>
  );
}

type TextField = Exclude<keyof ShopDraft, "sector">;

const FIELDS: { key: TextField; api: string; label: MessageKey; hint?: MessageKey; mode?: string }[] = [
  { key: "enseigne", api: "enseigne", label: "mairie.shops.fieldEnseigne" },
  { key: "raisonSociale", api: "raison_sociale", label: "mairie.shops.fieldRaison" },
  { key: "siret", api: "siret", label: "mairie.shops.fieldSiret", hint: "mairie.shops.siretHint", mode: "numeric" },
  { key: "address", api: "address", label: "mairie.shops.fieldAddress" },
  { key: "latitude", api: "latitude", label: "mairie.shops.fieldLatitude", hint: "mairie.shops.latitudeHint", mode: "decimal" },
  { key: "longitude", api: "longitude", label: "mairie.shops.fieldLongitude", hint: "mairie.shops.longitudeHint", mode: "decimal" },
  { key: "activity", api: "activity", label: "mairie.shops.fieldActivity" },
];

function ShopForm({ shopId }: { shopId: string | null }) {
  const [draft, setDraft] = useState<ShopDraft | null>(shopId ? null : { ...EMPTY_DRAFT });
  const [sectors, setSectors] = useState<SectorRow[] | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [missing, setMissing] = useState(false);

  useEffect(() => {
    void (async () => {
      try {
        setSectors(await listSectors());
        if (shopId) setDraft(draftOf(await getShopRow(shopId)));
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) setMissing(true);
        else setError(describeError(err));
      }
    })();
  }, [shopId]);

  if (missing) return <p class="callout callout-warning">{t("mairie.shops.notFound")}</p>;
  if (!draft || !sectors) return error ? <ErrorMessage message={error} /> : <Loading />;

  const set = (key: keyof ShopDraft, value: string) => setDraft({ ...draft, [key]: value });

  const submit = async (event: Event) => {
    event.preventDefault();
    const found = checkShop(draft);
    setErrors(found);
    setError(null);
    if (Object.keys(found).length) {
      setError(t("mairie.shops.fixFields"));
      document.getElementById(`shop-${Object.keys(found)[0]}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      const saved = shopId ? await updateShop(shopId, draft) : await createShop(draft);
      shopFlash.set(
        t(shopId ? "mairie.shops.updated" : "mairie.shops.created", { name: saved.enseigne }),
      );
      navigate("/coordination/commerces");
    } catch (err) {
      const message = describeError(err);
      const field = (err as { field?: string | null }).field;
      if (field) setErrors({ [field]: message });
      setError(message);
      if (field) document.getElementById(`shop-${field}`)?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="stack card" onSubmit={submit} noValidate>
      <p class="hint">{t("mairie.shops.formHelp")}</p>
      {FIELDS.map((f) => (
        <Field
          key={f.key}
          id={`shop-${f.api}`}
          label={t(f.label)}
          hint={f.hint ? t(f.hint) : undefined}
          error={errors[f.api]}
        >
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              name={f.api}
              type="text"
              inputMode={f.mode as "numeric" | "decimal" | undefined}
              autoComplete="off"
              value={draft[f.key]}
              aria-describedby={describedBy}
              aria-invalid={invalid ? "true" : undefined}
              onInput={(e) => set(f.key, (e.target as HTMLInputElement).value)}
            />
          )}
        </Field>
      ))}
      <Field id="shop-sector" label={t("mairie.shops.fieldSector")} error={errors.sector}>
        {({ id, describedBy, invalid }) => (
          <select
            id={id}
            name="sector"
            value={draft.sector}
            aria-describedby={describedBy}
            aria-invalid={invalid ? "true" : undefined}
            onChange={(e) => set("sector", (e.target as HTMLSelectElement).value)}
          >
            <option value="">{t("mairie.shops.chooseSector")}</option>
            {sectors.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <ErrorMessage message={error} />
      <div class="row-actions">
        <button type="submit" class="button button-primary" disabled={busy}>
          {shopId ? t("mairie.shops.saveEdit") : t("mairie.shops.saveNew")}
        </button>
        <Link href="/coordination/commerces" class="button button-secondary">
          {t("mairie.shops.backToList")}
        </Link>
      </div>
    </form>
  );
}

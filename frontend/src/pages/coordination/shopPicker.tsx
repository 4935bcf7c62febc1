/**
 * The invitation form's shop picker for 140 shops and more: a search box that filters a
 * native list box (a <select> shown open), so the keyboard, screen readers and
 * `select_option` all work as with any select. The count of matches is announced; a search
 * that leaves one shop chooses it. The chosen shop stays listed whatever the search says.
 */

import { useMemo, useState } from "preact/hooks";
import { Field } from "../../components/ui";
import { filterShops } from "../../coordination/shops";
import { t } from "../../i18n";
import type { Shop } from "../../types";

const VISIBLE_ROWS = 6;

export function ShopPicker(props: {
  shops: Shop[] | null;
  value: string;
  error?: string;
  onChange: (id: string) => void;
}) {
  const { shops, value, onChange } = props;
  const [query, setQuery] = useState("");
  const matches = useMemo(() => filterShops(shops ?? [], query), [shops, query]);
  const chosen = (shops ?? []).find((s) => s.id === value) ?? null;
  const listed = chosen && !matches.includes(chosen) ? [chosen, ...matches] : matches;

  const search = (text: string) => {
    setQuery(text);
    const found = filterShops(shops ?? [], text);
    if (text.trim() && found.length === 1) onChange(found[0].id);
  };

  const announce = !shops
    ? t("common.loading")
    : matches.length === 0
      ? t("mairie.picker.none")
      : matches.length === 1
        ? t("mairie.picker.one", { name: matches[0].enseigne })
        : t("mairie.picker.many", { count: matches.length });

  return (
    <div class="picker stack">
      <Field id="invite-shop-search" label={t("mairie.picker.search")} hint={t("mairie.picker.searchHint")}>
        {({ id, describedBy }) => (
          <input
            id={id}
            type="search"
            name="shop-search"
            autoComplete="off"
            value={query}
            aria-controls="invite-shop"
            aria-describedby={[describedBy, "invite-shop-count"].filter(Boolean).join(" ")}
            onInput={(e) => search((e.target as HTMLInputElement).value)}
            onKeyDown={(e) => {
              // Down arrow from the search goes into the list, as in a combobox.
              if (e.key === "ArrowDown") {
                e.preventDefault();
                const list = document.getElementById("invite-shop") as HTMLSelectElement | null;
                list?.focus();
                if (list && !value && listed.length > 0) onChange(listed[0].id);
              }
            }}
          />
        )}
      </Field>
      <p id="invite-shop-count" class="hint" role="status" aria-live="polite">
        {query.trim() ? announce : ""}
      </p>
      <Field id="invite-shop" label={t("coord.shop")} error={props.error}>
        {({ id, describedBy, invalid }) => (
          <select
            id={id}
            name="shop"
            value={value}
            size={Math.max(2, Math.min(VISIBLE_ROWS, listed.length + 1))}
            required
            aria-describedby={describedBy}
            aria-invalid={invalid ? "true" : undefined}
            onChange={(e) => onChange((e.target as HTMLSelectElement).value)}
          >
            <option value="" disabled>
              {shops ? t("coord.chooseShop") : t("common.loading")}
            </option>
            {listed.map((s) => (
              <option key={s.id} value={s.id}>
                {s.enseigne}
                {s.sector?.name ? ` (${s.sector.name})` : ""}
              </option>
            ))}
          </select>
        )}
      </Field>
      {chosen ? (
        <p class="hint">{t("mairie.picker.chosen", { name: chosen.enseigne })}</p>
      ) : null}
    </div>
  );
}

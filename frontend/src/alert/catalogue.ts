/**
 * The commune's alert catalogue (GET /api/v1/incidents/catalogue, Contract 1): the enabled
 * categories in the commune's order, each with its default severity and whether the 17
 * comes first. Loaded once per page and kept in a store; a failure leaves no category on
 * screen and an error with the 17 (never a made-up list the server would refuse).
 */

import { getCatalogue, type Catalogue, type Category } from "../incidents/api";
import { asFlowError } from "../incidents/context";
import { getLang, hasMessage, t, type MessageKey } from "../i18n";
import { createStore, type Store } from "../store";

export type { Catalogue, Category } from "../incidents/api";

export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const isSeverity = (value: unknown): value is Severity =>
  typeof value === "string" && (SEVERITIES as readonly string[]).includes(value);

/** The discreet gesture always sends this one (docs/decisions.md, « Alerte discrète »). */
export const DISCREET_CATEGORY = "agression";

export interface CatalogueState {
  catalogue: Catalogue | null;
  error: string | null;
  loading: boolean;
}

export const catalogueStore: Store<CatalogueState> = createStore<CatalogueState>({
  catalogue: null,
  error: null,
  loading: false,
});

let inFlight: Promise<void> | null = null;

/** Loads the catalogue (once; `force` asks again, e.g. after an error). */
export function loadCatalogue(force = false): Promise<void> {
  if (!force && (catalogueStore.get().catalogue || inFlight)) return inFlight ?? Promise.resolve();
  catalogueStore.update({ loading: true, error: null });
  inFlight = getCatalogue()
    .then((catalogue) => catalogueStore.update({ catalogue, error: null }))
    .catch((err) => catalogueStore.update({ error: asFlowError(err).message }))
    .finally(() => {
      catalogueStore.update({ loading: false });
      inFlight = null;
    });
  return inFlight;
}

/** Forgets the catalogue (another member signs in on this browser). */
export function resetCatalogue(): void {
  catalogueStore.set({ catalogue: null, error: null, loading: false });
}

export function findCategory(catalogue: Catalogue | null, slug: string | null): Category | null {
  if (!catalogue || !slug) return null;
  return catalogue.categories.find((c) => c.slug === slug) ?? null;
}

/** The category's name: the app's own sentence outside French when known, else the commune's. */
export function categoryLabel(category: { slug: string; label: string }): string {
  const key = `alert.category.${category.slug}`;
  if (hasMessage(key) && getLang() !== "fr") {
    return t(key as MessageKey);
  }
  return category.label || (hasMessage(key) ? t(key as MessageKey) : category.slug);
}

export function severityLabel(severity: string): string {
  const key = `alert.severity.${severity}`;
  return hasMessage(key) ? t(key as MessageKey) : severity;
}

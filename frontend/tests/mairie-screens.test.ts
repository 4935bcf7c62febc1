/** The mairie's screens, apart from their layout: search, counts, checks, settings drafts. */

import { describe, expect, it } from "vitest";
import {
  addCategory,
  checkSettings,
  slugFor,
  controlOf,
  draftOf as settingsDraftOf,
  moveCategory,
  payloadOf,
  toSettings,
} from "../src/coordination/alertSettings";
import { checkCharter } from "../src/coordination/charter";
import {
  checkShop,
  countLabel,
  EMPTY_DRAFT,
  filterShops,
  fold,
  matchesShop,
  toSector,
  toShopRow,
} from "../src/coordination/shops";

const shop = (enseigne: string, sector: string, address = "1 rue Nationale") => ({
  enseigne,
  address,
  activity: "",
  siret: "73282932000074",
  sector: { id: sector === "Gare" ? "2" : "1", name: sector },
});

describe("shop search", () => {
  const shops = [
    shop("Boulangerie du Marché", "Centre-ville"),
    shop("Pharmacie de la Gare", "Gare"),
    shop("Tabac du Marché", "Gare", "2 place du Marché"),
  ];

  it("folds accents and case", () => {
    expect(fold("  Marché  Éclair ")).toBe("marche eclair");
    expect(matchesShop(shops[0], "MARCHE")).toBe(true);
  });

  it("needs every word, in any field", () => {
    expect(filterShops(shops, "marché").map((s) => s.enseigne)).toEqual([
      "Boulangerie du Marché",
      "Tabac du Marché",
    ]);
    expect(filterShops(shops, "tabac place").map((s) => s.enseigne)).toEqual([
      "Tabac du Marché",
    ]);
    expect(filterShops(shops, "732 829").length).toBe(3);
    expect(filterShops(shops, "boulang marc").map((s) => s.enseigne)).toEqual([
      "Boulangerie du Marché",
    ]);
    // Words start words: « arche » is inside « Marché », not at its start.
    expect(filterShops(shops, "arche").length).toBe(0);
  });

  it("filters by sector id", () => {
    expect(filterShops(shops, "", "2").map((s) => s.enseigne)).toEqual([
      "Pharmacie de la Gare",
      "Tabac du Marché",
    ]);
    expect(filterShops(shops, "marché", "2").length).toBe(1);
  });

  it("counts in French", () => {
    expect(countLabel(140, 140)).toBe("140 commerces.");
    expect(countLabel(3, 140)).toBe("3 commerces sur 140.");
    expect(countLabel(1, 140)).toBe("1 commerce sur 140.");
    expect(countLabel(0, 140)).toBe("Aucun commerce sur 140.");
  });

  it("reads the server's shop defensively", () => {
    const row = toShopRow({ id: "u", enseigne: "X", latitude: 48.99, sector: { id: 3, name: "S", slug: "s" } });
    expect(row.latitude).toBe("48.99");
    expect(row.sector).toEqual({ id: "3", name: "S", slug: "s" });
    expect(toShopRow({}).sector).toBeNull();
  });
});

describe("shop form", () => {
  it("asks for the required fields, keyed as the API names them", () => {
    expect(Object.keys(checkShop(EMPTY_DRAFT)).sort()).toEqual([
      "address",
      "enseigne",
      "latitude",
      "longitude",
      "sector",
      "siret",
    ]);
  });
});

describe("charter", () => {
  it("refuses a short or unchanged text", () => {
    expect(checkCharter("court", "")).toBe("Le texte de la charte est trop court.");
    expect(checkCharter("Une charte assez longue.", "Une charte assez longue. ")).toMatch(/pas changé/);
    expect(checkCharter("Une charte assez longue, modifiée.", "Une charte assez longue.")).toBeNull();
  });
});

describe("alert settings", () => {
  const raw = {
    categories: [
      { slug: "vol", label: "Vol", severity: "medium", call_17: false, enabled: true },
      { slug: "agression", label: "Agression en cours", severity: "critical", call_17: true, enabled: true },
      { slug: "autre", label: "Autre", severity: "bogus", enabled: false },
    ],
    neighbour_validation: true,
    neighbour_expiry_minutes: 120,
    limits: {
      report_device: { count: 3, minutes: 10 },
      report_shop: { count: 5, minutes: 10 },
      neighbour_device: { count: 2, minutes: 30 },
      neighbour_shop: { count: 2, minutes: 30 },
    },
  };

  it("round-trips Contract 1's shape, order included", () => {
    const draft = settingsDraftOf(toSettings(raw));
    draft.categories = moveCategory(draft.categories, 1, -1);
    const body = payloadOf(draft) as { categories: { slug: string; severity: string }[] };
    expect(body.categories.map((c) => c.slug)).toEqual(["agression", "vol", "autre"]);
    expect(body.categories[2].severity).toBe("medium");
    expect(body).toMatchObject({
      neighbour_validation: true,
      neighbour_expiry_minutes: 120,
      limits: { report_device: { count: 3, minutes: 10 } },
    });
  });

  it("keeps the escalation delays and supervisors, defaults when the server has none", () => {
    const stored = { ...raw, escalation_first_seconds: 45, escalation_second_seconds: 120, supervisors: ["b", "a"] };
    const body = payloadOf(settingsDraftOf(toSettings(stored)));
    expect(body).toMatchObject({ escalation_first_seconds: 45, escalation_second_seconds: 120, supervisors: ["b", "a"] });
    expect(payloadOf(settingsDraftOf(toSettings(raw)))).toMatchObject({
      escalation_first_seconds: 60,
      escalation_second_seconds: 180,
      supervisors: [],
    });
  });

  it("refuses a second escalation not after the first, or out of range", () => {
    const draft = settingsDraftOf(toSettings(raw));
    draft.escalationFirst = "90";
    draft.escalationSecond = "90";
    expect(checkSettings(draft)).toEqual({ "escalation-second": "La seconde escalade vient après la première." });
    draft.escalationFirst = "5";
    draft.escalationSecond = "une minute";
    expect(Object.keys(checkSettings(draft)).sort()).toEqual(["escalation-first", "escalation-second"]);
    expect(controlOf("escalation_second_seconds", draft)).toBe("escalation-second");
    expect(controlOf("supervisors.0", draft)).toBe("supervisors");
  });

  it("moves nothing past either end", () => {
    const cats = toSettings(raw).categories;
    expect(moveCategory(cats, 0, -1).map((c) => c.slug)).toEqual(["vol", "agression", "autre"]);
    expect(moveCategory(cats, 2, 1).map((c) => c.slug)).toEqual(["vol", "agression", "autre"]);
  });

  it("names each bad value by its control", () => {
    const draft = settingsDraftOf(toSettings(raw));
    draft.categories[0].label = " ";
    draft.neighbourExpiry = "2h";
    draft.limits.report_shop.count = "1001";
    draft.limits.report_device.count = "0"; // 0 turns a limit off
    expect(Object.keys(checkSettings(draft)).sort()).toEqual([
      "category-vol-label",
      "limit-report_shop-count",
      "neighbour-expiry",
    ]);
    expect(controlOf("categories.1.label", draft)).toBe("category-agression-label");
    expect(controlOf("categories.0.call_17", draft)).toBe("category-vol-call17");
    expect(controlOf("limits.neighbour_shop.minutes", draft)).toBe("limit-neighbour_shop-minutes");
    expect(controlOf("neighbour_expiry_minutes", draft)).toBe("neighbour-expiry");
    expect(controlOf("categories.9.label", draft)).toBe("categories");
    expect(controlOf(null, draft)).toBeNull();
    draft.categories.forEach((c) => (c.enabled = false));
    expect(checkSettings(draft).categories).toBe("Gardez au moins une catégorie proposée.");
  });

  it("adds a category with a slug the server accepts", () => {
    expect(slugFor("Vente à la sauvette", new Set())).toBe("vente_a_la_sauvette");
    expect(slugFor("17 — urgence", new Set())).toBe("categorie_17_urgence");
    expect(slugFor("Vol", new Set(["vol", "vol_2"]))).toBe("vol_3");
    const cats = toSettings(raw).categories;
    const added = addCategory(cats, "  Vente à la   sauvette ");
    expect("categories" in added && added.categories.at(-1)).toEqual({
      slug: "vente_a_la_sauvette",
      label: "Vente à la sauvette",
      severity: "medium",
      call17: false,
      enabled: true,
      targetMinutes: "5",
    });
    expect(addCategory(cats, "VOL")).toEqual({ error: "Une catégorie porte déjà ce libellé." });
    expect(addCategory(cats, " ")).toEqual({ error: "Indiquez un libellé." });
  });
});

describe("sectors", () => {
  it("reads a sector's neighbours as ids, and none when the server sends none", () => {
    const sector = toSector({ id: 3, name: "Gare", slug: "gare", shop_count: 12, neighbours: [1, 7] });
    expect(sector).toEqual({ id: "3", name: "Gare", slug: "gare", shopCount: 12, neighbours: ["1", "7"] });
    expect(toSector({ id: 4, name: "Centre" }).neighbours).toEqual([]);
    expect(toSector({ id: 4, neighbours: "1,2" }).neighbours).toEqual([]);
  });
});

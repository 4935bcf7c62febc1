import { describe, expect, it, vi } from "vitest";
import {
  CLOTHING,
  COLOURS,
  DESCRIPTOR_ORDER,
  describeFields,
  DIRECTIONS,
  emptyReport,
  LISTS,
  PEOPLE,
  ReportFieldsError,
  sealedFields,
  SIGNS,
  toggle,
  validateReport,
  VEHICLES,
  type ReportFields,
} from "../src/alert/descriptors";
import {
  createDraftStore,
  draftFromJson,
  draftToJson,
  memoryVault,
  newDraft,
  startDraft,
  type KeyValue,
} from "../src/alert/draft";
import { createLongPress, LONG_PRESS_MS } from "../src/alert/discreet";
import { categoryLabel, SEVERITIES, severityLabel } from "../src/alert/catalogue";
import { normaliseCatalogue, normaliseIncident } from "../src/incidents/api";
import { en, fr, hasMessage, setLang, t } from "../src/i18n";
import { parseApiError } from "../src/api";
import { asFlowError } from "../src/incidents/context";

const full = (patch: Partial<Record<string, unknown>> = {}) => ({ ...emptyReport(), ...patch });

function memoryKv(): KeyValue & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  };
}

describe("the descriptor lists", () => {
  it("are fixed, non-empty lists of unique ASCII slugs", () => {
    for (const [key, list] of Object.entries(LISTS)) {
      expect(list.length, key).toBeGreaterThan(0);
      expect(new Set(list).size, key).toBe(list.length);
      for (const slug of list) expect(slug, key).toMatch(/^[a-z0-9_+]{1,24}$/);
    }
    expect(PEOPLE).toEqual(["1", "2", "3", "4+"]);
    expect(DESCRIPTOR_ORDER).toEqual(["people", "clothing", "colours", "signs", "direction", "vehicle"]);
  });

  it("label every list and slug in French and English", () => {
    for (const [key, list] of Object.entries(LISTS)) {
      expect(hasMessage(`alert.d.${key}`), key).toBe(true);
      for (const slug of list) {
        const id = `alert.d.${key}.${slug.replace("+", "plus")}` as keyof typeof fr;
        expect(fr[id], id).toBeTruthy();
        expect(en[id], id).toBeTruthy();
      }
    }
    for (const s of SEVERITIES) expect(severityLabel(s)).not.toBe(s);
  });

  it("invite no sensitive data (origin, religion, health…)", () => {
    const sensitive =
      /origin|ethni|race|peau|skin|religi|voile|kippa|sant[ée]|health|handicap|disab|malad|nationali|accent/i;
    for (const [key, list] of Object.entries(LISTS)) {
      for (const slug of list) {
        expect(slug).not.toMatch(sensitive);
        const id = `alert.d.${key}.${slug.replace("+", "plus")}` as keyof typeof fr;
        expect(fr[id]).not.toMatch(sensitive);
        expect(en[id]).not.toMatch(sensitive);
      }
    }
    // The colours are the clothes' colours, and say so.
    expect(fr["alert.d.colours"]).toBe("Couleurs des vêtements");
  });
});

describe("validateReport (Contract 2, twin of report_fields.py)", () => {
  it("accepts a full report as it is", () => {
    const report = full({
      people: "2",
      clothing: ["capuche", "jean"],
      colours: ["noir", "rouge"],
      signs: ["visage_couvert"],
      direction: "gauche",
      vehicle: "deux_roues",
    });
    expect(validateReport(report)).toEqual(report);
  });

  const refused: [unknown, string][] = [
    ["vol", "report"],
    [[], "report"],
    [{ ...full(), origine: "x" }, "origine"],
    [{ v: 1, people: null, clothing: [], colours: [], direction: null, vehicle: null }, "signs"],
    [full({ v: 2 }), "v"],
    [full({ v: true }), "v"],
    [full({ people: "5" }), "people"],
    [full({ people: 4 }), "people"],
    [full({ direction: "vers la gare" }), "direction"],
    [full({ vehicle: "voiture rouge AB-123-CD" }), "vehicle"],
    [full({ clothing: "capuche" }), "clothing"],
    [full({ clothing: ["capuche", "capuche"] }), "clothing"],
    [full({ clothing: ["jean", "capuche"] }), "clothing"],
    [full({ colours: ["noir", "bleu marine"] }), "colours"],
    [full({ signs: [null] }), "signs"],
    [full({ signs: [1] }), "signs"],
  ];
  it.each(refused)("refuses free text and broken shapes (%j → %s)", (value, field) => {
    expect(() => validateReport(value)).toThrow(ReportFieldsError);
    try {
      validateReport(value);
    } catch (err) {
      expect((err as ReportFieldsError).field).toBe(field);
    }
  });
});

describe("the sealed fields", () => {
  it("are {} for a category-only report and {report} once something is chosen", () => {
    expect(sealedFields(emptyReport())).toEqual({});
    let report: ReportFields = emptyReport();
    report = toggle(report, "people", "4+");
    report = toggle(report, "clothing", "jean");
    report = toggle(report, "clothing", "capuche");
    report = toggle(report, "direction", "nord");
    expect(sealedFields(report)).toEqual({
      report: {
        v: 1,
        people: "4+",
        clothing: ["capuche", "jean"], // list order, whatever the tapping order
        colours: [],
        signs: [],
        direction: "nord",
        vehicle: null,
      },
    });
  });

  it("toggle: a second tap lets go, a single choice replaces, unknown slugs change nothing", () => {
    let report = toggle(emptyReport(), "vehicle", "voiture");
    report = toggle(report, "vehicle", "velo");
    expect(report.vehicle).toBe("velo");
    report = toggle(report, "vehicle", "velo");
    expect(report.vehicle).toBeNull();
    report = toggle(report, "colours", "noir");
    report = toggle(report, "colours", "noir");
    expect(report.colours).toEqual([]);
    expect(toggle(report, "signs", "<script>")).toBe(report);
  });

  it("read back in French for the console", () => {
    setLang("fr");
    const fields = sealedFields(
      toggle(toggle(toggle(emptyReport(), "people", "2"), "colours", "rouge"), "signs", "arme_visible"),
    );
    expect(describeFields(fields)).toEqual({
      invalid: false,
      lines: [
        { key: "people", title: "Nombre de personnes", values: ["2"] },
        { key: "colours", title: "Couleurs des vêtements", values: ["Rouge"] },
        { key: "signs", title: "Signes visibles", values: ["Arme visible"] },
      ],
    });
    expect(describeFields({})).toBeNull();
    expect(describeFields({ report: { v: 1, people: "mille" } })).toEqual({ lines: [], invalid: true });
  });
});

describe("the draft", () => {
  it("round-trips through JSON, dropping what is not in the lists", () => {
    const draft = {
      ...newDraft("vol", 1_700_000_000_000),
      severity: "high" as const,
      report: toggle(toggle(emptyReport(), "clothing", "casquette"), "vehicle", "voiture"),
      text: "Parti avec deux bouteilles",
      neighbours: true,
    };
    expect(draftFromJson(draftToJson(draft))).toEqual(draft);
    const damaged = JSON.parse(draftToJson(draft));
    damaged.report.clothing = ["casquette", "tatouage"];
    damaged.severity = "apocalyptic";
    const read = draftFromJson(JSON.stringify(damaged));
    expect(read?.report.clothing).toEqual(["casquette"]);
    expect(read?.severity).toBeNull();
    expect(draftFromJson("not json")).toBeNull();
    expect(draftFromJson(JSON.stringify({ v: 9, category: "vol" }))).toBeNull();
    expect(draftFromJson(null)).toBeNull();
  });

  it("keeps fields and photos per device until cleared", async () => {
    const kv = memoryKv();
    const vault = memoryVault();
    const store = createDraftStore("device-a", kv, vault);
    const other = createDraftStore("device-b", kv, vault);
    const draft = { ...newDraft("vol"), text: "capuche grise" };
    store.save(draft);
    await store.savePhotos([new File([new Uint8Array([1, 2, 3])], "p.jpg", { type: "image/jpeg" })]);

    // "Reload": a new store on the same storage.
    const again = createDraftStore("device-a", kv, vault);
    expect(again.load()).toEqual(draft);
    const photos = await again.loadPhotos();
    expect(photos.map((p) => [p.name, p.type, p.size])).toEqual([["p.jpg", "image/jpeg", 3]]);
    expect(new Uint8Array(await photos[0].arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    expect(other.load()).toBeNull();

    await again.clear();
    expect(store.load()).toBeNull();
    expect(await store.loadPhotos()).toEqual([]);
  });

  it("startDraft resumes the same category and replaces another one", async () => {
    const kv = memoryKv();
    const vault = memoryVault();
    const store = createDraftStore("d", kv, vault);
    const first = startDraft(store, "vol", 1);
    expect(first.replaced).toBe(false);
    store.save({ ...first.draft, text: "x" });
    await store.savePhotos([new File(["a"], "a.jpg", { type: "image/jpeg" })]);
    expect(startDraft(store, "vol", 2).draft.text).toBe("x");
    const next = startDraft(store, "rixe", 3);
    expect(next).toEqual({ draft: newDraft("rixe", 3), replaced: true });
    await Promise.resolve();
    expect(await store.loadPhotos()).toEqual([]);
  });

  it("remembers sent reports, newest first, and their live confirmation", () => {
    const store = createDraftStore("d", memoryKv(), memoryVault());
    const record = {
      incident: "i1",
      category: "vol",
      categoryLabel: "Vol / vol à l'étalage",
      severity: "medium",
      sentAt: 1_700_000_000,
      receivedAt: "2026-12-03T10:00:00Z",
      recipients: 3,
      refused: 0,
      discreet: false,
      confirmed: false,
    };
    store.recordSent(record);
    store.recordSent({ ...record, incident: "i2" });
    expect(store.sent().map((r) => r.incident)).toEqual(["i2", "i1"]);
    expect(store.confirm("i1")).toBe(true);
    expect(store.confirm("i1")).toBe(false);
    expect(store.confirm("unknown")).toBe(false);
    expect(store.sent().find((r) => r.incident === "i1")?.confirmed).toBe(true);
  });
});

describe("the discreet gesture (long press)", () => {
  const timers = () => ({
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>),
  });

  it("fires after 2 s held still, once", () => {
    vi.useFakeTimers();
    const fire = vi.fn();
    const press = createLongPress(fire, timers());
    press.down(1, 100, 100);
    vi.advanceTimersByTime(LONG_PRESS_MS - 1);
    expect(fire).not.toHaveBeenCalled();
    press.move(1, 105, 103); // a resting thumb drifts
    vi.advanceTimersByTime(1);
    expect(fire).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(5000);
    press.up(1);
    expect(fire).toHaveBeenCalledTimes(1);
    vi.useRealTimers();
  });

  it("does not fire on a tap, a scroll or two fingers", () => {
    vi.useFakeTimers();
    const fire = vi.fn();
    const press = createLongPress(fire, timers());
    press.down(1, 0, 0);
    vi.advanceTimersByTime(500);
    press.up(1); // a tap
    press.down(2, 0, 0);
    press.move(2, 0, 40); // a scroll
    press.down(3, 0, 0);
    press.down(4, 50, 50); // a second finger
    vi.advanceTimersByTime(5000);
    press.up(3);
    press.up(4);
    press.down(5, 0, 0);
    press.cancel();
    vi.advanceTimersByTime(5000);
    expect(fire).not.toHaveBeenCalled();
    vi.useRealTimers();
  });
});

describe("the catalogue and the incidents' clear metadata", () => {
  it("reads the catalogue of Contract 1", () => {
    const catalogue = normaliseCatalogue({
      categories: [
        { slug: "vol", label: "Vol / vol à l'étalage", severity: "medium", call_17: false },
        { slug: "agression", label: "Agression en cours", severity: "critical", call_17: true },
        { label: "sans slug" },
      ],
      severities: ["low", "medium", "high", "critical"],
      neighbours: { validation: false, expiry_minutes: 90 },
    });
    expect(catalogue.categories).toEqual([
      { slug: "vol", label: "Vol / vol à l'étalage", severity: "medium", call17: false },
      { slug: "agression", label: "Agression en cours", severity: "critical", call17: true },
    ]);
    expect(catalogue.neighbours).toEqual({ validation: false, expiryMinutes: 90 });
    expect(normaliseCatalogue(null).categories).toEqual([]);
  });

  it("labels a category with the commune's French, the app's English", () => {
    setLang("fr");
    expect(categoryLabel({ slug: "vol", label: "Vol (étalage)" })).toBe("Vol (étalage)");
    setLang("en");
    expect(categoryLabel({ slug: "vol", label: "Vol (étalage)" })).toBe("Theft / shoplifting");
    expect(categoryLabel({ slug: "local", label: "Marché" })).toBe("Marché");
    setLang("fr");
    expect(t("alert.category.vol")).toBe("Vol / vol à l'étalage");
  });

  it("tells an English reader the time of the next alert after a limit", () => {
    const next = "2026-12-07T09:32:00+00:00";
    const refusal = parseApiError(
      429,
      JSON.stringify({ code: "rate_limited", message: "Limite atteinte : …", next_at: next }),
    );
    setLang("en");
    const expected = new Date(next).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
    expect(asFlowError(refusal).message).toBe(
      `Alert limit reached: next alert possible at ${expected}. In an emergency, call 17.`,
    );
    setLang("fr");
    expect(asFlowError(refusal).message).toBe("Limite atteinte : …");
  });

  it("reads category, severity, neighbours and photos of an incident", () => {
    const item = normaliseIncident({
      id: "i",
      shop: { id: "s", enseigne: "Boulangerie" },
      category: { slug: "vol", label: "Vol / vol à l'étalage" },
      severity: "medium",
      neighbours: true,
      photos: 2,
    });
    expect(item.category).toEqual({ slug: "vol", label: "Vol / vol à l'étalage" });
    expect([item.severity, item.neighbours, item.photos]).toEqual(["medium", true, 2]);
    const old = normaliseIncident({ id: "i", shop: {} });
    expect([old.category, old.severity, old.neighbours, old.photos]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

// Keep the lists imported by name so a rename shows up here too.
void [CLOTHING, COLOURS, SIGNS, DIRECTIONS, VEHICLES];

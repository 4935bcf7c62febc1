import { describe, expect, it } from "vitest";
import { en, fr } from "../src/i18n";
import {
  clip,
  decodePushData,
  noticeFor,
  pageFor,
  parsePushPayload,
  TEXT_LIMIT,
  type PushPayload,
} from "../src/push/notice";

/** As src/maillage/push/payload.py builds it. */
const raw = (over: Record<string, unknown> = {}) => ({
  v: 1,
  type: "maillage.push",
  seq: 42,
  kind: "incident.reported",
  at: "2026-12-04T10:00:00Z",
  incident: "inc-1",
  category: "Vol / vol à l'étalage",
  from: "Boulangerie du Marché",
  sector: "Centre-ville",
  ref: "msg-1",
  fetch: false,
  ...over,
});
const payload = (over: Record<string, unknown> = {}) => parsePushPayload(raw(over)) as PushPayload;

describe("the push payload", () => {
  it("reads the server's fields", () => {
    const p = payload({ sealed: { id: "msg-1" } });
    expect(p).toMatchObject({ seq: 42, kind: "incident.reported", incident: "inc-1", ref: "msg-1" });
    expect(p.sealed).toEqual({ id: "msg-1" });
    expect(p.fetch).toBe(false);
  });

  it("refuses anything else: another type, a newer version, no kind, not JSON", () => {
    expect(parsePushPayload(raw({ type: "other" }))).toBeNull();
    expect(parsePushPayload(raw({ v: 2 }))).toBeNull();
    expect(parsePushPayload(raw({ kind: 3 }))).toBeNull();
    expect(parsePushPayload([raw()])).toBeNull();
    expect(decodePushData({ text: () => "not json" })).toBeNull();
    expect(decodePushData(null)).toBeNull();
    expect(decodePushData({ text: () => JSON.stringify(raw()) })?.seq).toBe(42);
  });
});

describe("the notification", () => {
  it("titles with the step and the category, names the shop and the sector, then the text", () => {
    const notice = noticeFor(payload(), "Individu menaçant devant la caisse", "operateur", "fr");
    expect(notice.title).toBe("Nouveau signalement : Vol / vol à l'étalage");
    expect(notice.body).toBe("Boulangerie du Marché · Centre-ville\nIndividu menaçant devant la caisse");
    expect(notice.tag).toBe("inc-1");
    expect(notice.url).toBe("/incidents/inc-1");
    expect(notice.urgent).toBe(true);
  });

  it("says « Police municipale » for the police's steps, in English when chosen", () => {
    const p = payload({ kind: "incident.on_site", from: "Police municipale", ref: null });
    const notice = noticeFor(p, null, "commercant", "en");
    expect(notice.title).toBe("Police on site: Vol / vol à l'étalage");
    expect(notice.body).toBe("Police municipale · Centre-ville");
    expect(notice.url).toBe("/");
    expect(notice.urgent).toBe(false);
  });

  it("asks to open the app when the sealed text could not be opened here", () => {
    const notice = noticeFor(payload({ fetch: true }), null, "agent", "fr");
    expect(notice.body.split("\n")).toEqual([
      "Boulangerie du Marché · Centre-ville",
      "Ouvrez Maillage pour lire le message.",
    ]);
    expect(notice.url).toBe("/agent/inc-1");
  });

  it("titles a neighbour alert without an incident and tags it by the alert", () => {
    const p = payload({ kind: "neighbour_alert.ended", incident: null, category: null, ref: "al-1" });
    const notice = noticeFor(p, "Individu parti vers la gare", "commercant", "fr");
    expect(notice.title).toBe("Fin d'alerte");
    expect(notice.tag).toBe("al-1");
    expect(pageFor(p, "operateur")).toBe("/console");
  });

  it("falls back to « Maillage » for a kind it does not know", () => {
    expect(noticeFor(payload({ kind: "future.kind", category: null }), null, null, "fr").title).toBe(
      "Maillage",
    );
  });

  it("has every kind's words in both languages", () => {
    const keys = Object.keys(fr).filter((k) => k.startsWith("push.notice."));
    expect(keys.length).toBeGreaterThan(15);
    for (const key of keys) expect(en[key as keyof typeof en]).toBeTruthy();
  });
});

describe("clipping the text", () => {
  it("keeps short text, folds whitespace, cuts long text on a word with an ellipsis", () => {
    expect(clip("  Deux   individus\n cagoulés ")).toBe("Deux individus cagoulés");
    const long = "mot ".repeat(60);
    const cut = clip(long);
    expect(cut.length).toBeLessThanOrEqual(TEXT_LIMIT);
    expect(cut.endsWith("mot…")).toBe(true);
    const solid = "x".repeat(300);
    expect(clip(solid)).toBe(`${"x".repeat(TEXT_LIMIT - 1)}…`);
  });
});

/** The handover summary: made from the decrypted report and the clear metadata only. */

import { describe, expect, it } from "vitest";
import type { IncidentSummary } from "../src/incidents/api";
import { normaliseLifecycle } from "../src/incidents/lifecycle";
import type { MessageView } from "../src/incidents/read";
import { handoverSummary } from "../src/police/handover";

const incident: IncidentSummary = {
  id: "i",
  commune: "c",
  shop: { id: "s", enseigne: "Tabac de la Gare" },
  reportedBy: "m",
  createdAt: "2026-12-07T09:00:00Z",
  messages: 1,
  category: { slug: "vol", label: "Vol / vol à l'étalage" },
  lifecycle: normaliseLifecycle({
    state: "doubt_lifted",
    verdict: "founded",
    taken_at: "2026-12-07T09:00:40Z",
    doubt_lifted_at: "2026-12-07T09:02:05Z",
  }),
};

const message = (text: string | null, fields: Record<string, unknown> = {}): MessageView => ({
  id: "m1",
  sentAt: 0,
  senderDevice: "d",
  receivedAt: "",
  opened: {
    text,
    fields,
    photos: [],
    sender: {} as never,
    via: "service",
    contentKey: new Uint8Array(32),
  },
  error: null,
});

describe("handover summary", () => {
  it("says the report, its steps and the shopkeeper's words", () => {
    const text = handoverSummary(incident, [message("Deux individus partis vers la gare.")]);
    expect(text).toContain("Signalement « Vol / vol à l'étalage » du commerce Tabac de la Gare");
    expect(text).toContain("État : Doute levé.");
    expect(text).toContain("Doute levé : fondé.");
    expect(text).toContain("Pris en charge : 40 s après le signalement.");
    expect(text).toContain("Message du commerçant : Deux individus partis vers la gare.");
    expect(text).not.toContain("exercice");
  });

  it("says a drill is a drill, and survives an unreadable report", () => {
    const drill = { ...incident, exercise: { id: "e", name: "Exercice" } };
    const text = handoverSummary(drill, [{ ...message(null), opened: null }]);
    expect(text).toContain("ATTENTION : signalement d'exercice.");
    expect(text).not.toContain("Message du commerçant");
  });
});

import { describe, expect, it } from "vitest";
import {
  mergeRemembered,
  NOTHING_VERIFIED,
  normaliseRemembered,
  rememberedOf,
} from "../src/device/trustState";
import { normaliseIncident, normaliseMessage } from "../src/incidents/api";
import { asFlowError, FlowError, messageForCode } from "../src/incidents/context";
import { chooseOpener } from "../src/incidents/read";
import { checkDraft, countChars, MAX_PHOTOS, MAX_TEXT_CHARS } from "../src/incidents/send";
import { ENVELOPE_MESSAGES, EnvelopeError } from "../src/envelope/envelope";
import { TRUST_MESSAGES, TrustError } from "../src/trust/chain";
import type { DeviceContext } from "../src/incidents/context";

describe("remembered trust state", () => {
  it("never moves backwards when two verifications are merged", () => {
    const older = {
      lastRevocationNumber: 7,
      knownRevokedSerials: ["a", "b"],
      lastServiceKeyNumber: 3,
    };
    const newer = { lastRevocationNumber: 5, knownRevokedSerials: ["c"], lastServiceKeyNumber: 4 };
    expect(mergeRemembered(older, newer)).toEqual({
      lastRevocationNumber: 7,
      knownRevokedSerials: ["a", "b", "c"],
      lastServiceKeyNumber: 4,
    });
    expect(mergeRemembered(newer, older)).toEqual(mergeRemembered(older, newer));
  });

  it("reads damaged storage as 'nothing verified' rather than crashing", () => {
    expect(normaliseRemembered(null)).toEqual(NOTHING_VERIFIED);
    expect(normaliseRemembered("7")).toEqual(NOTHING_VERIFIED);
    expect(
      normaliseRemembered({
        lastRevocationNumber: -1,
        knownRevokedSerials: ["s", 3, "s"],
        lastServiceKeyNumber: 1.5,
      }),
    ).toEqual({ lastRevocationNumber: 0, knownRevokedSerials: ["s"], lastServiceKeyNumber: 0 });
  });

  it("keeps only what is worth remembering from a full TrustState", () => {
    const remembered = rememberedOf({
      rootPublicKey: "root",
      pinnedFingerprint: "pin",
      commune: "c",
      lastRevocationNumber: 2,
      knownRevokedSerials: ["z", "y"],
      lastServiceKeyNumber: 1,
    });
    expect(remembered).toEqual({
      lastRevocationNumber: 2,
      knownRevokedSerials: ["y", "z"],
      lastServiceKeyNumber: 1,
    });
  });
});

describe("report draft checks", () => {
  it("counts characters as people do, not UTF-16 units", () => {
    expect(countChars("école 🚨")).toBe(7);
    expect(() => checkDraft("🚨".repeat(MAX_TEXT_CHARS), [])).not.toThrow();
  });

  it("refuses a text over 4 000 characters and a fifth photo, in French", () => {
    const long = () => checkDraft("a".repeat(MAX_TEXT_CHARS + 1), []);
    expect(long).toThrow(FlowError);
    expect(long).toThrow(/^Le texte dépasse 4\u202f000 caractères : raccourcissez-le\.$/);
    const photos = Array.from({ length: MAX_PHOTOS + 1 }, () => new Blob([]));
    expect(() => checkDraft("", photos)).toThrow("4 photos au plus par signalement.");
    expect(() => checkDraft("", photos.slice(0, MAX_PHOTOS))).not.toThrow();
  });
});

describe("errors shown to people", () => {
  it("keeps the envelope's and trust's French sentences and codes", () => {
    const tampered = asFlowError(new EnvelopeError("tampered"));
    expect(tampered.code).toBe("tampered");
    expect(tampered.message).toBe(ENVELOPE_MESSAGES.tampered);
    const stale = asFlowError(new TrustError("stale_revocations"));
    expect(stale.code).toBe("stale_revocations");
    expect(stale.message).toBe(TRUST_MESSAGES.stale_revocations);
  });

  it("names a refused recipient's reason from its code", () => {
    expect(messageForCode("bad_signature")).toBe(TRUST_MESSAGES.bad_signature);
    expect(messageForCode("not_allowed_recipient")).toBe(ENVELOPE_MESSAGES.not_allowed_recipient);
    expect(messageForCode("no_police_recipient")).toBe(ENVELOPE_MESSAGES.no_police_recipient);
  });

  it("has the spec's sentence for every envelope-only code", () => {
    for (const code of [
      "unsupported_version",
      "wrong_context",
      "wrong_sender",
      "tampered",
      "not_a_recipient",
      "undecryptable",
      "too_large",
      "stale_service_key",
      "wrong_service_key",
      "not_allowed_recipient",
      "no_police_recipient",
    ] as const) {
      expect(messageForCode(code), code).toBe(ENVELOPE_MESSAGES[code]);
    }
  });
});

describe("server JSON", () => {
  it("reads incidents and messages defensively", () => {
    expect(
      normaliseIncident({
        id: "i1",
        commune: "c1",
        shop: { id: "s1", enseigne: "Boulangerie" },
        reported_by: "m1",
        created_at: "2026-01-01T10:00:00Z",
        messages: 2,
      }),
    ).toEqual({
      id: "i1",
      commune: "c1",
      shop: { id: "s1", enseigne: "Boulangerie" },
      reportedBy: "m1",
      createdAt: "2026-01-01T10:00:00Z",
      messages: 2,
    });
    const message = normaliseMessage({ id: "m1", attachments: [{ index: 1, size: 10 }, "junk"] });
    expect(message.attachments).toEqual([
      { index: 1, size: 10 },
      { index: 0, size: 0 },
    ]);
    expect(normaliseIncident(null).shop.enseigne).toBe("");
  });
});

describe("choosing the opening key", () => {
  it("uses this device's own key when the sender wrapped for it", async () => {
    const enc = (await crypto.subtle.generateKey({ name: "X25519" }, false, [
      "deriveBits",
    ])) as CryptoKeyPair;
    const ctx = {
      deviceId: "dev-1",
      commune: "c",
      keys: { encPrivate: enc.privateKey, encKey: "pub" },
    } as unknown as DeviceContext;
    const opener = await chooseOpener(
      [
        { kind: "device", id: "dev-0", key: "other" },
        { kind: "device", id: "dev-1", key: "pub" },
        { kind: "service", id: "police:1", key: "svc" },
      ],
      ctx,
    );
    expect(opener).toEqual({
      kind: "device",
      id: "dev-1",
      privateKey: enc.privateKey,
      publicKey: "pub",
    });
  });
});

import { describe, expect, it } from "vitest";
import { catalogues, en, fr, hasMessage, roleLabel, t } from "../src/i18n";
import { ROLES } from "../src/types";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("the app's catalogue", () => {
  it("has an English sentence for every French key, and no extra", () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(fr).sort());
  });

  it("never leaves a sentence empty", () => {
    for (const [lang, catalogue] of Object.entries(catalogues)) {
      for (const [key, text] of Object.entries(catalogue)) {
        expect(text.trim(), `${lang}:${key}`).not.toBe("");
      }
    }
  });

  it("uses the same placeholders in both languages", () => {
    for (const key of Object.keys(fr) as (keyof typeof fr)[]) {
      expect(placeholders(en[key]), key).toEqual(placeholders(fr[key]));
    }
  });

  it("labels every role in both languages", () => {
    for (const role of ROLES) {
      expect(hasMessage(`role.${role}`), role).toBe(true);
      expect(roleLabel(role)).not.toBe(role);
    }
  });

  it("speaks French by default and fills placeholders", () => {
    expect(t("home.hello", { name: "Amina" })).toBe("Bonjour Amina");
    expect(t("home.hello", { name: "Amina" }, "en")).toBe("Hello Amina");
    expect(t("home.pendingText")).toBe(
      "Votre inscription est en attente de validation par la mairie.",
    );
  });

  it("keeps an unknown placeholder visible rather than inventing text", () => {
    expect(t("home.hello")).toBe("Bonjour {name}");
  });
});

describe("trust messages", () => {
  it("match the trust module's French sentences, code for code", async () => {
    const { TRUST_MESSAGES } = await import("../src/trust/errors");
    for (const [code, message] of Object.entries(TRUST_MESSAGES)) {
      expect(t(`trust.${code}` as keyof typeof fr), code).toBe(message);
    }
  });
});

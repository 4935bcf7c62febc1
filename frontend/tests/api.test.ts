import { describe, expect, it } from "vitest";
import { ApiError, describeError, parseApiError, readCookie } from "../src/api";
import { setLang } from "../src/i18n";

describe("parseApiError", () => {
  it("keeps the server's structured error: code, French message, field", () => {
    const error = parseApiError(409, {
      code: "invitation_used",
      message: "Ce lien d'invitation a déjà servi.",
      field: "token",
    });
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toBeInstanceOf(Error);
    expect(error.status).toBe(409);
    expect(error.code).toBe("invitation_used");
    expect(error.message).toBe("Ce lien d'invitation a déjà servi.");
    expect(error.field).toBe("token");
  });

  it("parses a JSON text body and the validation details", () => {
    const body = JSON.stringify({
      code: "invalid",
      message: "Données invalides : vérifiez le champ signalé.",
      field: "email",
      details: [{ field: "email", type: "value_error", msg: "bad" }, "junk"],
    });
    const error = parseApiError(422, body);
    expect(error.code).toBe("invalid");
    expect(error.field).toBe("email");
    expect(error.details).toEqual([{ field: "email", type: "value_error", msg: "bad" }]);
  });

  it("gives a French message by status when the body is not structured", () => {
    const html = parseApiError(502, "<html>Bad Gateway</html>");
    expect(html.code).toBe("server_error");
    expect(html.message).toMatch(/serveur/);
    expect(html.field).toBeNull();

    const empty = parseApiError(401, "");
    expect(empty.code).toBe("unauthenticated");
    expect(empty.message).toBe("Connectez-vous pour continuer.");

    const forbidden = parseApiError(403, null);
    expect(forbidden.code).toBe("forbidden");
    expect(forbidden.message).toBe("Action non autorisée pour votre rôle.");
  });

  it("reads django-ninja's default {detail} shape", () => {
    const error = parseApiError(404, { detail: "Introuvable." });
    expect(error.code).toBe("not_found");
    expect(error.message).toBe("Introuvable.");
  });

  it("never shows an empty message or a non-string code", () => {
    const error = parseApiError(418, { code: 12, message: "   ", field: 3 });
    expect(error.code).toBe("error");
    expect(error.message).toBe("Une erreur est survenue. Réessayez.");
    expect(error.field).toBeNull();
  });

  it("reports a network failure (status 0) in French", () => {
    const error = parseApiError(0, undefined);
    expect(error.code).toBe("network");
    expect(error.message).toMatch(/injoignable/);
  });
});

describe("describeError", () => {
  it("shows the server's French sentence in French", () => {
    setLang("fr");
    const error = parseApiError(403, { code: "forbidden", message: "Réservé aux coordinateurs." });
    expect(describeError(error)).toBe("Réservé aux coordinateurs.");
  });

  it("translates known codes in English and falls back to the server's French otherwise", () => {
    setLang("en");
    expect(describeError(parseApiError(403, { code: "forbidden", message: "Non." }))).toBe(
      "Action not allowed for your role.",
    );
    expect(describeError(parseApiError(409, { code: "odd_case", message: "Cas rare." }))).toBe(
      "Cas rare.",
    );
    setLang("fr");
  });
});

describe("readCookie", () => {
  it("finds the CSRF cookie among others", () => {
    const cookies = "theme=dark; maillage_csrf=abc%3D123; other=1";
    expect(readCookie("maillage_csrf", cookies)).toBe("abc=123");
    expect(readCookie("missing", cookies)).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import { ROUTES } from "../src/app";
import { buildPath, matchPath, resolveRoute } from "../src/router";

const ID = "3f2c7d2e-9a41-4c35-8f0e-0c7a6b5d4e21";

describe("matchPath", () => {
  it("reads a typed parameter from its segment", () => {
    const params = matchPath("/incidents/:id", `/incidents/${ID}`);
    expect(params).toEqual({ id: ID });
    // Typed from the pattern: `params.id` is a string, no cast.
    const id: string | undefined = params?.id;
    expect(id).toBe(ID);
  });

  it("reads several parameters", () => {
    expect(matchPath("/incidents/:id/messages/:message", "/incidents/a/messages/b")).toEqual({
      id: "a",
      message: "b",
    });
  });

  it("matches fixed paths exactly, ignoring a trailing slash", () => {
    expect(matchPath("/console", "/console")).toEqual({});
    expect(matchPath("/console", "/console/")).toEqual({});
    expect(matchPath("/console", "/consoles")).toBeNull();
    expect(matchPath("/", "/")).toEqual({});
  });

  it("refuses a missing, extra or empty segment", () => {
    expect(matchPath("/incidents/:id", "/incidents")).toBeNull();
    expect(matchPath("/incidents/:id", "/incidents/")).toBeNull();
    expect(matchPath("/incidents/:id", `/incidents/${ID}/more`)).toBeNull();
    expect(matchPath("/incidents/:id", `/other/${ID}`)).toBeNull();
  });

  it("decodes escapes and refuses malformed ones", () => {
    expect(matchPath("/incidents/:id", "/incidents/a%20b")).toEqual({ id: "a b" });
    expect(matchPath("/incidents/:id", "/incidents/%E0%A4%A")).toBeNull();
  });
});

describe("buildPath", () => {
  it("fills and escapes parameters, and matchPath reads them back", () => {
    const path = buildPath("/incidents/:id", { id: "a/b c" });
    expect(path).toBe("/incidents/a%2Fb%20c");
    expect(matchPath("/incidents/:id", path)).toEqual({ id: "a/b c" });
  });
});

describe("the app's routes", () => {
  it("open an incident in the console by URL", () => {
    const found = resolveRoute(ROUTES, `/incidents/${ID}`);
    expect(found?.route.pattern).toBe("/incidents/:id");
    expect(found?.params).toEqual({ id: ID });
    expect(found?.route.page).toBe(resolveRoute(ROUTES, "/console")?.route.page);
  });

  it("open one of the agent's interventions by URL, on the agent's page", () => {
    const found = resolveRoute(ROUTES, `/agent/${ID}`);
    expect(found?.route.pattern).toBe("/agent/:id");
    expect(found?.params).toEqual({ id: ID });
    expect(found?.route.page).toBe(resolveRoute(ROUTES, "/agent")?.route.page);
  });

  it("have one route per page path, and none for an unknown path", () => {
    expect(resolveRoute(ROUTES, "/signaler")?.route.pattern).toBe("/signaler");
    expect(resolveRoute(ROUTES, "/nulle-part")).toBeNull();
    const patterns = ROUTES.map((r) => r.pattern);
    expect(new Set(patterns).size).toBe(patterns.length);
  });
});

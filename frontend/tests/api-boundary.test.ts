/**
 * One typed API layer: only api.ts touches `fetch`, and only the endpoint modules
 * (`api.ts`, `<domain>/api.ts`) call the transport or know the API's base path. A page or
 * flow that builds its own request fails here. The service worker's shell (sw/shell.ts)
 * also fetches: it passes the pages' own requests on, and never the API's (sw/routing.ts).
 */
import { describe, expect, it } from "vitest";
import { sourceFiles } from "./sources";

const files = sourceFiles;
const isEndpointModule = (name: string) => name === "api.ts" || name.endsWith("/api.ts");
const FETCHERS = ["api.ts", "sw/shell.ts"];

describe("the API layer", () => {
  it("is the only place that calls fetch", () => {
    const offenders = files.filter((f) => !FETCHERS.includes(f.name) && /\bfetch\(/.test(f.text));
    expect(offenders.map((f) => f.name)).toEqual([]);
  });

  it("is the only place that uses the transport", () => {
    const transport = /\b(request|postForm|getBytes)\s*[<(]|\bAPI_BASE\b/;
    const offenders = files.filter((f) => !isEndpointModule(f.name) && transport.test(f.text));
    expect(offenders.map((f) => f.name)).toEqual([]);
  });

  it("finds the files it guards", () => {
    expect(files.some((f) => f.name === "pages/coordination/index.tsx")).toBe(true);
    expect(files.some((f) => f.name === "incidents/api.ts")).toBe(true);
  });
});

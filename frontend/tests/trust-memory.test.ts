/**
 * One memory of the revocation lists this browser verified (device/trustState.ts): a list
 * checked anywhere else against its own "last seen" number would let a server roll one
 * page back while another page knows better.
 */
import { describe, expect, it } from "vitest";
import { sourceFiles } from "./sources";

// The twins' own verifier and the directory check, which returns the state to save.
const VERIFIERS = new Set(["trust/chain.ts", "envelope/recipients.ts", "device/trustState.ts"]);

describe("the revocation memory", () => {
  it("is checked only through device/trustState.ts", () => {
    const offenders = sourceFiles.filter(
      (f) => !VERIFIERS.has(f.name) && /\bverifyRevocationList\s*\(/.test(f.text),
    );
    expect(offenders.map((f) => f.name)).toEqual([]);
  });

  it("is stored nowhere else (the certifier's old localStorage copy is gone)", () => {
    const offenders = sourceFiles.filter(
      (f) =>
        f.name !== "device/trustState.ts" && /maillage\.revocations/.test(f.text),
    );
    expect(offenders.map((f) => f.name)).toEqual([]);
  });

  it("has one TrustState type", () => {
    const declared = sourceFiles.filter((f) => /interface TrustState\b/.test(f.text));
    expect(declared.map((f) => f.name)).toEqual(["device/trustState.ts"]);
  });
});

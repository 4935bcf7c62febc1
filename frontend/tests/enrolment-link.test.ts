import { describe, expect, it } from "vitest";
import { parseInvitationFragment } from "../src/members/enrolment";
import { isFingerprint } from "../src/trust/ids";

const ROOT = "q1cXzq8aJ2Yx0D7j2o4mN9l3yT1bP6wK8sR5vU2hE0c";

describe("invitation fragment", () => {
  it("reads the token and the pinned root fingerprint", () => {
    expect(parseInvitationFragment(`#jeton=abc_DEF-123&racine=${ROOT}`)).toEqual({
      token: "abc_DEF-123",
      root: ROOT,
    });
  });

  it("refuses a link without token or with a malformed fingerprint", () => {
    expect(parseInvitationFragment(`#racine=${ROOT}`)).toBeNull();
    expect(parseInvitationFragment("#jeton=abc&racine=short")).toBeNull();
    expect(parseInvitationFragment("")).toBeNull();
  });

  it("knows a fingerprint is 43 base64url characters", () => {
    expect(isFingerprint(ROOT)).toBe(true);
    expect(isFingerprint(`${ROOT}=`)).toBe(false);
    expect(isFingerprint(ROOT.replace("q", "+"))).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import {
  homeKind,
  mayCoordinate,
  mayDispatch,
  mayReport,
  mayReportDispatchStatus,
  mayUseConsole,
} from "../src/permissions";
import { ANONYMOUS, normaliseSession } from "../src/types";
import { memberSession } from "./sessions";

const session = memberSession;

describe("what the screen offers follows the server's permissions", () => {
  it("reads permissions from the session answer, ignoring junk", () => {
    const s = normaliseSession({ authenticated: true, permissions: ["incidents.report", 3] });
    expect(s.permissions).toEqual(["incidents.report"]);
    expect(normaliseSession({ authenticated: true }).permissions).toEqual([]);
  });

  it("does not grant from the role alone", () => {
    // A coordinator whose server-side rights were withdrawn sees no coordination page.
    const bare = session("coordinateur", []);
    expect(mayCoordinate(bare)).toBe(false);
    expect(homeKind(bare)).toBe("other");
    expect(mayReport(session("commercant", []))).toBe(false);
    expect(mayUseConsole(session("operateur", []))).toBe(false);
  });

  it("opens each workspace on its permission", () => {
    const merchant = session("commercant", ["incidents.report", "incidents.read_content"]);
    const coordinator = session("coordinateur", ["members.invite", "members.manage"]);
    const operator = session("operateur", ["incidents.read_content", "trust.manage_service_key"]);
    expect([homeKind(merchant), homeKind(coordinator), homeKind(operator)]).toEqual([
      "merchant",
      "coordinator",
      "operator",
    ]);
    expect(mayReport(merchant)).toBe(true);
    expect(mayCoordinate(coordinator)).toBe(true);
    expect(mayUseConsole(operator)).toBe(true);
    expect(mayUseConsole(merchant)).toBe(false);
  });

  it("gives the agent its interventions, the operator « Envoyer un agent »", () => {
    const agent = session("agent", ["incidents.read_content", "incidents.dispatch_status"]);
    const operator = session("operateur", ["trust.manage_service_key", "incidents.dispatch"]);
    expect(homeKind(agent)).toBe("agent");
    expect(mayReportDispatchStatus(agent)).toBe(true);
    expect(mayDispatch(agent)).toBe(false);
    expect(mayDispatch(operator)).toBe(true);
    expect(homeKind(session("agent", []))).toBe("other");
    // Grants are opened and signed on the device: a pending one does neither.
    expect(mayReportDispatchStatus(session("agent", ["incidents.dispatch_status"], "pending"))).toBe(false);
    expect(mayDispatch(session("operateur", ["incidents.dispatch"], "pending"))).toBe(false);
  });

  it("needs a certified device to seal, whatever the permissions", () => {
    expect(mayReport(session("commercant", ["incidents.report"], "pending"))).toBe(false);
    expect(
      mayUseConsole(
        session("operateur", ["incidents.read_content", "trust.manage_service_key"], "pending"),
      ),
    ).toBe(false);
  });

  it("grants nothing to an anonymous session", () => {
    expect(mayCoordinate({ ...ANONYMOUS, permissions: ["members.manage"] })).toBe(false);
    expect(mayCoordinate(null)).toBe(false);
  });
});

/**
 * An incident's lifecycle as the server states it (src/maillage/incidents/lifecycle.py
 * decides what is legal; docs/decisions.md, "Incident lifecycle"): its state, its verdict
 * and outcome, the time of each step (the server's, from the step's event), and the steps
 * and closing outcomes legal from here. The front end never decides legality: it draws one
 * button per `nextSteps` entry and one outcome per `closeOutcomes` entry.
 */

import { t, type MessageKey } from "../i18n";

export type LifecycleState =
  | "reported"
  | "taken"
  | "doubt_lifted"
  | "intervention"
  | "on_site"
  | "closed";
export type Step = "take" | "lift_doubt" | "engage" | "on_site" | "close";
export type Verdict = "founded" | "unfounded";
export type Outcome = "arrest" | "left" | "false_alarm" | "referred" | "other";
export type StepRoute = "take" | "lift-doubt" | "engage" | "on-site" | "close";

export const STATES: readonly LifecycleState[] = [
  "reported",
  "taken",
  "doubt_lifted",
  "intervention",
  "on_site",
  "closed",
];
export const OUTCOMES: readonly Outcome[] = ["arrest", "left", "false_alarm", "referred", "other"];

/** The stream kinds of the lifecycle, each naming the state it reached. */
export const LIFECYCLE_KINDS = [
  "incident.taken",
  "incident.doubt_lifted",
  "incident.intervention_engaged",
  "incident.on_site",
  "incident.closed",
] as const;

export interface Lifecycle {
  state: LifecycleState;
  verdict: Verdict | null;
  outcome: Outcome | null;
  /** `name`: for the police only (the shop reads « la police municipale »). */
  takenBy: { id: string; name: string | null } | null;
  /** ISO times of each step reached (the server's clock at the step). */
  at: Partial<Record<Exclude<LifecycleState, "reported">, string>>;
  nextSteps: Step[];
  closeOutcomes: Outcome[];
}

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Raw) : {};
const oneOf = <T extends string>(v: unknown, values: readonly T[]): T | null =>
  typeof v === "string" && (values as readonly string[]).includes(v) ? (v as T) : null;

const STAMPS: Record<Exclude<LifecycleState, "reported">, string> = {
  taken: "taken_at",
  doubt_lifted: "doubt_lifted_at",
  intervention: "intervention_at",
  on_site: "on_site_at",
  closed: "closed_at",
};

export const REPORTED: Lifecycle = {
  state: "reported",
  verdict: null,
  outcome: null,
  takenBy: null,
  at: {},
  nextSteps: ["take"],
  closeOutcomes: [],
};

export function normaliseLifecycle(raw: unknown): Lifecycle {
  if (raw == null) return REPORTED;
  const r = obj(raw);
  const taker = r.taken_by == null ? null : obj(r.taken_by);
  const at: Lifecycle["at"] = {};
  for (const [state, field] of Object.entries(STAMPS) as [keyof typeof STAMPS, string][]) {
    if (typeof r[field] === "string") at[state] = r[field] as string;
  }
  const steps: readonly Step[] = ["take", "lift_doubt", "engage", "on_site", "close"];
  return {
    state: oneOf(r.state, STATES) ?? "reported",
    verdict: oneOf(r.verdict, ["founded", "unfounded"] as const),
    outcome: oneOf(r.outcome, OUTCOMES),
    takenBy: taker
      ? { id: String(taker.id ?? ""), name: typeof taker.name === "string" ? taker.name : null }
      : null,
    at,
    nextSteps: Array.isArray(r.next_steps)
      ? r.next_steps.map((s) => oneOf(s, steps)).filter((s): s is Step => s !== null)
      : [],
    closeOutcomes: Array.isArray(r.close_outcomes)
      ? r.close_outcomes.map((o) => oneOf(o, OUTCOMES)).filter((o): o is Outcome => o !== null)
      : [],
  };
}

export const stateLabel = (state: LifecycleState): string =>
  t(`lifecycle.state.${state}` as MessageKey);
export const outcomeLabel = (outcome: Outcome): string =>
  t(`lifecycle.outcome.${outcome}` as MessageKey);
export const verdictLabel = (verdict: Verdict): string =>
  t(`lifecycle.verdict.${verdict}` as MessageKey);

/** One key per action, shown on screen and announced (`aria-keyshortcuts`). */
export const SHORTCUTS = {
  take: "p",
  founded: "f",
  unfounded: "i",
  engage: "e",
  on_site: "s",
  arrest: "1",
  left: "2",
  false_alarm: "3",
  referred: "4",
  other: "5",
} as const;
export type ShortcutAction = keyof typeof SHORTCUTS;

/** The actions legal here, in the console's order (one button each). */
export function actionsOf(lifecycle: Lifecycle): ShortcutAction[] {
  const actions: ShortcutAction[] = [];
  for (const step of lifecycle.nextSteps) {
    if (step === "take") actions.push("take");
    else if (step === "lift_doubt") actions.push("founded", "unfounded");
    else if (step === "engage") actions.push("engage");
    else if (step === "on_site") actions.push("on_site");
    else if (step === "close") actions.push(...lifecycle.closeOutcomes);
  }
  return actions;
}

/** The action a key press asks for, if it is legal here. */
export function actionOfKey(lifecycle: Lifecycle, key: string): ShortcutAction | null {
  const wanted = key.toLowerCase();
  return actionsOf(lifecycle).find((action) => SHORTCUTS[action] === wanted) ?? null;
}

/** The state an action's step reaches when the server accepts it (it may refuse). */
export function stateOfAction(action: ShortcutAction): LifecycleState {
  if (action === "take") return "taken";
  if (action === "founded" || action === "unfounded") return "doubt_lifted";
  if (action === "engage") return "intervention";
  if (action === "on_site") return "on_site";
  return "closed";
}

/** The request an action stands for (POST /incidents/{id}/<route>, incidents/api.ts). */
export function stepRequest(action: ShortcutAction): {
  route: StepRoute;
  body?: Record<string, string>;
} {
  if (action === "take") return { route: "take" };
  if (action === "founded" || action === "unfounded")
    return { route: "lift-doubt", body: { verdict: action } };
  if (action === "engage") return { route: "engage" };
  if (action === "on_site") return { route: "on-site" };
  return { route: "close", body: { outcome: action } };
}

/** « 38 s », « 2 min 05 s », « 1 h 03 min »: the time since the report. */
export function formatElapsed(milliseconds: number): string {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  if (seconds < 60) return t("lifecycle.elapsedSeconds", { s: seconds });
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60)
    return t("lifecycle.elapsedMinutes", { m: minutes, s: String(seconds % 60).padStart(2, "0") });
  return t("lifecycle.elapsedHours", {
    h: Math.floor(minutes / 60),
    m: String(minutes % 60).padStart(2, "0"),
  });
}

/** Every step reached, in order, with the time since the report: the reporter's timeline. */
export function timeline(
  createdAt: string,
  lifecycle: Lifecycle,
): { state: LifecycleState; at: string; elapsed: string }[] {
  const start = Date.parse(createdAt);
  const steps: { state: LifecycleState; at: string; elapsed: string }[] = [];
  for (const state of STATES) {
    if (state === "reported") continue;
    const at = lifecycle.at[state];
    if (at) steps.push({ state, at, elapsed: formatElapsed(Date.parse(at) - start) });
  }
  return steps;
}

/**
 * The coordinator's duty settings page, apart from its screen: the schedule being edited
 * (weekly ranges, exceptions), the fallback recipients chosen, and saving each. A refusal
 * keeps the draft as typed and shows the server's French sentence; nothing was stored.
 */

import { describeError } from "../api";
import { t } from "../i18n";
import { createStore, type Store } from "../store";
import {
  WEEKDAYS,
  getFallback,
  getSchedule,
  putFallback,
  putSchedule,
  type DutyException,
  type Partner,
  type TimeRange,
  type Weekday,
} from "./api";

export interface DutyState {
  loaded: boolean;
  weekly: Record<Weekday, TimeRange[]>;
  exceptions: DutyException[];
  isDefault: boolean;
  onDuty: boolean;
  candidates: Partner[];
  chosen: string[];
  busy: boolean;
  status: string | null;
  scheduleError: string | null;
  /** The field the server named (`weekly.mon[1].start`…), to mark it invalid. */
  errorField: string | null;
  fallbackError: string | null;
  loadError: string | null;
}

const empty = (): Record<Weekday, TimeRange[]> =>
  Object.fromEntries(WEEKDAYS.map((day) => [day, []])) as unknown as Record<
    Weekday,
    TimeRange[]
  >;

const INITIAL: DutyState = {
  loaded: false,
  weekly: empty(),
  exceptions: [],
  isDefault: true,
  onDuty: false,
  candidates: [],
  chosen: [],
  busy: false,
  status: null,
  scheduleError: null,
  errorField: null,
  fallbackError: null,
  loadError: null,
};

export interface DutyModel {
  state: Store<DutyState>;
  load(): Promise<void>;
  addRange(day: Weekday): void;
  removeRange(day: Weekday, index: number): void;
  setRange(day: Weekday, index: number, part: keyof TimeRange, value: string): void;
  addException(): void;
  removeException(index: number): void;
  setException(index: number, patch: Partial<DutyException>): void;
  toggleFallback(membership: string, on: boolean): void;
  saveSchedule(): Promise<boolean>;
  saveFallback(): Promise<boolean>;
}

export function createDutyModel(): DutyModel {
  const state = createStore<DutyState>({ ...INITIAL, weekly: empty() });

  function weekly(change: (copy: Record<Weekday, TimeRange[]>) => void): void {
    const copy = Object.fromEntries(
      WEEKDAYS.map((day) => [day, state.get().weekly[day].map((r) => ({ ...r }))]),
    ) as Record<Weekday, TimeRange[]>;
    change(copy);
    state.update({ weekly: copy });
  }

  function exceptions(change: (copy: DutyException[]) => void): void {
    const copy = state.get().exceptions.map((e) => ({ ...e, ranges: e.ranges.map((r) => ({ ...r })) }));
    change(copy);
    state.update({ exceptions: copy });
  }

  async function load(): Promise<void> {
    state.update({ loadError: null });
    try {
      const [schedule, fallback] = await Promise.all([getSchedule(), getFallback()]);
      state.update({
        loaded: true,
        weekly: schedule.weekly,
        exceptions: schedule.exceptions,
        isDefault: schedule.isDefault,
        onDuty: schedule.onDuty,
        candidates: fallback.candidates,
        chosen: fallback.recipients.map((p) => p.membership),
      });
    } catch (error) {
      state.update({ loaded: true, loadError: describeError(error) });
    }
  }

  return {
    state,
    load,
    addRange: (day) =>
      weekly((copy) => {
        copy[day].push({ start: "08:00", end: "20:00" });
      }),
    removeRange: (day, index) =>
      weekly((copy) => {
        copy[day].splice(index, 1);
      }),
    setRange: (day, index, part, value) =>
      weekly((copy) => {
        copy[day][index][part] = value;
      }),
    addException: () =>
      exceptions((copy) => {
        copy.push({ date: "", closed: true, ranges: [], label: "" });
      }),
    removeException: (index) =>
      exceptions((copy) => {
        copy.splice(index, 1);
      }),
    setException: (index, patch) =>
      exceptions((copy) => {
        const next = { ...copy[index], ...patch };
        if (patch.closed === true) next.ranges = [];
        if (patch.closed === false && next.ranges.length === 0)
          next.ranges = [{ start: "08:00", end: "12:00" }];
        copy[index] = next;
      }),
    toggleFallback: (membership, on) => {
      const chosen = state.get().chosen.filter((id) => id !== membership);
      state.update({ chosen: on ? [...chosen, membership] : chosen });
    },
    async saveSchedule() {
      const { weekly: days, exceptions: list } = state.get();
      state.update({ busy: true, status: null, scheduleError: null, errorField: null });
      try {
        const saved = await putSchedule(days, list);
        state.update({
          weekly: saved.weekly,
          exceptions: saved.exceptions,
          isDefault: saved.isDefault,
          onDuty: saved.onDuty,
          status: t("duty.saved"),
        });
        return true;
      } catch (error) {
        const field =
          typeof error === "object" && error !== null && "field" in error
            ? String((error as { field: unknown }).field ?? "")
            : "";
        state.update({ scheduleError: describeError(error), errorField: field || null });
        return false;
      } finally {
        state.update({ busy: false });
      }
    },
    async saveFallback() {
      state.update({ busy: true, status: null, fallbackError: null });
      try {
        const saved = await putFallback(state.get().chosen);
        state.update({
          candidates: saved.candidates,
          chosen: saved.recipients.map((p) => p.membership),
          status: t("duty.fallbackSaved"),
        });
        return true;
      } catch (error) {
        state.update({ fallbackError: describeError(error) });
        return false;
      } finally {
        state.update({ busy: false });
      }
    },
  };
}

/**
 * « Joignabilité des appareils »: the devices no channel reaches, in words, for the
 * coordinator's page and the police console (docs/decisions.md « Web Push »). The list is
 * GET /push/channels, read again on open, on every `push.*` event (a subscription made,
 * withdrawn or dropped by the push service) and on the device and member events that add
 * or remove a device; a selected device shows its recent delivery attempts.
 */

import { describeError } from "../api";
import { hasMessage, t, type MessageKey } from "../i18n";
import type { Kind, StreamEvent } from "../live/stream";
import { createStore, type Store } from "../store";
import { getAttempts, getChannels, type DeliveryAttempt, type DeviceChannel } from "./api";

export type { DeliveryAttempt, DeviceChannel } from "./api";

/** The stream's kinds that change what the list shows. */
export const CHANNEL_KINDS = [
  "push.subscribed",
  "push.unsubscribed",
  "push.subscription_disabled",
  "device.certified",
  "device.revoked",
  "member.suspended",
  "member.reinstated",
  "member.revoked",
] as const satisfies readonly Kind[];

/** Why a device is not reachable, from the fields the server gives. */
export type Why =
  | { code: "not_enabled" }
  | { code: "withdrawn" }
  | { code: "replaced" }
  | { code: "expired"; status: number }
  | { code: "disabled"; reason: string }
  | { code: "failing" };

/**
 * A live subscription that failed last is « dernier envoi en échec »; with none live, the
 * last one's reason (the server's words: `withdrawn`, `replaced`, `HTTP 410: …`); with none
 * ever, « notifications non activées ».
 */
export function whyUnreachable(device: DeviceChannel): Why {
  if (device.pushLive > 0) return { code: "failing" };
  const reason = device.pushDisabledReason?.trim() ?? "";
  if (!reason) return { code: "not_enabled" };
  if (reason === "withdrawn") return { code: "withdrawn" };
  if (reason === "replaced") return { code: "replaced" };
  const gone = /\bHTTP (404|410)\b/.exec(reason);
  if (gone) return { code: "expired", status: Number(gone[1]) };
  return { code: "disabled", reason };
}

export function whyText(why: Why): string {
  switch (why.code) {
    case "expired":
      return t("channels.why.expired", { status: why.status });
    case "disabled":
      return t("channels.why.disabled", { reason: why.reason });
    default:
      return t(`channels.why.${why.code}` as MessageKey);
  }
}

/** How a reachable device is reached, or why the others are not: the « État » in words. */
export function channelText(device: DeviceChannel): string {
  if (!device.reachable) return whyText(whyUnreachable(device));
  const ways: string[] = [];
  if (device.pushWorking) ways.push(t("channels.how.push"));
  if (device.streamConnected) ways.push(t("channels.how.stream"));
  return ways.join(", ");
}

const collator = () => new Intl.Collator("fr", { sensitivity: "base" });

/** Unreachable first, then by member name, role and device: the same order on every reload. */
export function orderChannels(devices: readonly DeviceChannel[]): DeviceChannel[] {
  const names = collator();
  return [...devices].sort(
    (a, b) =>
      Number(a.reachable) - Number(b.reachable) ||
      names.compare(a.name, b.name) ||
      a.role.localeCompare(b.role) ||
      a.device.localeCompare(b.device),
  );
}

export function unreachableOf(devices: readonly DeviceChannel[]): DeviceChannel[] {
  return orderChannels(devices.filter((d) => !d.reachable));
}

/** « 3 appareils injoignables », « 1 appareil injoignable », or « tous joignables ». */
export function unreachableSummary(count: number): string {
  if (count === 0) return t("channels.noneUnreachable");
  if (count === 1) return t("channels.oneUnreachable");
  return t("channels.manyUnreachable", { count });
}

/** « Remis », « Erreur temporaire », « Erreur définitive »: the result in words. */
export function resultText(result: string): string {
  const key = `channels.result.${result}`;
  return hasMessage(key) ? t(key) : result;
}

export function transportText(transport: string): string {
  return transport === "webpush" ? t("channels.transport.webpush") : transport;
}

export interface ChannelsState {
  /** Null until the first answer. */
  devices: DeviceChannel[] | null;
  error: string | null;
  loading: boolean;
  /** The device whose attempts are shown. */
  selected: string | null;
  attempts: DeliveryAttempt[] | null;
  attemptsError: string | null;
  /** What a live update changed, for the polite live region. */
  said: string | null;
}

export interface ChannelsModel {
  state: Store<ChannelsState>;
  load(): Promise<void>;
  /** A stream event: the list again, and the selected device's attempts. */
  live(event: StreamEvent): Promise<void>;
  select(device: string | null): Promise<void>;
}

const INITIAL: ChannelsState = {
  devices: null,
  error: null,
  loading: false,
  selected: null,
  attempts: null,
  attemptsError: null,
  said: null,
};

export function createChannels(): ChannelsModel {
  const state = createStore<ChannelsState>(INITIAL);
  // Answers may cross (an event during a reload): only the latest request's answer is kept.
  let listTurn = 0;
  let attemptsTurn = 0;

  const load = async () => {
    const turn = ++listTurn;
    state.update({ loading: true });
    try {
      const { devices } = await getChannels();
      if (turn === listTurn) state.update({ devices, error: null, loading: false });
    } catch (err) {
      if (turn === listTurn) state.update({ error: describeError(err), loading: false });
    }
  };

  const loadAttempts = async (device: string) => {
    const turn = ++attemptsTurn;
    try {
      const attempts = await getAttempts(device);
      if (turn === attemptsTurn) state.update({ attempts, attemptsError: null });
    } catch (err) {
      if (turn === attemptsTurn) state.update({ attemptsError: describeError(err) });
    }
  };

  return {
    state,
    load,
    async live(event) {
      const { selected, devices: before } = state.get();
      const work = [load()];
      if (selected && event.kind.startsWith("push.")) work.push(loadAttempts(selected));
      await Promise.all(work);
      // Said only when the count moved: a device certified that pushes is not news.
      const count = (list: DeviceChannel[] | null) => (list ? unreachableOf(list).length : null);
      const now = count(state.get().devices);
      if (now !== null && now !== count(before))
        state.update({ said: t("channels.updated", { summary: unreachableSummary(now) }) });
    },
    async select(device) {
      if (device === state.get().selected) return;
      attemptsTurn++;
      state.update({ selected: device, attempts: null, attemptsError: null });
      if (device) await loadAttempts(device);
    },
  };
}

/**
 * « Mode crise » as one device sees it, apart from the screen (docs/decisions.md, « Mode
 * crise »). The state comes from `GET /crisis` on load and again on every `crisis.*`
 * event of the stream (and after a resync); the instructions are a broadcast sealed to the
 * commune's group key, opened here with the key ring of the broadcasts' own flow
 * (broadcasts/groupKeyFlow.ts). An operator device also seals and switches: the
 * instructions once to the latest generation; a `409 stale_group_key` (a rotation
 * meanwhile) refetches the generations and seals again once, under a new id.
 */

import { ApiError } from "../api";
import { fetchBroadcastAttachment, type StoredBroadcast } from "../broadcasts/api";
import { runGroupKeyFlow, SCOPE, type KeyRing } from "../broadcasts/groupKeyFlow";
import { openBroadcast, parseBroadcast, sealBroadcast } from "../envelope/broadcast";
import { t } from "../i18n";
import { asFlowError, FlowError, nowSeconds } from "../incidents/context";
import { checkDraft } from "../incidents/send";
import type { StreamEvent } from "../live/stream";
import { createStore, type Store } from "../store";
import { getCrisis, postCrisis, type CrisisOut, type CrisisSwitch } from "./api";

/** The stream's kinds this model follows. */
export const CRISIS_KINDS = ["crisis.started", "crisis.instructions_changed", "crisis.ended"] as const;

/** A sealed text as this device opened it: `text` null when it could not be opened. */
export interface OpenedText {
  id: string;
  text: string | null;
  error: string | null;
}

export interface CrisisState {
  /** Null until the first answer. */
  crisis: CrisisOut | null;
  instructions: OpenedText | null;
  endMessage: OpenedText | null;
  /** The last live announcement, for the assertive live region. */
  alert: string | null;
  error: string | null;
  action: { busy: boolean; error: string | null; done: string | null };
}

export interface CrisisModel {
  state: Store<CrisisState>;
  start(): Promise<void>;
  live(event: StreamEvent): Promise<void>;
  resync(): Promise<void>;
  stop(): void;
  /** Operator devices: start (or, when on, change the instructions), sealed to the commune. */
  switchOn(text: string): Promise<boolean>;
  /** Operator devices: end, with an optional closing message. */
  switchOff(text: string): Promise<boolean>;
}

export interface CrisisOptions {
  /** Runs first (the console's service key lifecycle): one key flow at a time per page. */
  after?: Promise<unknown>;
}

const INITIAL: CrisisState = {
  crisis: null,
  instructions: null,
  endMessage: null,
  alert: null,
  error: null,
  action: { busy: false, error: null, done: null },
};

export function createCrisis(commune: string, options: CrisisOptions = {}): CrisisModel {
  const state = createStore<CrisisState>(INITIAL);
  const stopped = new AbortController();
  let ring: Promise<KeyRing | null> | null = null;
  let keyError: string | null = null;
  let loading: Promise<void> | null = null;
  let again = false;

  async function runKeys(): Promise<KeyRing | null> {
    try {
      await options.after?.catch(() => undefined);
      const { ring: made } = await runGroupKeyFlow(commune, SCOPE, stopped.signal);
      keyError = null;
      return made;
    } catch (err) {
      keyError = asFlowError(err).message;
      return null;
    }
  }

  const keys = (fresh = false): Promise<KeyRing | null> => {
    if (fresh || !ring) ring = runKeys();
    return ring;
  };

  async function open(stored: StoredBroadcast | null): Promise<OpenedText | null> {
    if (!stored) return null;
    const opened: OpenedText = { id: stored.broadcast, text: null, error: null };
    try {
      const { header } = parseBroadcast(stored.envelope);
      let current = await keys();
      // Sealed to a generation this device has not verified yet: fetch it first.
      if (current && header.number > (current.generations.latest?.number ?? 0)) {
        current = await keys(true);
      }
      if (!current) throw new FlowError("no_group_key", keyError ?? t("broadcast.noKey"));
      const opener = await current.opener(header.number);
      if (!opener) throw new FlowError("no_group_grant", t("broadcast.noGrant"));
      const parts: Uint8Array[] = [];
      for (const part of stored.attachments) {
        parts.push(await fetchBroadcastAttachment(stored.broadcast, part.index));
      }
      const result = await openBroadcast(
        stored.envelope,
        parts,
        { commune, scope: SCOPE, broadcast: stored.broadcast },
        opener,
        current.trust,
      );
      opened.text = result.text ?? "";
    } catch (err) {
      opened.error = asFlowError(err).message;
    }
    return opened;
  }

  /** The same broadcast opened before keeps its text: no need to open it twice. */
  async function reopen(stored: StoredBroadcast | null, before: OpenedText | null) {
    if (stored && before && before.id === stored.broadcast && before.text !== null) return before;
    return open(stored);
  }

  async function show(crisis: CrisisOut): Promise<void> {
    const before = state.get();
    const instructions = crisis.active ? await reopen(crisis.instructions, before.instructions) : null;
    const endMessage = crisis.active ? null : await reopen(crisis.endMessage, before.endMessage);
    if (stopped.signal.aborted) return;
    state.update({ crisis, instructions, endMessage, error: null });
  }

  async function loadOnce(): Promise<void> {
    try {
      const crisis = await getCrisis();
      if (stopped.signal.aborted) return;
      await show(crisis);
    } catch (err) {
      if (!stopped.signal.aborted) state.update({ error: asFlowError(err).message });
    }
  }

  /** One load at a time; a burst of events adds at most one more after it. */
  function load(): Promise<void> {
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      do {
        again = false;
        await loadOnce();
      } while (again && !stopped.signal.aborted);
    })().finally(() => {
      loading = null;
    });
    return loading;
  }

  async function start(): Promise<void> {
    await load();
  }

  async function live(event: StreamEvent): Promise<void> {
    if (stopped.signal.aborted) return;
    if (!(CRISIS_KINDS as readonly string[]).includes(event.kind)) return;
    await load();
    const alert =
      event.kind === "crisis.started"
        ? t("crisis.announceStarted")
        : event.kind === "crisis.ended"
          ? t("crisis.announceEnded")
          : t("crisis.announceChanged");
    state.update({ alert });
  }

  async function seal(current: KeyRing, text: string) {
    const latest = current.generations.latest;
    if (!latest || current.generations.latestUntrusted !== null) {
      throw new FlowError("no_group_key", t("broadcast.noKey"));
    }
    const { ctx } = current;
    const sealed = await sealBroadcast(
      { commune, scope: SCOPE, broadcast: crypto.randomUUID() },
      {
        signPrivate: ctx.keys.signPrivate,
        device: ctx.deviceId,
        serial: ctx.certificate.serial,
        chain: ctx.chain,
      },
      latest,
      { text, fields: {}, attachments: [] },
      nowSeconds(),
    );
    return sealed.wire;
  }

  async function post(action: CrisisSwitch, text: string): Promise<CrisisOut> {
    if (!text.trim()) return postCrisis(action, null);
    checkDraft(text, []);
    for (const fresh of [false, true]) {
      const current = await keys(fresh);
      if (!current) throw new FlowError("no_group_key", keyError ?? t("broadcast.noKey"));
      try {
        return await postCrisis(action, await seal(current, text));
      } catch (err) {
        // A rotation since the key was read: the server takes the latest generation only.
        if (fresh || !(err instanceof ApiError && err.code === "stale_group_key")) throw err;
      }
    }
    throw new FlowError("no_group_key", t("broadcast.noKey"));
  }

  async function run(action: CrisisSwitch, text: string, done: string): Promise<boolean> {
    state.update({ action: { busy: true, error: null, done: null } });
    try {
      const crisis = await post(action, text);
      await show(crisis);
      state.update({ action: { busy: false, error: null, done } });
      return true;
    } catch (err) {
      state.update({ action: { busy: false, error: asFlowError(err).message, done: null } });
      return false;
    }
  }

  async function switchOn(text: string): Promise<boolean> {
    if (!text.trim()) {
      state.update({ action: { busy: false, error: t("crisis.instructionsEmpty"), done: null } });
      return false;
    }
    const on = state.get().crisis?.active === true;
    return run(on ? "instructions" : "start", text, on ? t("crisis.changedDone") : t("crisis.startedDone"));
  }

  function switchOff(text: string): Promise<boolean> {
    return run("end", text, t("crisis.endedDone"));
  }

  return {
    state,
    start,
    live,
    resync: load,
    stop: () => stopped.abort(),
    switchOn,
    switchOff,
  };
}

/**
 * The page's one live stream, bound to the browser: the real EventSource (same origin, the
 * session cookie goes with it), window timers, and the session. It runs while someone is
 * signed in with a membership that may still become or stay active, and closes on
 * sign-out. Pages listen through `useStreamEvent` and show `useStreamStatus`.
 */

import { useEffect, useRef } from "preact/hooks";
import { loadSession, sessionStore } from "../session";
import { useStore } from "../store";
import type { Session } from "../types";
import {
  createStream,
  type EventSourceLike,
  type Kind, type LiveStream, type StreamEvent, type StreamState } from "./stream";

let stream: LiveStream | null = null;

/**
 * Whether this session should hold a stream: signed in from a registered device (the
 * stream answers 403 without one), not suspended nor revoked; pending is live, so that
 * approval takes the member in at once.
 */
export function wantsStream(session: Session | null): boolean {
  const status = session?.membership?.status;
  return (
    !!session?.authenticated &&
    !!session.device?.id &&
    (status === "active" || status === "pending")
  );
}

export function liveStream(): LiveStream {
  if (stream) return stream;
  const made = createStream({
    // The DOM types its handlers with `this`; the shape is the same.
    connect: (url) => new EventSource(url, { withCredentials: true }) as unknown as EventSourceLike,
    timers: {
      setTimeout: (fn, ms) => window.setTimeout(fn, ms),
      clearTimeout: (handle) => window.clearTimeout(handle as number),
    },
    checkSession: async () => {
      try {
        return wantsStream(await loadSession());
      } catch {
        return true;
      }
    },
  });
  stream = made;
  const follow = () => {
    if (typeof EventSource === "undefined") return;
    if (wantsStream(sessionStore.get().session)) made.start();
    else if (made.state.get().status !== "idle") made.stop();
  };
  sessionStore.subscribe(follow);
  follow();
  return made;
}

export function useStreamStatus(): StreamState {
  return useStore(liveStream().state);
}

/** Calls the latest `handler` for each event of these kinds while the component is shown. */
export function useStreamEvent<K extends Kind>(
  kinds: K | readonly K[],
  handler: (event: StreamEvent & { kind: K }) => void,
): void {
  const latest = useRef(handler);
  latest.current = handler;
  const key = typeof kinds === "string" ? kinds : kinds.join(",");
  useEffect(
    () => liveStream().on(key.split(",") as K[], (event) => latest.current(event)),
    [key],
  );
}

/** Calls `handler` when the stream asks for a reload (`resync`). */
export function useStreamResync(handler: () => void): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => liveStream().onResync(() => latest.current()), []);
}

/** Kinds that may change what this session is (approval, suspension, a device withdrawn). */
export const SELF_KINDS = [
  "device.certified",
  "device.revoked",
  "member.enrolled",
  "member.suspended",
  "member.reinstated",
  "member.revoked",
] as const;

/** Whether `event` is about this session's member or device. */
export function isAboutSelf(event: StreamEvent, session: Session | null): boolean {
  const member = session?.membership?.id;
  const device = session?.device?.id;
  return (
    (!!member && event.member === member) ||
    (!!device && event.targetType === "device" && event.targetId === device)
  );
}

/**
 * For the whole app: an event about oneself re-fetches the session, so a member waiting
 * for approval is taken in as soon as a coordinator certifies the device, and a suspended
 * one is signed out at once. `onApproved` runs when a pending member or device became active.
 */
export function useSelfEvents(onApproved: () => void): void {
  useStreamEvent(SELF_KINDS, (event) => {
    const before = sessionStore.get().session;
    if (!isAboutSelf(event, before)) return;
    const waiting =
      before?.membership?.status === "pending" || before?.device?.status === "pending";
    void loadSession()
      .then((after) => {
        const active = after.membership?.status === "active" && after.device?.status === "active";
        if (waiting && active) onApproved();
      })
      .catch(() => undefined);
  });
}

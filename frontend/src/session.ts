/**
 * Who is signed in, shared by every page. A 401 on any request, or a session that vanished
 * since the last visit (suspension or revocation flushes it on the server), signs the app
 * out with a French notice instead of failing silently.
 */

import { useEffect, useState } from "preact/hooks";
import { api, ApiError, describeError, onUnauthenticated } from "./api";
import { getPublicId, pinRoot, setPublicId } from "./device/keystore";
import { t } from "./i18n";
import { ANONYMOUS, normaliseSession, type Session } from "./types";

const SIGNED_IN_FLAG = "maillage.signedIn";

export interface SessionState {
  session: Session | null;
  /** A message about how the previous session ended (shown once, polite live region). */
  notice: string | null;
}

let state: SessionState = { session: null, notice: null };
const listeners = new Set<(s: SessionState) => void>();

function emit(next: Partial<SessionState>): void {
  state = { ...state, ...next };
  for (const listener of listeners) listener(state);
}

function remember(session: Session): void {
  try {
    if (session.authenticated) localStorage.setItem(SIGNED_IN_FLAG, "1");
    else localStorage.removeItem(SIGNED_IN_FLAG);
  } catch {
    /* private mode: no memory, no notice */
  }
}

function wasSignedIn(): boolean {
  try {
    return localStorage.getItem(SIGNED_IN_FLAG) === "1";
  } catch {
    return false;
  }
}

/** Adopts a session the server returned (sign-in, enrolment, demo, GET /session). */
export async function adoptSession(raw: unknown): Promise<Session> {
  const session = normaliseSession(raw);
  if (session.authenticated && session.device?.id) {
    if ((await getPublicId()) !== session.device.id) await setPublicId(session.device.id);
  }
  if (session.authenticated && session.root?.fingerprint) {
    // Only fills a gap: a root pinned from an invitation link is never overwritten.
    await pinRoot({
      fingerprint: session.root.fingerprint,
      source: "server",
      commune: session.membership?.commune?.id,
    });
  }
  remember(session);
  emit({ session, notice: session.authenticated ? null : state.notice });
  return session;
}

let inFlight: Promise<Session> | null = null;

/** Asks the server who is signed in; concurrent callers share one request. */
export function loadSession(): Promise<Session> {
  inFlight ??= fetchSession().finally(() => {
    inFlight = null;
  });
  return inFlight;
}

async function fetchSession(): Promise<Session> {
  const hadSession = wasSignedIn();
  try {
    const session = await adoptSession(await api.get("/session", { quiet401: true }));
    if (!session.authenticated && hadSession) emit({ notice: t("session.ended") });
    return session;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      remember(ANONYMOUS);
      emit({ session: ANONYMOUS, notice: describeError(error) });
      return ANONYMOUS;
    }
    emit({ session: state.session ?? ANONYMOUS, notice: describeError(error) });
    throw error;
  }
}

export async function logout(): Promise<void> {
  try {
    await api.post("/session/logout", {}, { quiet401: true });
  } finally {
    remember(ANONYMOUS);
    emit({ session: ANONYMOUS, notice: t("session.loggedOut") });
  }
}

export function clearNotice(): void {
  emit({ notice: null });
}

export function getSession(): Session | null {
  return state.session;
}

onUnauthenticated((error) => {
  if (!state.session?.authenticated) return;
  remember(ANONYMOUS);
  emit({ session: ANONYMOUS, notice: describeError(error) });
});

export function useSession(): SessionState {
  const [current, setCurrent] = useState(state);
  useEffect(() => {
    listeners.add(setCurrent);
    setCurrent(state);
    return () => {
      listeners.delete(setCurrent);
    };
  }, []);
  return current;
}

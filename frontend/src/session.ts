/**
 * Who is signed in, shared by every page. A 401 on any request, or a session that vanished
 * since the last visit (suspension or revocation flushes it on the server), signs the app
 * out with a French notice instead of failing silently.
 */

import { useEffect } from "preact/hooks";
import {
  ApiError,
  currentSessionEpoch,
  describeError,
  postLogout,
  requestSession,
  sessionChanged,
  unauthenticated,
} from "./api";
import { getPublicId, pinRoot, setPublicId } from "./device/keystore";
import { t } from "./i18n";
import { createStore, useStore } from "./store";
import { ANONYMOUS, type Session } from "./types";

const SIGNED_IN_FLAG = "maillage.signedIn";
/**
 * The flag's value once a session was found ended after the page loaded (by its live
 * stream, say): the next load shows the notice once more, so a reload still says why.
 */
const ENDED = "ended";

export interface SessionState {
  session: Session | null;
  /** A message about how the previous session ended (shown once, polite live region). */
  notice: string | null;
}

export const sessionStore = createStore<SessionState>({ session: null, notice: null });
const emit = sessionStore.update;

/**
 * One write per change: another page of this origin (a reload in a fresh renderer) may read
 * the flag at any moment, so a session found ended goes from "1" to ENDED directly, never
 * through an absent flag that would lose the notice.
 */
function remember(session: Session, ended = false): void {
  try {
    if (session.authenticated) localStorage.setItem(SIGNED_IN_FLAG, "1");
    else if (ended) localStorage.setItem(SIGNED_IN_FLAG, ENDED);
    else localStorage.removeItem(SIGNED_IN_FLAG);
  } catch {
    /* private mode: no memory, no notice */
  }
}

function wasSignedIn(): boolean {
  try {
    const flag = localStorage.getItem(SIGNED_IN_FLAG);
    return flag === "1" || flag === ENDED;
  } catch {
    return false;
  }
}

/**
 * Adopts a session the server returned (sign-in, enrolment, demo, GET /session); `ended`
 * when this page saw it end, so that the next load says why once more.
 */
export async function adoptSession(session: Session, ended = false): Promise<Session> {
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
  if (session.authenticated) endedSinceLoad = false;
  remember(session, ended);
  emit({ session, notice: session.authenticated ? null : sessionStore.get().notice });
  return session;
}

/**
 * Adopts the session a sign-in just opened (passkey, enrolment, demo). Whatever was in
 * flight under the previous session (a session check, a 401 of its flushed cookie) now
 * answers for a session that is gone, and must not sign the new one out.
 */
export function adoptSignIn(session: Session): Promise<Session> {
  sessionChanged();
  inFlight = null;
  return adoptSession(session);
}

let inFlight: Promise<Session> | null = null;

/** Asks the server who is signed in; concurrent callers share one request. */
export function loadSession(): Promise<Session> {
  if (inFlight) return inFlight;
  const asked: Promise<Session> = fetchSession().finally(() => {
    if (inFlight === asked) inFlight = null;
  });
  inFlight = asked;
  return asked;
}

/** What a check that answered for a previous session returns: the session held now. */
const current = (): Session => (signingOut ? ANONYMOUS : (sessionStore.get().session ?? ANONYMOUS));

// Whether this page already asked once (its load), and found the session ended since.
let loadedOnce = false;
let endedSinceLoad = false;
/**
 * While a sign-out is under way, a request in flight answers for the old session: its 401,
 * or the session it returns, must not replace « Vous êtes déconnecté(e) » nor sign the page
 * back in. Each sign-in and sign-out also bumps the API's session epoch (api.ts).
 */
let signingOut = false;

async function fetchSession(): Promise<Session> {
  const hadSession = wasSignedIn();
  const atLoad = !loadedOnce;
  const epoch = currentSessionEpoch();
  loadedOnce = true;
  const stale = () => signingOut || epoch !== currentSessionEpoch();
  try {
    const answer = await requestSession();
    if (stale()) return current();
    if (!answer.authenticated && hadSession && !atLoad) endedSinceLoad = true;
    const session = await adoptSession(answer, !answer.authenticated && endedSinceLoad);
    if (!session.authenticated && hadSession) emit({ notice: t("session.ended") });
    return session;
  } catch (error) {
    if (stale()) return current();
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      if (hadSession && !atLoad) endedSinceLoad = true;
      remember(ANONYMOUS, endedSinceLoad);
      emit({ session: ANONYMOUS, notice: describeError(error) });
      return ANONYMOUS;
    }
    emit({ session: sessionStore.get().session ?? ANONYMOUS, notice: describeError(error) });
    throw error;
  }
}

export async function logout(): Promise<void> {
  signingOut = true;
  sessionChanged();
  try {
    await postLogout();
  } finally {
    // A check of the session begun while signing out answers for the old one: stale too.
    sessionChanged();
    signingOut = false;
    endedSinceLoad = false;
    remember(ANONYMOUS);
    emit({ session: ANONYMOUS, notice: t("session.loggedOut") });
  }
}

export function clearNotice(): void {
  endedSinceLoad = false;
  if (!sessionStore.get().session?.authenticated) remember(ANONYMOUS);
  emit({ notice: null });
}

export function getSession(): Session | null {
  return sessionStore.get().session;
}

unauthenticated.subscribe((error) => {
  if (!error || signingOut || !sessionStore.get().session?.authenticated) return;
  // The session ended under this page (revoked, suspended): a reload still says why.
  endedSinceLoad = true;
  remember(ANONYMOUS, true);
  emit({ session: ANONYMOUS, notice: describeError(error) });
});

export function useSession(): SessionState {
  return useStore(sessionStore);
}

/**
 * Re-checks the session now and whenever the tab comes back into view: the mairie may have
 * approved, suspended or revoked this member since.
 */
export function useSessionRecheck(): void {
  useEffect(() => {
    void loadSession().catch(() => undefined);
    const onVisible = () => {
      if (document.visibilityState === "visible") void loadSession().catch(() => undefined);
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }, []);
}

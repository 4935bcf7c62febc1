/**
 * The console's audible signal: two short tones made with WebAudio on this device (no audio
 * file, nothing fetched), and the mute choice remembered in localStorage. Browsers keep an
 * AudioContext suspended until the person interacts with the page, so `unlockAudio` runs on
 * the first tap or key press; a signal before that stays silent, the visual one still shows.
 */

import { createStore } from "../store";

export const MUTE_STORAGE_KEY = "maillage.console.muted";

function readMuted(): boolean {
  try {
    return localStorage.getItem(MUTE_STORAGE_KEY) === "1";
  } catch {
    return false;
  }
}

export const mutedStore = createStore<boolean>(typeof localStorage === "undefined" ? false : readMuted());

export function setMuted(muted: boolean): void {
  try {
    if (muted) localStorage.setItem(MUTE_STORAGE_KEY, "1");
    else localStorage.removeItem(MUTE_STORAGE_KEY);
  } catch {
    /* private mode: the choice lasts this page */
  }
  mutedStore.set(muted);
  if (!muted) unlockAudio();
}

let audio: AudioContext | null = null;

function context(): AudioContext | null {
  if (audio) return audio;
  const Ctor =
    typeof window === "undefined"
      ? undefined
      : (window.AudioContext ??
        (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext);
  if (!Ctor) return null;
  try {
    audio = new Ctor();
  } catch {
    audio = null;
  }
  return audio;
}

/** Lets later signals sound: call from a user gesture. */
export function unlockAudio(): void {
  const ctx = context();
  if (ctx && ctx.state === "suspended") void ctx.resume().catch(() => undefined);
}

/** How many signals this page started: the console shows it as `data-signals` (no other
 * trace of a sound is observable, and the browser tests check the beep was triggered). */
export const signalCountStore = createStore<number>(0);

/** A burst of reports rings once, not twenty times on top of each other. */
const QUIET_MS = 1500;
let lastPlayed = -Infinity;

/** Two short tones (about 0.35 s), unless muted or just played; whether it tried to sound. */
export function playSignal(now: number = Date.now()): boolean {
  if (mutedStore.get() || now - lastPlayed < QUIET_MS) return false;
  const ctx = context();
  if (!ctx) return false;
  lastPlayed = now;
  if (ctx.state === "suspended") void ctx.resume().catch(() => undefined);
  const start = ctx.currentTime + 0.01;
  [0, 0.2].forEach((offset, i) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = i === 0 ? 880 : 1175;
    const t0 = start + offset;
    gain.gain.setValueAtTime(0.0001, t0);
    gain.gain.exponentialRampToValueAtTime(0.25, t0 + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.15);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0);
    osc.stop(t0 + 0.16);
  });
  signalCountStore.set(signalCountStore.get() + 1);
  return true;
}

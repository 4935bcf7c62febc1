/**
 * The discreet alert's gesture (docs/decisions.md, « Alerte discrète »): one finger held
 * still for 2 seconds on the shop's name at the top of the home page sends « agression en
 * cours » at once. Nothing shows while the finger is down; a finger that moves (a scroll),
 * lifts early, or a second finger cancels. The logic is timers and numbers only, so Vitest
 * drives it with fake timers; the page binds it to pointer events (touch, pen and mouse).
 */

export const LONG_PRESS_MS = 2000;
/** A thumb resting on glass drifts a little; more than this is a scroll or a swipe. */
export const MOVE_TOLERANCE_PX = 12;

export interface PressTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface LongPress {
  down(pointer: number, x: number, y: number): void;
  move(pointer: number, x: number, y: number): void;
  up(pointer: number): void;
  cancel(): void;
}

export function createLongPress(
  onFire: () => void,
  timers: PressTimers,
  ms: number = LONG_PRESS_MS,
  tolerance: number = MOVE_TOLERANCE_PX,
): LongPress {
  let active: { pointer: number; x: number; y: number; handle: unknown } | null = null;
  // A second finger during a press spoils it until every finger is up.
  let spoiled = false;
  const pointers = new Set<number>();

  const stop = () => {
    if (active) timers.clearTimeout(active.handle);
    active = null;
  };

  return {
    down(pointer, x, y) {
      pointers.add(pointer);
      if (pointers.size > 1) {
        spoiled = true;
        stop();
        return;
      }
      spoiled = false;
      stop();
      const handle = timers.setTimeout(() => {
        if (!active || active.pointer !== pointer || spoiled) return;
        active = null;
        onFire();
      }, ms);
      active = { pointer, x, y, handle };
    },
    move(pointer, x, y) {
      if (!active || active.pointer !== pointer) return;
      if (Math.hypot(x - active.x, y - active.y) > tolerance) stop();
    },
    up(pointer) {
      pointers.delete(pointer);
      if (active?.pointer === pointer) stop();
      if (pointers.size === 0) spoiled = false;
    },
    cancel() {
      pointers.clear();
      spoiled = false;
      stop();
    },
  };
}

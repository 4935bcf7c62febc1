/**
 * Drills on every screen that shows reports: the running drill, kept fresh by the stream
 * (`exercise.started`/`exercise.ended`); the shop's banner; the police's start and end.
 * A report joins the drill only when its confirmation screen says so (docs/decisions.md,
 * "Drills").
 */

import { useCallback, useEffect, useState } from "preact/hooks";
import { describeError } from "../api";
import { ErrorMessage, Field, LiveStatus } from "../components/ui";
import { t } from "../i18n";
import { useStreamEvent, useStreamResync } from "../live/browser";
import { endExercise, getCurrentExercise, startExercise, type Exercise } from "./api";

export const EXERCISE_KINDS = ["exercise.started", "exercise.ended"] as const;

/** The running drill (null: none; undefined: not known yet). */
export function useExercise(enabled = true): [Exercise | null | undefined, () => Promise<void>] {
  const [current, setCurrent] = useState<Exercise | null | undefined>(undefined);
  const load = useCallback(async () => {
    if (!enabled) return;
    try {
      setCurrent(await getCurrentExercise());
    } catch {
      // Kept as it was: the next event or resync reads it again.
    }
  }, [enabled]);
  useEffect(() => {
    void load();
  }, [load]);
  useStreamEvent(EXERCISE_KINDS, () => void load());
  useStreamResync(() => void load());
  return [current, load];
}

/** The shop's home while a drill runs: plain words, no alarm colour (it is a drill). */
export function ExerciseBanner({ exercise }: { exercise: Exercise | null | undefined }) {
  if (!exercise) return null;
  return (
    <div class="callout callout-exercise" role="status" data-exercise={exercise.id}>
      <p>
        <strong>{t("exercise.banner", { name: exercise.name })}</strong> {t("exercise.bannerText")}
      </p>
    </div>
  );
}

/** « Exercice » beside a report that belongs to one. */
export function ExerciseTag({ exercise }: { exercise?: { name: string } | null }) {
  if (!exercise) return null;
  return <span class="badge badge-exercise">{t("exercise.tag")}</span>;
}

/** The console's control: start a drill (with a name), or end the running one. */
export function ExerciseControl({ manage }: { manage: boolean }) {
  const [current, reload] = useExercise();
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  if (!manage || current === undefined) return null;
  const run = async (work: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      setSaid(done);
      setName("");
      await reload();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card stack exercise-control" aria-labelledby="exercise-title">
      <h2 id="exercise-title">{t("exercise.title")}</h2>
      {current ? (
        <>
          <p>
            <ExerciseTag exercise={current} /> {t("exercise.running", { name: current.name })}
          </p>
          <button
            type="button"
            class="button button-secondary"
            disabled={busy}
            onClick={() => void run(() => endExercise(current.id), t("exercise.ended"))}
          >
            {t("exercise.end")}
          </button>
        </>
      ) : (
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => startExercise(name), t("exercise.started"));
          }}
        >
          <Field label={t("exercise.name")} hint={t("exercise.nameHint")}>
            {({ id, describedBy }) => (
              <input
                id={id}
                type="text"
                maxLength={80}
                value={name}
                aria-describedby={describedBy}
                onInput={(e) => setName((e.target as HTMLInputElement).value)}
              />
            )}
          </Field>
          <p>
            <button type="submit" class="button button-secondary" disabled={busy}>
              {t("exercise.start")}
            </button>
          </p>
        </form>
      )}
      <ErrorMessage message={error} />
      <LiveStatus message={said} busy={busy} />
    </section>
  );
}

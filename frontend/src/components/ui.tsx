/** Small accessible building blocks shared by the pages. */

import type { ComponentChildren, JSX } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { t } from "../i18n";

/** A polite live region that is always in the DOM, so screen readers hear each change. */
export function LiveStatus({ message, busy = false }: { message: string | null; busy?: boolean }) {
  return (
    <div class="status" role="status" aria-live="polite" aria-busy={busy ? "true" : "false"}>
      {message ? <p>{message}</p> : null}
    </div>
  );
}

/** An error announced at once (role=alert) and styled as such. */
export function ErrorMessage({ message, id }: { message: string | null; id?: string }) {
  if (!message) return null;
  return (
    <div class="error" role="alert" id={id}>
      <p>
        <strong>{t("common.errorPrefix")}</strong> {message}
      </p>
    </div>
  );
}

export function Loading() {
  return (
    <p class="loading" role="status" aria-live="polite">
      {t("common.loading")}
    </p>
  );
}

type FieldProps = {
  label: string;
  /** The control's id; generated when absent. */
  id?: string;
  hint?: string;
  error?: string | null;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => JSX.Element;
};

/** Label + control + hint + error, wired together with for/id and aria-describedby. */
export function Field({ label, id: givenId, hint, error, children }: FieldProps) {
  const generated = useId();
  const id = givenId ?? generated;
  const hintId = hint ? `${id}-hint` : "";
  const errorId = error ? `${id}-error` : "";
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
  return (
    <div class={error ? "field field-invalid" : "field"}>
      <label for={id}>{label}</label>
      {hint ? (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {children({ id, describedBy, invalid: !!error })}
      {error ? (
        <p class="field-error" id={errorId}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** Copies text to the clipboard and says so in a live region. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone(t("common.copied"));
    } catch {
      setDone(t("common.copyFailed"));
    }
  };
  return (
    <div class="copy">
      <button type="button" class="button button-secondary" onClick={copy}>
        {label}
      </button>
      <span class="copy-status" role="status" aria-live="polite">
        {done ?? ""}
      </span>
    </div>
  );
}

type ConfirmProps = {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
};

/**
 * A modal confirmation on the native <dialog>: focus is trapped and Escape cancels; focus
 * goes back to the element that opened it.
 */
export function ConfirmDialog(props: ConfirmProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<Element | null>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) {
      opener.current = document.activeElement;
      dialog.showModal();
    } else if (!props.open && dialog.open) {
      dialog.close();
      (opener.current as HTMLElement | null)?.focus?.();
    }
  }, [props.open]);
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        props.onCancel();
      }}
    >
      <h2 id={titleId}>{props.title}</h2>
      <div class="dialog-body">{props.children}</div>
      <div class="actions">
        <button
          type="button"
          class={props.danger ? "button button-danger" : "button"}
          onClick={props.onConfirm}
        >
          {props.confirmLabel}
        </button>
        {/* For a destructive action, the safe choice has the focus first. */}
        <button
          type="button"
          class="button button-secondary"
          onClick={props.onCancel}
          autoFocus={props.danger}
        >
          {t("common.cancel")}
        </button>
      </div>
    </dialog>
  );
}

/** Sets the document title and names the page for assistive technologies. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} – Maillage`;
  }, [title]);
}

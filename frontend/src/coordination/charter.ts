/** The charter's versions (GET /charter/versions) and a new one (POST /charter): their
 * shapes and the check before publishing; the calls are in coordination/api.ts. */

import { t } from "../i18n";

type Raw = Record<string, unknown>;
const str = (v: unknown) => (typeof v === "string" ? v : v == null ? "" : String(v));

export interface CharterVersionRow {
  version: number;
  text: string;
  publishedAt: string;
  current: boolean;
  acceptances: number;
}

export function toCharterVersion(r: Raw): CharterVersionRow {
  return {
    version: Number(r.version) || 0,
    text: str(r.text),
    publishedAt: str(r.published_at),
    current: r.current === true,
    acceptances: Number(r.acceptances) || 0,
  };
}


/** The server's own limit is 20 characters; said here before asking, and when unchanged. */
export function checkCharter(text: string, current: string): string | null {
  if (text.trim().length < 20) return t("mairie.charter.tooShort");
  if (text.trim() === current.trim()) return t("mairie.charter.unchanged");
  return null;
}

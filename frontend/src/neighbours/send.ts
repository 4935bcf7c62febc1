/**
 * Contract 4 (ISSUE9_PLAN.md): `sendNeighbourAlert(commune, incident, text)` seals a short
 * alert ONCE to the latest generation of the sender's sector group key (the same bytes for
 * 10 shops or 150; the police hold every sector's key and read it too) and posts it to
 * POST /neighbours/alerts, linked to `incident` when given. A `409 stale_group_key` (a
 * rotation happened meanwhile) refetches the key and seals again once, under a new id.
 * The answer says whether it went out or waits for an operator's validation.
 */

import { ApiError } from "../api";
import { sealBroadcast } from "../envelope/broadcast";
import { t } from "../i18n";
import { asFlowError, FlowError, nowSeconds } from "../incidents/context";
import { checkDraft } from "../incidents/send";
import { getSession } from "../session";
import { postAlert, type NeighbourAlert } from "./api";
import { ringFor, sectorScope } from "./rings";

/** The sector of the signed-in merchant's shop, as a scope; null for anyone else. */
export function ownSectorScope(): string | null {
  const id = getSession()?.membership?.shop?.sector?.id;
  return id ? sectorScope(id) : null;
}

async function attempt(
  commune: string,
  scope: string,
  incident: string | null,
  text: string,
  fresh: boolean,
): Promise<NeighbourAlert> {
  const { ring } = await ringFor(commune, scope, fresh);
  const latest = ring.generations.latest;
  // The page's ring may predate the sector key's first generation: look again once.
  if (!latest && !fresh) return attempt(commune, scope, incident, text, true);
  if (!latest || ring.generations.latestUntrusted !== null) {
    throw new FlowError("no_group_key", t("neighbours.noKey"));
  }
  const { ctx } = ring;
  const broadcast = crypto.randomUUID();
  const sealed = await sealBroadcast(
    { commune, scope, broadcast },
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
  return postAlert(sealed.wire, sealed.attachments, incident);
}

/**
 * Seal and send a neighbour alert to `scope` (by default the merchant's own sector; the
 * police choose one). FlowError with a French sentence on failure (429 `rate_limited`
 * included, with the server's message).
 */
export async function sendNeighbourAlert(
  commune: string,
  incident: string | null,
  text: string,
  scope: string | null = ownSectorScope(),
): Promise<NeighbourAlert> {
  if (!text.trim()) throw new FlowError("empty", t("neighbours.empty"));
  if (!scope) throw new FlowError("no_sector", t("neighbours.noSector"));
  checkDraft(text, []);
  try {
    try {
      return await attempt(commune, scope, incident, text, false);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === "stale_group_key")) throw error;
      return await attempt(commune, scope, incident, text, true);
    }
  } catch (error) {
    throw asFlowError(error);
  }
}

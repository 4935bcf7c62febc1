/**
 * The service worker's reading of a push (sw/push.ts): the same checks the app makes
 * (incidents/read.ts, envelope/broadcast.ts) with the keys this device holds in
 * IndexedDB — its own non-extractable key, a police service key, a sector group key —
 * and no window: never a key fetched or made here, no group-key flow run. The sealed copy
 * comes inline, or by `ref` when it was too big for a push. Any failure is only « no
 * text »: the notification still shows what the server may know.
 */

import { requestSession } from "../api";
import { normaliseBroadcast, type StoredBroadcast } from "../broadcasts/api";
import { verifiedGeneration, heldGroupKeys } from "../device/trustState";
import { openBroadcast, parseBroadcast, type GroupOpener } from "../envelope/broadcast";
import type { TrustContext } from "../envelope/envelope";
import { normaliseMessage, listMessages } from "../incidents/api";
import { loadDeviceContext, type DeviceContext } from "../incidents/context";
import { openMessage, trustContextFor } from "../incidents/read";
import { fetchAlertAttachment, getAlert, normaliseAlert } from "../neighbours/api";
import type { PushPayload } from "./notice";

const MESSAGE_KINDS = new Set(["incident.reported", "message.posted", "note.posted"]);

export interface Reading {
  /** The opened text, or null. */
  text: string | null;
  role: string | null;
}

/** Opens what the push carries, as this device and this session may. */
export async function readPush(payload: PushPayload): Promise<Reading> {
  let role: string | null = null;
  try {
    const session = await requestSession();
    const commune = session.membership?.commune?.id;
    role = session.membership?.role ?? null;
    if (!session.authenticated || !commune || !payload.ref) return { text: null, role };
    if (!payload.sealed && !payload.fetch) return { text: null, role };
    const ctx = await loadDeviceContext(commune);
    const trust = await trustContextFor(ctx);
    return { text: await openPushed(payload, ctx, trust), role };
  } catch {
    return { text: null, role };
  }
}

async function openPushed(
  payload: PushPayload,
  ctx: DeviceContext,
  trust: TrustContext,
): Promise<string | null> {
  const ref = payload.ref as string;
  if (MESSAGE_KINDS.has(payload.kind) && payload.incident) {
    const stored = payload.sealed
      ? normaliseMessage(payload.sealed)
      : (await listMessages(payload.incident)).find((m) => m.id === ref);
    if (!stored) return null;
    const view = await openMessage(payload.incident, stored, ctx, trust);
    return view.opened?.text ?? null;
  }
  if (payload.kind.startsWith("neighbour_alert.")) {
    const alert = payload.sealed ? normaliseAlert(payload.sealed) : await getAlert(ref);
    if (payload.kind === "neighbour_alert.ended" && alert.endMessage?.envelope) {
      const end = await openGroupSealed(alert.endMessage, [], ctx, trust);
      if (end) return end;
    }
    const parts: Uint8Array[] = [];
    for (const part of alert.broadcast.attachments) {
      parts.push(await fetchAlertAttachment(alert.id, part.index));
    }
    return openGroupSealed(alert.broadcast, parts, ctx, trust);
  }
  if (payload.kind === "broadcast.sent" && payload.sealed) {
    // Broadcasts with photos are opened by the app: their parts are not fetched here.
    const broadcast = normaliseBroadcast(payload.sealed);
    if (broadcast.attachments.length > 0) return null;
    return openGroupSealed(broadcast, [], ctx, trust);
  }
  return null;
}

/** A sector (or commune) broadcast opened with a generation this device already holds. */
async function openGroupSealed(
  sealed: StoredBroadcast,
  parts: readonly Uint8Array[],
  ctx: DeviceContext,
  trust: TrustContext,
): Promise<string | null> {
  const { header } = parseBroadcast(sealed.envelope);
  const held = (await heldGroupKeys(ctx.deviceId, ctx.commune, sealed.scope)).find(
    (key) => key.number === header.number,
  );
  if (!held) return null;
  const next = await verifiedGeneration(ctx.commune, sealed.scope, header.number + 1);
  const opener: GroupOpener = {
    scope: held.scope,
    number: held.number,
    privateKey: held.privateKey,
    publicKey: held.publicKey,
    supersededAt: next ? next.issued_at : null,
  };
  const opened = await openBroadcast(
    sealed.envelope,
    parts,
    { commune: ctx.commune, scope: sealed.scope, broadcast: sealed.broadcast },
    opener,
    trust,
  );
  return opened.text;
}

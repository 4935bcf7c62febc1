/**
 * Reading an incident's sealed messages on this device. Each message is opened with this
 * device's own key when the sender wrapped it for us, otherwise (an agent's device, for a
 * message sealed before its dispatch) with the content-key grant the dispatching operator
 * made for it, otherwise with a police service key generation this device holds
 * (`police:<n>`); each opened message keeps its content key K in memory, for the console
 * to grant it to the agents it sends (police/dispatch.ts). A message that fails to open shows its own
 * French error (tampered, not for this device…) without hiding the others.
 */

import { parseWire, type Opener, type TrustContext } from "../envelope/envelope";
import { openEnvelope } from "../envelope/opening";
import { openEnvelopeWithGrant } from "../envelope/contentGrant";
import { heldServiceKeys } from "../device/trustState";
import type { CertificateBody } from "../trust/chain";
import { t } from "../i18n";
import { fetchAttachment, listMessages, type StoredMessage } from "./api";
import { asFlowError, FlowError, verifiedRevocations, type DeviceContext } from "./context";

export interface OpenedPhoto {
  data: Uint8Array;
  media: string;
  width: number;
  height: number;
}

export interface MessageView {
  id: string;
  sentAt: number;
  senderDevice: string;
  receivedAt: string;
  /** A police note (the shop never receives it). */
  policeOnly?: boolean;
  /** Set when the message opened. */
  opened: {
    text: string | null;
    fields: Record<string, unknown>;
    photos: OpenedPhoto[];
    sender: CertificateBody;
    via: "device" | "service" | "grant";
    /** The message's content key (raw, 32 bytes): in memory only, never stored. */
    contentKey: Uint8Array;
  } | null;
  error: FlowError | null;
}

interface RecipientEntry {
  kind: string;
  id: string;
  key: string;
}

/** This device's possible openers for one header: its own key first, then service keys. */
export async function chooseOpener(
  recipients: readonly RecipientEntry[],
  ctx: DeviceContext,
): Promise<Opener> {
  const mine = recipients.find((r) => r.kind === "device" && r.id === ctx.deviceId);
  if (mine) {
    return {
      kind: "device",
      id: ctx.deviceId,
      privateKey: ctx.keys.encPrivate,
      publicKey: ctx.keys.encKey,
    };
  }
  const held = await heldServiceKeys(ctx.deviceId, ctx.commune);
  for (const key of held) {
    const id = `police:${key.number}`;
    if (recipients.some((r) => r.kind === "service" && r.id === id)) {
      return { kind: "service", id, privateKey: key.privateKey, publicKey: key.publicKey };
    }
  }
  throw new FlowError("not_a_recipient", t("incident.error.not_a_recipient"));
}

/** One stored message opened on this device (the page's list, the service worker's push). */
export async function openMessage(
  incident: string,
  stored: StoredMessage,
  ctx: DeviceContext,
  trust: TrustContext,
): Promise<MessageView> {
  const view: MessageView = {
    id: stored.id,
    sentAt: stored.sentAt,
    senderDevice: stored.senderDevice,
    receivedAt: stored.receivedAt,
    policeOnly: stored.policeOnly === true,
    opened: null,
    error: null,
  };
  try {
    const [header] = parseWire(stored.envelope);
    const binding = { commune: ctx.commune, incident, message: stored.id };
    const listed = header.recipients.some((r) => r.kind === "device" && r.id === ctx.deviceId);
    const grant = !listed && stored.grant ? stored.grant : null;
    const opener = grant ? null : await chooseOpener(header.recipients, ctx);
    const attachments: Uint8Array[] = [];
    for (const part of stored.attachments) {
      attachments.push(await fetchAttachment(incident, stored.id, part.index));
    }
    const opened = grant
      ? await openEnvelopeWithGrant(
          stored.envelope,
          attachments,
          binding,
          grant.doc,
          grant.granterChain,
          ctx.deviceId,
          { privateKey: ctx.keys.encPrivate, publicKey: ctx.keys.encKey },
          trust,
        )
      : await openEnvelope(stored.envelope, attachments, binding, opener!, trust);
    view.opened = {
      text: opened.text,
      fields: opened.fields,
      photos: opened.attachments.map((a) => ({
        data: a.data,
        media: a.media,
        width: a.width,
        height: a.height,
      })),
      sender: opened.sender,
      via: opener ? opener.kind : "grant",
      contentKey: opened.contentKey,
    };
  } catch (error) {
    view.error = asFlowError(error);
  }
  return view;
}

/** What an opener checks senders against: the pinned root and the verified revocations. */
export async function trustContextFor(ctx: DeviceContext): Promise<TrustContext> {
  return {
    rootPublicKey: ctx.rootPublicKey,
    pinnedFingerprint: ctx.pinnedFingerprint,
    commune: ctx.commune,
    revocations: await verifiedRevocations(ctx),
  };
}

/** Every message of the incident, opened where this device can, in the order served. */
export async function readIncident(incident: string, ctx: DeviceContext): Promise<MessageView[]> {
  let messages: StoredMessage[];
  let trust: TrustContext;
  try {
    messages = await listMessages(incident);
    trust = await trustContextFor(ctx);
  } catch (error) {
    throw asFlowError(error);
  }
  const views: MessageView[] = [];
  for (const message of messages) views.push(await openMessage(incident, message, ctx, trust));
  return views;
}

/** Whether a decrypted message came from the police (an operator's or agent's device). */
export function fromPolice(view: MessageView): boolean {
  const role = view.opened?.sender.role;
  return role === "operateur" || role === "agent";
}

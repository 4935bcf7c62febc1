/**
 * Passkeys (WebAuthn): JSON options from the server in, JSON credential out.
 * Uses PublicKeyCredential.parse*OptionsFromJSON / credential.toJSON() (WebAuthn L3) when the
 * browser has them, and a small equivalent conversion otherwise.
 */

import { b64urlDecode as fromB64url, b64urlEncode } from "../trust/b64";

const toB64url = (bytes: ArrayBuffer) => b64urlEncode(new Uint8Array(bytes));

export type PasskeyFailure = "unsupported" | "cancelled" | "already_registered" | "failed";

export class PasskeyError extends Error {
  readonly reason: PasskeyFailure;
  constructor(reason: PasskeyFailure, message: string = reason) {
    super(message);
    this.name = "PasskeyError";
    this.reason = reason;
  }
}

type Json = Record<string, unknown>;

/** Servers (py_webauthn) send the bare options; some wrap them in {publicKey: …}. */
function unwrap(options: unknown): Json {
  const o = (options ?? {}) as Json;
  return (o.publicKey as Json | undefined) ?? o;
}

export function passkeysSupported(): boolean {
  return typeof window !== "undefined" && "PublicKeyCredential" in window && !!navigator.credentials;
}

function toFailure(error: unknown): PasskeyError {
  if (error instanceof PasskeyError) return error;
  if (error instanceof DOMException) {
    if (error.name === "NotAllowedError" || error.name === "AbortError")
      return new PasskeyError("cancelled", error.message);
    if (error.name === "InvalidStateError")
      return new PasskeyError("already_registered", error.message);
    if (error.name === "NotSupportedError" || error.name === "SecurityError")
      return new PasskeyError("unsupported", error.message);
  }
  return new PasskeyError("failed", error instanceof Error ? error.message : String(error));
}

const buf = (value: unknown) => fromB64url(String(value));

function parseCreation(json: Json): PublicKeyCredentialCreationOptions {
  const native = PublicKeyCredential.parseCreationOptionsFromJSON;
  if (typeof native === "function")
    return native(json as unknown as PublicKeyCredentialCreationOptionsJSON);
  const user = json.user as Json;
  return {
    ...(json as unknown as PublicKeyCredentialCreationOptions),
    challenge: buf(json.challenge),
    user: { ...(user as unknown as PublicKeyCredentialUserEntity), id: buf(user.id) },
    excludeCredentials: ((json.excludeCredentials as Json[] | undefined) ?? []).map((c) => ({
      ...(c as unknown as PublicKeyCredentialDescriptor),
      id: buf(c.id),
    })),
  };
}

function parseRequest(json: Json): PublicKeyCredentialRequestOptions {
  const native = PublicKeyCredential.parseRequestOptionsFromJSON;
  if (typeof native === "function")
    return native(json as unknown as PublicKeyCredentialRequestOptionsJSON);
  return {
    ...(json as unknown as PublicKeyCredentialRequestOptions),
    challenge: buf(json.challenge),
    allowCredentials: ((json.allowCredentials as Json[] | undefined) ?? []).map((c) => ({
      ...(c as unknown as PublicKeyCredentialDescriptor),
      id: buf(c.id),
    })),
  };
}

function credentialJSON(credential: PublicKeyCredential): Json {
  if (typeof credential.toJSON === "function") return credential.toJSON() as unknown as Json;
  const response = credential.response as AuthenticatorAttestationResponse &
    AuthenticatorAssertionResponse;
  const out: Json = { clientDataJSON: toB64url(response.clientDataJSON) };
  if ("attestationObject" in response && response.attestationObject) {
    out.attestationObject = toB64url(response.attestationObject);
    out.transports = response.getTransports?.() ?? [];
  } else {
    out.authenticatorData = toB64url(response.authenticatorData);
    out.signature = toB64url(response.signature);
    out.userHandle = response.userHandle ? toB64url(response.userHandle) : null;
  }
  return {
    id: credential.id,
    rawId: toB64url(credential.rawId),
    type: credential.type,
    response: out,
    authenticatorAttachment: credential.authenticatorAttachment,
    clientExtensionResults: credential.getClientExtensionResults(),
  };
}

/** Registers a new passkey; returns credential.toJSON() for the server. */
export async function createPasskey(options: unknown): Promise<Json> {
  if (!passkeysSupported()) throw new PasskeyError("unsupported");
  try {
    const credential = await navigator.credentials.create({
      publicKey: parseCreation(unwrap(options)),
    });
    if (!credential) throw new PasskeyError("cancelled");
    return credentialJSON(credential as PublicKeyCredential);
  } catch (error) {
    throw toFailure(error);
  }
}

/** Signs in with a passkey (discoverable credentials); returns credential.toJSON(). */
export async function getPasskey(options: unknown): Promise<Json> {
  if (!passkeysSupported()) throw new PasskeyError("unsupported");
  try {
    const credential = await navigator.credentials.get({
      publicKey: parseRequest(unwrap(options)),
    });
    if (!credential) throw new PasskeyError("cancelled");
    return credentialJSON(credential as PublicKeyCredential);
  } catch (error) {
    throw toFailure(error);
  }
}

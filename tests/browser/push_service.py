"""A push service for headless Chromium, which has none: `PushManager.subscribe` there
fails ("push service not available"). The init script puts a stand-in in its place that
does what a browser does (docs/decisions.md, « The push service in tests »): it refuses
without the notification permission or `userVisibleOnly`, refuses a second server key
for one subscription, makes a real P-256 key pair and a 16-byte auth secret with
WebCrypto, and answers `getKey`, `toJSON`, `options` and `unsubscribe`. Its endpoint is
the loopback receiver's; the subscription is kept in localStorage (it outlives a reload,
as the browser's does) with the private key, which `adopt_browser_subscription` hands to
the receiver so that it decrypts what our server pushes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import BrowserContext, Page

from maillage.testing.push_receiver import PushReceiver, unb64url

STORE = "maillage-test.push-subscription"


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    """The loopback push service (RFC 8030) the stand-in's endpoints point at."""
    with PushReceiver() as running:
        yield running


_STAND_IN = """
(() => {
  const BASE = __BASE__;
  const STORE = __STORE__;
  if (typeof PushManager === "undefined") return;
  const text = (bytes) =>
    btoa(String.fromCharCode(...new Uint8Array(bytes)))
      .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const bytes = (value) => {
    if (typeof value === "string") {
      const plain = atob(value.replace(/-/g, "+").replace(/_/g, "/"));
      return Uint8Array.from(plain, (c) => c.charCodeAt(0));
    }
    if (value instanceof ArrayBuffer) return new Uint8Array(value);
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  };
  const load = () => {
    try { return JSON.parse(localStorage.getItem(STORE) || "null"); } catch { return null; }
  };
  const wrap = (saved) => ({
    endpoint: saved.endpoint,
    expirationTime: null,
    options: { userVisibleOnly: true, applicationServerKey: bytes(saved.serverKey).buffer },
    getKey(name) {
      if (name === "p256dh") return bytes(saved.p256dh).slice().buffer;
      if (name === "auth") return bytes(saved.auth).slice().buffer;
      return null;
    },
    toJSON() {
      return { endpoint: saved.endpoint, expirationTime: null,
               keys: { p256dh: saved.p256dh, auth: saved.auth } };
    },
    async unsubscribe() {
      const now = load();
      if (!now || now.endpoint !== saved.endpoint) return false;
      localStorage.removeItem(STORE);
      return true;
    },
  });
  PushManager.prototype.getSubscription = async function () {
    const saved = load();
    return saved ? wrap(saved) : null;
  };
  PushManager.prototype.permissionState = async function () {
    return Notification.permission === "default" ? "prompt" : Notification.permission;
  };
  PushManager.prototype.subscribe = async function (options) {
    if (Notification.permission !== "granted") {
      throw new DOMException("Registration failed - permission denied", "NotAllowedError");
    }
    if (!options || options.userVisibleOnly !== true || !options.applicationServerKey) {
      throw new DOMException("userVisibleOnly and a key are required", "NotAllowedError");
    }
    const serverKey = text(bytes(options.applicationServerKey));
    const current = load();
    if (current && current.serverKey === serverKey) return wrap(current);
    if (current) {
      throw new DOMException("A subscription with a different key exists", "InvalidStateError");
    }
    const pair = await crypto.subtle.generateKey(
      { name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
    const saved = {
      endpoint: BASE + text(crypto.getRandomValues(new Uint8Array(16))),
      serverKey,
      p256dh: text(await crypto.subtle.exportKey("raw", pair.publicKey)),
      auth: text(crypto.getRandomValues(new Uint8Array(16))),
      d: (await crypto.subtle.exportKey("jwk", pair.privateKey)).d,
    };
    localStorage.setItem(STORE, JSON.stringify(saved));
    return wrap(saved);
  };
})();
"""


def install_push_stand_in(context: BrowserContext, receiver: PushReceiver) -> None:
    """Every page of `context` subscribes to `receiver` (before the app's scripts run)."""
    script = _STAND_IN.replace("__BASE__", json.dumps(f"{receiver.origin}/push/")).replace(
        "__STORE__", json.dumps(STORE)
    )
    context.add_init_script(script)


def browser_subscription(page: Page) -> dict[str, Any] | None:
    """The page's subscription as the stand-in keeps it (None when unsubscribed)."""
    raw = page.evaluate(f"() => localStorage.getItem({json.dumps(STORE)})")
    return json.loads(raw) if raw else None


def adopt_browser_subscription(page: Page, receiver: PushReceiver) -> dict[str, Any]:
    """Gives the receiver the private key the page made, so it decrypts what arrives."""
    saved = browser_subscription(page)
    assert saved is not None, "aucun abonnement dans le navigateur"
    private = ec.derive_private_key(int.from_bytes(unb64url(saved["d"]), "big"), ec.SECP256R1())
    receiver.adopt(saved["endpoint"], private, unb64url(saved["auth"]))
    return saved

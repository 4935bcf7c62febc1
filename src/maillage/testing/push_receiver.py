"""A push service and its browser, for the tests and benchmarks: loopback only, the real
protocols.

It plays both ends a browser subscription joins: the push service that accepts RFC 8030
messages at its endpoints, and the user agent that holds each subscription's P-256 key and
auth secret. For each message it checks the VAPID authorisation (RFC 8292: the JWT's ES256
signature by the `k` key, `aud` = this origin, `exp` within 24 h, a `sub` contact) and
decrypts the RFC 8291 `aes128gcm` body, keeping the plaintext for the test to inspect.

    with PushReceiver() as receiver:
        info = receiver.subscription()         # what the browser would POST to us
        receiver.answer(info, 500, 201)        # the next answers for that endpoint
        ...
        receiver.messages                      # [Received(...)]
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    endpoint: str
    plaintext: bytes
    headers: dict[str, str]
    vapid_key: str
    claims: dict[str, Any]
    at: float

    def json(self) -> Any:
        return json.loads(self.plaintext)


@dataclass
class _Subscription:
    token: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes


class VapidRejected(Exception):
    pass


def check_vapid(header: str, origin: str) -> tuple[str, dict[str, Any]]:
    """RFC 8292 §3: `vapid t=<JWT>, k=<key>`; the JWT signed ES256 by k."""
    scheme, _, params = header.partition(" ")
    if scheme.lower() != "vapid":
        raise VapidRejected("not a vapid authorisation")
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    token, key = values.get("t", ""), values.get("k", "")
    head, body, signature = token.split(".")
    if json.loads(unb64url(head)) != {"typ": "JWT", "alg": "ES256"}:
        raise VapidRejected("bad JWT header")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
    raw = unb64url(signature)
    if len(raw) != 64:
        raise VapidRejected("bad signature length")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as error:
        raise VapidRejected("bad signature") from error
    claims = json.loads(unb64url(body))
    if claims.get("aud") != origin:
        raise VapidRejected(f"aud {claims.get('aud')!r} is not {origin!r}")
    if not (time.time() < int(claims.get("exp", 0)) <= time.time() + 24 * 3600):
        raise VapidRejected("exp out of range")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise VapidRejected("no sub contact")
    return key, claims


class PushReceiver:
    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.rejected: list[str] = []
        self._subs: dict[str, _Subscription] = {}
        self._answers: dict[str, deque[int]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as push services do: a connection per message would measure
            # our TCP handshakes rather than our pushes.
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return

            def do_POST(self) -> None:
                receiver._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PushReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def subscription(self) -> dict[str, Any]:
        """A new subscription, as `PushSubscription.toJSON()` gives it in a browser."""
        private = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._subs[token] = _Subscription(token, private, auth)
        point = private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{self.origin}/push/{token}",
            "keys": {"p256dh": b64url(point), "auth": b64url(auth)},
        }

    def adopt(self, endpoint: str, private_key: ec.EllipticCurvePrivateKey, auth: bytes) -> None:
        """A subscription whose keys a browser made (the tests' stand-in for its push
        service hands them over): messages to `endpoint` are decrypted with them."""
        prefix = f"{self.origin}/push/"
        if not endpoint.startswith(prefix):
            raise ValueError(f"{endpoint!r} is not an endpoint of {prefix}")
        token = endpoint[len(prefix) :]
        with self._lock:
            self._subs[token] = _Subscription(token, private_key, auth)

    def answer(self, subscription: dict[str, Any], *statuses: int) -> None:
        """The statuses the next messages to that endpoint get (then 201)."""
        with self._lock:
            self._answers[subscription["endpoint"]].extend(statuses)

    def wait(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._arrived.wait(left)
            return list(self.messages)

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        endpoint = f"{self.origin}{request.path}"
        token = request.path.rsplit("/", 1)[-1]
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        with self._lock:
            sub = self._subs.get(token)
            queued = self._answers[endpoint]
            status = queued.popleft() if queued else 201
        if sub is None:
            status = 404
        elif status == 201:
            try:
                key, claims = check_vapid(request.headers.get("Authorization", ""), self.origin)
                if request.headers.get("Content-Encoding") != "aes128gcm":
                    raise VapidRejected("not aes128gcm")
                if not request.headers.get("TTL", "").isdigit():
                    raise VapidRejected("no TTL")
                plaintext = http_ece.decrypt(
                    body, private_key=sub.private_key, auth_secret=sub.auth, version="aes128gcm"
                )
            except (VapidRejected, ValueError, KeyError) as error:
                with self._lock:
                    self.rejected.append(str(error))
                status = 401
            else:
                with self._arrived:
                    self.messages.append(
                        Received(
                            endpoint,
                            plaintext,
                            {k.lower(): v for k, v in request.headers.items()},
                            key,
                            claims,
                            time.monotonic(),
                        )
                    )
                    self._arrived.notify_all()
        request.send_response(status)
        if status == 201:
            request.send_header("Location", f"{self.origin}/message/{secrets.token_urlsafe(8)}")
        request.send_header("Content-Length", "0")
        request.end_headers()


__all__ = ["PushReceiver", "Received", "check_vapid"]

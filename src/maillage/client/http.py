"""The HTTP half of the reference client: one member's device talking to `/api/v1`.

It only moves bytes: the session cookie, the CSRF header on unsafe calls, multipart
uploads of sealed messages, and refusals turned into `ClientApiError` with the server's
`code`, French `message` and `field`. Everything cryptographic lives in `envelope`,
`recipients` and `service_key`, so the simulator, the benchmarks and the tests all seal
and open exactly what the browser does.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from maillage.wire.envelope import Sealed

CSRF_COOKIE = "maillage_csrf"
CSRF_HEADER = "X-CSRFToken"
# Directories kept (one per incident a console replies in, plus the report's): bounded.
DIRECTORIES_KEPT = 32


class CodedRefusal(Exception):
    """A refusal this device makes itself, before or instead of a request: a code and its
    French message, as the API's own errors carry them."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


class ClientApiError(Exception):
    """A refusal from the server, as structured by the API (`code`, `message`, `field`)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.retry_after = retry_after  # seconds, from a 429's Retry-After header
        super().__init__(f"{status} {code}: {message}")


class MaillageClient:
    """A cookie-holding session against one server; not thread-safe, like a browser tab."""

    def __init__(self, base_url: str, *, timeout: float = 15.0) -> None:
        self.http = httpx.Client(base_url=base_url.rstrip("/") + "/api/v1", timeout=timeout)
        # The key directory as last served, per query, with its ETag (see `recipients`).
        self._directories: dict[tuple[str | None, str | None], tuple[str, Any]] = {}
        self.directory_revalidated = 0  # answers confirmed by a 304 (tests, benchmarks)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> MaillageClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ---------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if method.upper() not in ("GET", "HEAD", "OPTIONS"):
            token = self.http.cookies.get(CSRF_COOKIE)
            if token is None:
                self.http.get("/session")
                token = self.http.cookies.get(CSRF_COOKIE)
            headers = dict(kwargs.pop("headers", {}) or {})
            headers[CSRF_HEADER] = token or ""
            kwargs["headers"] = headers
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise _error_of(response)
        return response

    def get(self, path: str, **params: Any) -> Any:
        clean = {key: str(value) for key, value in params.items() if value is not None}
        return self.request("GET", path, params=clean).json()

    def post(self, path: str, payload: Any) -> Any:
        response = self.request("POST", path, json=payload)
        return response.json() if response.content else None

    # --- session and trust ------------------------------------------------------------

    def session(self) -> dict[str, Any]:
        return self.get("/session")

    def demo_members(self) -> list[dict[str, Any]]:
        return self.get("/demo/members")

    def demo_login(
        self, member: str, *, enc_key: str, sign_key: str, label: str = "Client Python (démo)"
    ) -> dict[str, Any]:
        """Sign in as a demo member; the demo root certifies these public keys."""
        self._directories.clear()  # another member: nothing kept from the last one
        return self.post(
            "/demo/login",
            {
                "member": member,
                "device": {"label": label, "enc_key": enc_key, "sign_key": sign_key},
            },
        )

    def root(self) -> dict[str, Any]:
        return self.get("/trust/root")

    def device_chain(self, device: str) -> list[dict[str, str]]:
        return self.get(f"/trust/devices/{device}/chain")["chain"]

    def revocations(self) -> dict[str, Any]:
        return self.get("/trust/revocations")

    def recipients(self, *, incident: str | None = None, sector: str | None = None) -> Any:
        """The key directory for one send, kept and revalidated as a browser's HTTP cache
        does: the next call sends If-None-Match and a 304 hands back the kept answer (no
        body to send, parse or hold twice). The caller verifies it every time all the
        same (`resolve_recipients`), so a kept answer is never trusted more than a fresh
        one; it is shared between calls and must not be modified."""
        key = (incident, sector)
        params = {"incident": incident, "sector": sector}
        clean = {name: str(value) for name, value in params.items() if value is not None}
        kept = self._directories.get(key)
        headers = {"If-None-Match": kept[0]} if kept is not None else {}
        response = self.request("GET", "/trust/recipients", params=clean, headers=headers)
        if response.status_code == 304 and kept is not None:
            self.directory_revalidated += 1
            return kept[1]
        if response.status_code == 304:  # nothing kept to confirm: ask plainly
            response = self.request("GET", "/trust/recipients", params=clean)
        answer = response.json()
        etag = response.headers.get("ETag")
        self._directories.pop(key, None)
        if etag:
            self._directories[key] = (etag, answer)
            while len(self._directories) > DIRECTORIES_KEPT:  # oldest first
                del self._directories[next(iter(self._directories))]
        return answer

    # --- police service key -----------------------------------------------------------

    def service_key(self, number: int | None = None) -> dict[str, Any] | None:
        try:
            return self.get("/trust/service-key", number=number)
        except ClientApiError as error:
            if error.code == "no_service_key":
                return None
            raise

    def publish_service_key(
        self, document: dict[str, str], grants: list[dict[str, str]]
    ) -> dict[str, Any]:
        return self.post("/trust/service-keys", {"document": document, "grants": grants})

    def my_grant(self, number: int | None = None) -> dict[str, Any] | None:
        try:
            return self.get("/trust/service-key/grant", number=number)
        except ClientApiError as error:
            if error.code == "no_grant":
                return None
            raise

    def pending_grants(self, number: int | None = None) -> dict[str, Any]:
        return self.get("/trust/service-key/pending", number=number)

    def add_grants(self, grants: list[dict[str, str]]) -> dict[str, Any]:
        return self.post("/trust/service-key/grants", {"grants": grants})

    # --- broadcast group keys and broadcasts ------------------------------------------

    def group_key(self, scope: str, number: int | None = None) -> dict[str, Any] | None:
        """The latest generation of `scope` (or `number`); None when none is published."""
        try:
            return self.get(f"/group-keys/{scope}", number=number)
        except ClientApiError as error:
            if error.code == "no_group_key":
                return None
            raise

    def group_key_generations(self, scope: str) -> list[dict[str, Any]]:
        """Every generation of `scope`, oldest first ([] when none is published)."""
        return list(self.get(f"/group-keys/{scope}/generations")["generations"])

    def publish_group_key(
        self, document: dict[str, str], grants: list[dict[str, str]]
    ) -> dict[str, Any]:
        return self.post("/group-keys", {"document": document, "grants": grants})

    def my_group_grant(self, scope: str, number: int | None = None) -> dict[str, Any] | None:
        try:
            return self.get(f"/group-keys/{scope}/grant", number=number)
        except ClientApiError as error:
            if error.code in ("no_grant", "no_group_key"):
                return None
            raise

    def group_key_pending(self, scope: str, number: int | None = None) -> dict[str, Any]:
        return self.get(f"/group-keys/{scope}/pending", number=number)

    def add_group_key_grants(self, grants: list[dict[str, str]]) -> dict[str, Any]:
        return self.post("/group-keys/grants", {"grants": grants})

    def send_broadcast(self, sealed: Sealed) -> dict[str, Any]:
        """POST /broadcasts: the wire object as the `envelope` field, the sealed parts as
        `attachment_0` … (the broadcasts API names them so, unlike /incidents)."""
        parts: list[tuple[str, Any]] = [("envelope", (None, json.dumps(sealed.wire)))]
        parts += [
            (f"attachment_{index}", (f"part-{index + 1}.bin", data, "application/octet-stream"))
            for index, data in enumerate(sealed.attachments)
        ]
        return self.request("POST", "/broadcasts", files=parts).json()

    def broadcasts(
        self,
        scope: str | None = None,
        *,
        after: str | None = None,
        before: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Broadcasts this member may read, newest first."""
        return self.get("/broadcasts", scope=scope, after=after, before=before, limit=limit)

    def broadcast_attachment(self, broadcast: str, index: int) -> bytes:
        return self.request("GET", f"/broadcasts/{broadcast}/attachments/{index}").content

    # --- neighbour alerts (sector broadcasts, docs/decisions.md « Neighbour alerts ») ---

    def send_neighbour_alert(self, sealed: Sealed, incident: str | None = None) -> dict[str, Any]:
        """POST /neighbours/alerts: as `send_broadcast`, with the related incident if any."""
        parts: list[tuple[str, Any]] = [("envelope", (None, json.dumps(sealed.wire)))]
        if incident is not None:
            parts.append(("incident", (None, incident)))
        parts += [
            (f"attachment_{index}", (f"part-{index + 1}.bin", data, "application/octet-stream"))
            for index, data in enumerate(sealed.attachments)
        ]
        return self.request("POST", "/neighbours/alerts", files=parts).json()

    def neighbour_alerts(self) -> list[dict[str, Any]]:
        """Awaiting validation (police, reporting shop) first, then active ones."""
        return self.get("/neighbours/alerts")

    def neighbour_alert(self, alert: str) -> dict[str, Any]:
        return self.get(f"/neighbours/alerts/{alert}")

    def validate_neighbour_alert(self, alert: str) -> dict[str, Any]:
        return self.post(f"/neighbours/alerts/{alert}/validate", {})

    def refuse_neighbour_alert(self, alert: str) -> dict[str, Any]:
        return self.post(f"/neighbours/alerts/{alert}/refuse", {})

    def end_neighbour_alert(self, alert: str, sealed: Sealed | None = None) -> dict[str, Any]:
        """« Fin d'alerte », with a message sealed to the same sector when given."""
        path = f"/neighbours/alerts/{alert}/end"
        if sealed is None:
            return self.post(path, {})
        files = [("envelope", (None, json.dumps(sealed.wire)))]
        return self.request("POST", path, files=files).json()

    def neighbour_attachment(self, alert: str, index: int) -> bytes:
        return self.request("GET", f"/neighbours/alerts/{alert}/attachments/{index}").content

    # --- incidents and sealed messages ------------------------------------------------

    def report(
        self, incident: uuid.UUID | str, sealed: Sealed, metadata: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Create an incident with its first sealed message (one atomic request);
        `metadata`: the clear fields (category, severity, neighbours)."""
        fields = {
            **(metadata or {"category": "autre"}),
            "incident": str(incident),
            "envelope": json.dumps(sealed.wire),
        }
        response = self.request("POST", "/incidents", files=_multipart(fields, sealed))
        return response.json()

    def post_message(self, incident: uuid.UUID | str, sealed: Sealed) -> dict[str, Any]:
        fields = {"envelope": json.dumps(sealed.wire)}
        response = self.request(
            "POST", f"/incidents/{incident}/messages", files=_multipart(fields, sealed)
        )
        return response.json()

    def incidents(self) -> list[dict[str, Any]]:
        return self.get("/incidents")

    def messages(self, incident: uuid.UUID | str) -> list[dict[str, Any]]:
        return self.get(f"/incidents/{incident}/messages")

    def attachment(self, incident: uuid.UUID | str, message: str, index: int) -> bytes:
        path = f"/incidents/{incident}/messages/{message}/attachments/{index}"
        return self.request("GET", path).content

    # --- the incident lifecycle (operators; docs/decisions.md, "Incident lifecycle") ----
    # Each returns the incident as it now stands; a refusal raises ClientApiError (409
    # `already_taken` names who took it).

    def take_incident(self, incident: uuid.UUID | str) -> dict[str, Any]:
        return self.post(f"/incidents/{incident}/take", None)["incident"]

    def lift_doubt(self, incident: uuid.UUID | str, verdict: str) -> dict[str, Any]:
        """`verdict`: founded | unfounded."""
        return self.post(f"/incidents/{incident}/lift-doubt", {"verdict": verdict})["incident"]

    def engage_intervention(self, incident: uuid.UUID | str) -> dict[str, Any]:
        return self.post(f"/incidents/{incident}/engage", None)["incident"]

    def mark_on_site(self, incident: uuid.UUID | str) -> dict[str, Any]:
        return self.post(f"/incidents/{incident}/on-site", None)["incident"]

    def close_incident(self, incident: uuid.UUID | str, outcome: str) -> dict[str, Any]:
        """`outcome`: arrest | left | false_alarm | referred | other."""
        return self.post(f"/incidents/{incident}/close", {"outcome": outcome})["incident"]

    # --- dispatch (docs/decisions.md, « Dispatch ») ----------------------------------

    def dispatch_candidates(self, incident: uuid.UUID | str) -> dict[str, Any]:
        return self.get(f"/incidents/{incident}/dispatch")

    def dispatch(
        self, incident: uuid.UUID | str, agents: list[str], grants: list[dict[str, str]]
    ) -> dict[str, Any]:
        payload = {"agents": agents, "grants": grants}
        return self.post(f"/incidents/{incident}/dispatch", payload)["incident"]

    def dispatch_status(
        self, incident: uuid.UUID | str, status: str, outcome: str | None = None
    ) -> dict[str, Any]:
        """The dispatched agent's own step: en_route | on_site | done (with `outcome`)."""
        payload: dict[str, Any] = {"status": status}
        if outcome is not None:
            payload["outcome"] = outcome
        return self.post(f"/incidents/{incident}/dispatch/status", payload)["incident"]


def _multipart(fields: dict[str, str], sealed: Sealed) -> list[tuple[str, Any]]:
    """Always multipart, even without attachments (a filename-less part is a form field),
    so the server sees one shape whatever the message carries."""
    parts: list[tuple[str, Any]] = [(name, (None, value)) for name, value in fields.items()]
    parts += [
        ("attachments", (f"part-{index}.bin", data, "application/octet-stream"))
        for index, data in enumerate(sealed.attachments, start=1)
    ]
    return parts


def _error_of(response: httpx.Response) -> ClientApiError:
    try:
        body = response.json()
    except ValueError:
        body = None
    retry_after = _seconds(response.headers.get("Retry-After"))
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        return ClientApiError(
            response.status_code,
            body["code"],
            str(body.get("message", "")),
            body.get("field"),
            retry_after=retry_after,
        )
    return ClientApiError(
        response.status_code, "http_error", response.text[:200], retry_after=retry_after
    )


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:  # an HTTP date: not sent by Maillage
        return None

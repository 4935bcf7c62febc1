"""The live stream in Python: `GET /api/v1/stream` (Server-Sent Events) that never loses
its place, for scripts, tests and the delivery benchmark.

One `StreamClient` is one member's stream (a Django session cookie). It keeps the last
event id it received and, on any end of the connection (a cut, a reset, a server killed,
a refused or failed attempt, a silence longer than `idle_timeout`), reconnects by itself
with `Last-Event-ID`, after a short backoff, to the next of its base URLs: a client of a
dead server process fails over to another one, which replays what it missed. Only a
refusal of the session itself (401, 403) stops it. The rules are in docs/decisions.md
("The Python stream client").

It is built to be held by the thousand from one process: no thread and no buffered reader
per connection, only an asyncio protocol fed by the socket, httptools' C parser for HTTP
(a dependency of the server already) and a small line parser for the frames. Events go
to a callback (cheapest) or to an async iterator.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httptools

STREAM_PATH = "/api/v1/stream"
SESSION_COOKIE = "maillage_session"
# The server's heartbeat is 15 s (docs/events.md); the browser's watchdog waits 40 s.
IDLE_TIMEOUT = 40.0
CONNECT_TIMEOUT = 10.0
BACKOFF_INITIAL = 0.25
BACKOFF_MAX = 10.0
# Statuses that say the session may not stream at all: trying again cannot help.
REFUSING = frozenset({401, 403})
_MAX_LINE = 1 << 20  # a frame line longer than 1 MiB is a broken stream
_MAX_ERROR_BODY = 64 * 1024


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One dispatched frame: its own `id` field (None if it had none), its `event` name
    ("message" by default) and its `data` lines joined by newlines, unparsed."""

    id: str | None
    event: str
    data: str
    received_at: float  # wall clock (time.time()) when its bytes arrived

    @property
    def seq(self) -> int | None:
        """The id as a log seq, when it is one."""
        if self.id is None or not self.id.isdigit():
            return None
        return int(self.id)

    def json(self) -> Any:
        return json.loads(self.data) if self.data else None


@dataclass(slots=True)
class Frame:
    """A frame as the parser saw it, before the client's rules (heartbeat, dedupe)."""

    id: str | None
    event: str
    data: str
    has_data: bool


class SseParser:
    """The event stream format of the HTML standard, fed with bytes in any chunking:
    lines end with LF, CRLF or CR; `:` starts a comment; `data` lines join with LF; `id`
    without NUL sets the last event id (even on a frame without data, which is then not
    dispatched); `retry` takes digits only."""

    __slots__ = ("_buffer", "_data", "_event", "_id", "_started", "comments", "retry_ms")

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None  # this frame's own id field
        self._started = False
        self.comments = 0
        self.retry_ms: int | None = None

    def reset(self) -> None:
        """A new connection: drop any half-read frame."""
        self._buffer = b""
        self._data = []
        self._event = ""
        self._id = None
        self._started = False

    def feed(self, data: bytes) -> list[Frame]:
        """The frames completed by these bytes (a blank line ends each)."""
        buffer = self._buffer + data if self._buffer else data
        if not self._started and buffer:
            if len(buffer) < 3 and b"\xef\xbb\xbf".startswith(buffer):
                self._buffer = buffer
                return []
            self._started = True
            if buffer.startswith(b"\xef\xbb\xbf"):
                buffer = buffer[3:]
        hold = b""
        if buffer.endswith(b"\r"):  # maybe the first half of a CRLF
            buffer, hold = buffer[:-1], b"\r"
        end = max(buffer.rfind(b"\n"), buffer.rfind(b"\r"))
        if end < 0:
            self._buffer = buffer + hold
            if len(self._buffer) > _MAX_LINE:
                raise ValueError("ligne de flux trop longue")
            return []
        complete, self._buffer = buffer[: end + 1], buffer[end + 1 :] + hold
        frames: list[Frame] = []
        for raw in complete.splitlines():
            line = raw.decode("utf-8", "replace")
            if not line:
                frame = self._dispatch()
                if frame is not None:
                    frames.append(frame)
                continue
            if line[0] == ":":
                self.comments += 1
                continue
            name, colon, value = line.partition(":")
            if colon and value[:1] == " ":
                value = value[1:]
            if name == "data":
                self._data.append(value)
            elif name == "event":
                self._event = value
            elif name == "id":
                if "\x00" not in value:
                    self._id = value
            elif name == "retry" and value.isdigit():
                self.retry_ms = int(value)
        return frames

    def _dispatch(self) -> Frame | None:
        frame = None
        if self._data or self._event or self._id is not None:
            frame = Frame(
                self._id, self._event or "message", "\n".join(self._data), bool(self._data)
            )
        self._data = []
        self._event = ""
        self._id = None
        return frame


class StreamRefused(Exception):
    """The server refused this session the stream (401, 403): the client stopped."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"{status} {code}: {message}")


class _Dropped(Exception):
    """This attempt or this open stream ended; the client reconnects."""


@dataclass
class StreamCounters:
    """What happened to one client, for tests and benchmarks (monotonic counts)."""

    attempts: int = 0  # connections tried
    connects: int = 0  # streams opened (200)
    failures: int = 0  # attempts that did not open (refused socket, timeout, 5xx …)
    drops: int = 0  # open streams that ended (cut, reset, silence, end of body)
    idle_timeouts: int = 0  # drops because nothing came for `idle_timeout`
    events: int = 0  # events handed to the consumer (resyncs included)
    resyncs: int = 0
    heartbeats: int = 0
    comments: int = 0
    duplicates: int = 0  # events at or below the last seq received, not handed on
    bytes: int = 0  # body bytes of open streams
    by_url: dict[str, int] = field(default_factory=dict)  # streams opened per base URL

    @property
    def reconnects(self) -> int:
        return max(0, self.connects - 1)


@dataclass(frozen=True, slots=True)
class _Target:
    base: str
    host: str
    port: int
    tls: bool
    path: str

    @classmethod
    def of(cls, base: str) -> _Target:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"URL de serveur invalide : {base!r}")
        tls = parts.scheme == "https"
        path = parts.path.rstrip("/")
        if not path.endswith(STREAM_PATH):
            path += STREAM_PATH
        return cls(base, parts.hostname, parts.port or (443 if tls else 80), tls, path)

    @property
    def authority(self) -> str:
        default = 443 if self.tls else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def _header_value(value: str) -> str:
    if any(char in value for char in "\r\n\x00"):
        raise ValueError("valeur d'en-tête invalide")
    return value


class _Wire(asyncio.Protocol):
    """One HTTP/1.1 response on one socket, parsed as it arrives."""

    def __init__(self, client: StreamClient, request: bytes) -> None:
        self.client = client
        self.request = request
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self.loop = loop
        self.head: asyncio.Future[int] = loop.create_future()
        self.ended: asyncio.Future[BaseException | None] = loop.create_future()
        self.status = 0
        self.open = False
        self.error_body = bytearray()
        self.last_data = loop.time()
        self.idle: asyncio.TimerHandle | None = None

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self.ended.done():  # cut while connecting
            transport.abort()
            return
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.last_data = self.loop.time()
        try:
            self.parser.feed_data(data)
        except Exception as error:  # httptools' parse errors, a broken frame line
            self.finish(_Dropped(f"réponse illisible : {error}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.finish(exc or _Dropped("connexion fermée par le serveur"))

    # httptools callbacks
    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        if not self.head.done():
            self.head.set_result(self.status)

    def on_body(self, body: bytes) -> None:
        if self.open:
            self.client._received(body)
        elif len(self.error_body) < _MAX_ERROR_BODY:
            self.error_body += body

    def on_message_complete(self) -> None:
        self.finish(_Dropped("fin du flux"))

    # ours
    def finish(self, outcome: BaseException | None) -> None:
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None
        if not self.head.done():
            self.head.set_exception(outcome or _Dropped("connexion fermée"))
            self.head.exception()  # whoever awaits it still gets it; nobody else must
        if not self.ended.done():
            self.ended.set_result(outcome)
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()

    def watch(self, timeout: float) -> None:
        """Drop the connection once nothing arrived for `timeout` seconds (one timer,
        re-armed only when it fires)."""
        if timeout <= 0:
            return
        self.idle = self.loop.call_at(self.last_data + timeout, self._check_idle, timeout)

    def _check_idle(self, timeout: float) -> None:
        self.idle = None
        if self.ended.done():
            return
        if self.loop.time() - self.last_data >= timeout:
            self.client.counters.idle_timeouts += 1
            self.finish(_Dropped(f"aucune donnée depuis {timeout:.0f} s"))
        else:
            self.watch(timeout)

    def close(self) -> None:
        self.finish(_Dropped("coupé par le client"))


_END = object()  # the end of the async iterator


class StreamClient:
    """A member's live stream that reconnects by itself, resuming after its last event.

    `urls`: one base URL or several (`http://host:port`, the stream path is added); the
    client starts on the first and moves to the next one after every drop or failed
    attempt, so it fails over to another server process. `session`: the value of the
    Django session cookie (`maillage_session`). `last_event_id`: the cursor to resume
    after (a snapshot's); without one the first connection starts at the head, and nothing
    is lost only from the first event received on (the server sends no id before it).
    `on_event`: called with each event on the loop (then the async iterator gets
    nothing); otherwise iterate the client. Heartbeats are counted, not handed on; a
    `resync` is handed on (reload the snapshot) and its id becomes the cursor. An event
    at or below the last seq already received is counted in `duplicates` and dropped
    (`dedupe=False` hands it on too).

    Not thread-safe: create, use and close it on one event loop.
    """

    def __init__(
        self,
        urls: str | Sequence[str],
        session: str | None,
        *,
        last_event_id: int | str | None = None,
        on_event: Callable[[StreamEvent], None] | None = None,
        cookie_name: str = SESSION_COOKIE,
        headers: Mapping[str, str] | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        idle_timeout: float = IDLE_TIMEOUT,
        backoff_initial: float = BACKOFF_INITIAL,
        backoff_max: float = BACKOFF_MAX,
        dedupe: bool = True,
        seed: int | None = None,
    ) -> None:
        listed = [urls] if isinstance(urls, str) else list(urls)
        if not listed:
            raise ValueError("au moins une URL de serveur")
        self.targets = [_Target.of(url) for url in listed]
        self.session = _header_value(session) if session else None
        self.cookie_name = _header_value(cookie_name)
        self.extra_headers = {
            _header_value(k): _header_value(v) for k, v in (headers or {}).items()
        }
        self.last_event_id: str | None = (
            _header_value(str(last_event_id)) if last_event_id is not None else None
        )
        self.on_event = on_event
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.dedupe = dedupe
        self.counters = StreamCounters()
        self.parser = SseParser()
        self.refused: StreamRefused | None = None
        self.last_error: str | None = None
        self.index = 0  # the base URL of the current (or next) attempt
        self._last_seq = _seq_of(self.last_event_id)
        self._wire: _Wire | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._moved_to: int | None = None
        self._wake: asyncio.Event | None = None
        self._up: asyncio.Event | None = None
        self._queue: asyncio.Queue[StreamEvent | object] | None = None
        self._random = random.Random(seed)  # noqa: S311 -- jitter, no secret

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> StreamClient:
        """Start connecting (on the running loop); returns self."""
        if self._task is None:
            self._wake = asyncio.Event()
            self._up = asyncio.Event()
            if self.on_event is None:
                self._queue = asyncio.Queue()
            self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def close(self) -> None:
        """Stop for good: cut the connection, end the iterator."""
        self._closing = True
        if self._wire is not None:
            self._wire.close()
        if self._wake is not None:
            self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def __aenter__(self) -> StreamClient:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        return self._wire is not None and self._wire.open and not self._wire.ended.done()

    @property
    def url(self) -> str:
        """The base URL of the current (or next) connection."""
        return self.targets[self.index].base

    async def wait_connected(self, timeout: float | None = None) -> None:
        """Until a stream is open (raises StreamRefused if the session was refused)."""
        if self._up is None:
            raise RuntimeError("StreamClient.start() d'abord")
        async with asyncio.timeout(timeout):
            while not self.connected:
                if self.refused is not None:
                    raise self.refused
                if self._closing:
                    raise RuntimeError("flux fermé")
                self._up.clear()
                await self._up.wait()

    def reconnect(self, to: int | str | None = None) -> None:
        """Cut the current stream and reconnect now (to this base URL or index, else the
        next one); the new stream resumes after the last event id as after any drop."""
        if to is not None:
            self._moved_to = self._index_of(to)
        if self._wire is not None:
            self._wire.close()
        if self._wake is not None:
            self._wake.set()

    def _index_of(self, to: int | str) -> int:
        if isinstance(to, int):
            if not 0 <= to < len(self.targets):
                raise IndexError(to)
            return to
        for index, target in enumerate(self.targets):
            if target.base == to:
                return index
        raise ValueError(f"URL inconnue de ce client : {to!r}")

    # --- the async iterator -------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._events()

    async def _events(self) -> AsyncIterator[StreamEvent]:
        if self._queue is None:
            raise RuntimeError("itérer un client démarré et sans on_event")
        while True:
            item = await self._queue.get()
            if item is _END:
                if self.refused is not None:
                    raise self.refused
                return
            assert isinstance(item, StreamEvent)
            yield item

    # --- the loop -----------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        try:
            while not self._closing:
                opened = False
                try:
                    opened = await self._attempt(self.targets[self.index])
                except StreamRefused as refusal:
                    self.refused = refusal
                    self.last_error = str(refusal)
                    return
                except (OSError, TimeoutError, _Dropped) as error:
                    self.last_error = f"{type(error).__name__}: {error}"
                finally:
                    self._wire = None
                if self._closing:
                    return
                failures = 0 if opened else failures + 1
                if opened:
                    self.counters.drops += 1
                else:
                    self.counters.failures += 1
                moved, self._moved_to = self._moved_to, None
                if moved is not None:
                    self.index = moved
                    continue  # asked for: at once
                self.index = (self.index + 1) % len(self.targets)
                await self._pause(self._delay(failures))
        finally:
            if self._up is not None:
                self._up.set()
            if self._queue is not None:
                self._queue.put_nowait(_END)

    def _delay(self, failures: int) -> float:
        """Short after a drop; doubling with each failed attempt in a row; ±50 % jitter so
        that the clients of a dead server do not all come back in the same instant."""
        raw = min(self.backoff_max, self.backoff_initial * 2.0 ** max(0, failures - 1))
        return raw * self._random.uniform(0.5, 1.5)

    async def _pause(self, seconds: float) -> None:
        assert self._wake is not None
        self._wake.clear()
        if self._closing or self._moved_to is not None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    def _request(self, target: _Target) -> bytes:
        lines = [
            f"GET {target.path} HTTP/1.1",
            f"Host: {target.authority}",
            "Accept: text/event-stream",
            "Cache-Control: no-store",
            "User-Agent: maillage-client",
        ]
        if self.session:
            lines.append(f"Cookie: {self.cookie_name}={self.session}")
        if self.last_event_id is not None:
            lines.append(f"Last-Event-ID: {self.last_event_id}")
        lines += [f"{name}: {value}" for name, value in self.extra_headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _attempt(self, target: _Target) -> bool:
        """One connection; True once it had opened (it then ended), False if it never did."""
        loop = asyncio.get_running_loop()
        self.counters.attempts += 1
        wire = _Wire(self, self._request(target))
        self._wire = wire
        context = ssl.create_default_context() if target.tls else None
        try:
            async with asyncio.timeout(self.connect_timeout):
                await loop.create_connection(lambda: wire, target.host, target.port, ssl=context)
                status = await wire.head
                if status != 200:
                    await wire.ended
            if status != 200:
                refusal = _refusal(status, bytes(wire.error_body))
                if status in REFUSING:
                    raise refusal
                raise _Dropped(str(refusal))
            self.parser.reset()
            wire.open = True
            self.counters.connects += 1
            self.counters.by_url[target.base] = self.counters.by_url.get(target.base, 0) + 1
            if self._up is not None:
                self._up.set()
            wire.watch(self.idle_timeout)
            if self._closing:
                wire.close()
            outcome = await wire.ended
            if isinstance(outcome, Exception) and not isinstance(outcome, _Dropped):
                self.last_error = f"{type(outcome).__name__}: {outcome}"
            return True
        finally:
            wire.close()

    # --- frames -------------------------------------------------------------------------

    def _received(self, body: bytes) -> None:
        """Body bytes of the open stream: parse, apply the rules, hand events on."""
        counters = self.counters
        counters.bytes += len(body)
        parser = self.parser
        comments = parser.comments
        try:
            frames = parser.feed(body)
        except ValueError as error:
            if self._wire is not None:
                self._wire.finish(_Dropped(str(error)))
            return
        counters.comments += parser.comments - comments
        if not frames:
            return
        now = time.time()
        for frame in frames:
            seq = _seq_of(frame.id)
            resync = frame.event == "resync"
            stale = (
                seq is not None
                and self._last_seq is not None
                and seq <= self._last_seq
                and not resync
            )
            if frame.id is not None and not stale:
                # The cursor moves on every frame with an id, even one not handed on.
                self.last_event_id = frame.id
                if seq is not None:
                    self._last_seq = seq
            if not frame.has_data:
                continue
            if frame.event == "heartbeat":
                counters.heartbeats += 1
                continue
            if resync:
                counters.resyncs += 1
            elif stale:
                counters.duplicates += 1
                if self.dedupe:
                    continue
            counters.events += 1
            event = StreamEvent(frame.id, frame.event, frame.data, now)
            if self.on_event is not None:
                self.on_event(event)
            elif self._queue is not None:
                self._queue.put_nowait(event)


def _seq_of(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def _refusal(status: int, body: bytes) -> StreamRefused:
    """The server's structured refusal (`code`, French `message`), or the bare status."""
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("code"), str):
        return StreamRefused(status, parsed["code"], str(parsed.get("message", "")))
    return StreamRefused(status, "http_error", body[:200].decode("utf-8", "replace"))

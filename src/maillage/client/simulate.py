"""Demo traffic: demo shops sending realistic sealed reports to a running server.

`maillage simulate` and `maillage demo` drive it, and the delivery benchmark reuses
`Simulator` for its senders. Each report goes through the normal path of a merchant's
device (`MemberDevice`: key directory, certificate checks, sealing, one multipart POST),
so the server never sees a text in clear, and neither does this module's log: a line per
report says when, which shop, which incident and how long the POST took, never what was
written (in `maillage demo` the log is the server's own output).

A refusal or an unreachable server is an outcome, not a crash: it is logged with the
server's `code` and French `message`, the loop backs off (the server's Retry-After when
it gives one) and goes on.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from maillage.client.device import MemberDevice, SendRefused
from maillage.client.http import ClientApiError, MaillageClient
from maillage.client.neighbours import NeighbourAlerts, sector_scope
from maillage.wire import report_fields
from maillage.wire.chain import TrustError
from maillage.wire.envelope import EnvelopeError

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_RATE = 0.5  # reports per minute: one every two minutes, the demo's gentle pace
MERCHANT_ROLE = "commercant"

# What a shopkeeper types in a hurry: short, plausible, with no names nor anything that
# could point at a real person.
NEIGHBOUR_STATES = {"pending": "en attente de validation", "active": "envoyée"}

# (category, text, neighbours): what demo shops report, across the default categories;
# a quarter of them warn the neighbours. Short texts, no health or other sensitive data
# about the people concerned (docs/privacy.md).
REPORTS: tuple[tuple[str, str, bool], ...] = (
    ("vol", "Un homme a pris deux bouteilles et est parti vers la place.", True),
    ("comportement_suspect", "Deux personnes observent la caisse depuis un quart d'heure.", True),
    ("agression", "Individu agressif dans la boutique, il refuse de sortir.", False),
    ("alarme", "L'alarme de la réserve s'est déclenchée, porte arrière entrouverte.", False),
    ("rixe", "Rixe devant la boutique entre plusieurs jeunes.", False),
    ("vol", "Tentative de vol à la tire sur une cliente devant la vitrine.", False),
    ("escroquerie", "Un client a payé avec un billet de 50 € qui semble faux.", True),
    ("comportement_suspect", "Véhicule en double file depuis une heure, moteur allumé.", False),
    ("comportement_suspect", "Groupe qui bloque l'entrée et importune les clients.", False),
    ("degradation", "Vitrine fissurée pendant la nuit, traces de choc sur la serrure.", False),
    ("vol", "Un homme a essayé d'ouvrir le tiroir-caisse pendant que j'étais en réserve.", False),
    ("autre", "Colis abandonné devant la porte depuis ce matin.", False),
    ("agression", "Menaces verbales d'un client mécontent, il a dit qu'il reviendrait.", False),
    ("vol", "Vol à l'étalage en réunion : trois personnes, l'une distrait le vendeur.", True),
    ("autre", "Scooter sur le trottoir à vive allure, a failli renverser un enfant.", False),
    ("comportement_suspect", "Individu qui suit les clientes à la sortie de la boutique.", True),
    ("degradation", "Bruit de verre brisé dans la cour arrière, quelqu'un s'enfuit.", False),
    ("escroquerie", "Faux démarcheur qui entre dans les commerces et refuse de partir.", True),
    ("degradation", "Tags sur le rideau métallique et la vitrine ce matin.", False),
    ("autre", "Fumée qui sort d'une poubelle contre la façade, je l'ai éloignée.", False),
)


@dataclass
class Outcome:
    """One report the simulator tried: when, from whom, and how it went.

    `posted_at` (wall clock, seconds) is when the POST started, the benchmark's zero;
    `prepare_ms` covers the key directory and sealing, `post_ms` the POST alone.
    """

    number: int
    shop: str
    member: str
    due_at: float
    incident: str | None = None
    text: str = ""
    category: str = ""
    neighbours: bool = False
    neighbour_alert: str | None = None
    posted_at: float | None = None
    prepare_ms: float | None = None
    post_ms: float | None = None
    status: int | None = None
    error: str | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class NoMerchant(Exception):
    """The server lists no demo merchant to play (not a demo server, or an empty one)."""

    code = "no_merchant"
    message = (
        "Aucun commerçant dans la commune de démonstration (le serveur est-il en mode démo ?)."
    )


@dataclass
class _Player:
    """A demo merchant this simulator plays: one device, signed in once and reused."""

    member: str
    shop: str
    client: MaillageClient
    device: MemberDevice | None = None


@dataclass
class _Backoff:
    """Wait longer after each consecutive failure (1, 2, 4 … s), capped; reset by success."""

    cap: float
    failures: int = 0

    def failed(self, retry_after: float | None) -> float:
        self.failures += 1
        wait = max(2.0 ** (self.failures - 1), retry_after or 0.0)
        return min(wait, self.cap)

    def succeeded(self) -> None:
        self.failures = 0


class Simulator:
    """Demo merchants sending sealed reports to one server; `run` returns the outcomes.

    Not thread-safe, apart from `stop()`, which may be called from any thread (the demo
    stops it when the server stops, the CLI on Ctrl-C).
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        shops: int | None = None,
        seed: int | None = None,
        log: Callable[[str], None] | None = None,
        max_backoff: float = 60.0,
        timeout: float = 15.0,
    ) -> None:
        self.url = url
        self.shops = shops
        self.random = random.Random(seed)  # noqa: S311 -- reproducible choices, no secret
        self.log = log or (lambda line: print(line, flush=True))
        self.backoff = _Backoff(cap=max_backoff)
        self.timeout = timeout
        self.players: list[_Player] = []
        self.outcomes: list[Outcome] = []
        self._stop = threading.Event()
        self._last_text = ""
        self._retry_after: float | None = None
        # The police console the simulator also plays, to hand the sector keys to its
        # shops' devices (a shop seals a neighbour alert to its sector's key).
        self._police: MemberDevice | None = None
        self._police_client: MaillageClient | None = None
        # The commune's category labels (its own, possibly renamed), read once.
        self._category_labels: dict[str, str] | None = None

    # --- life cycle -------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def close(self) -> None:
        for player in self.players:
            player.client.close()
        if self._police_client is not None:
            self._police_client.close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wait_for_server(self, timeout: float | None = None, *, every: float = 0.5) -> bool:
        """Poll until the server answers the demo member list (False: stopped or timed out)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with MaillageClient(self.url, timeout=self.timeout) as probe:
            while not self.stopped:
                try:
                    probe.demo_members()
                    return True
                except (ClientApiError, httpx.HTTPError):
                    pass
                if deadline is not None and time.monotonic() >= deadline:
                    return False
                self._stop.wait(every)
        return False

    # --- the loop ---------------------------------------------------------------------

    def run(
        self,
        rate: float = DEFAULT_RATE,
        duration: float | None = None,
        burst: int | None = None,
        *,
        spacing: float = 0.0,
        then_continue: bool = False,
    ) -> list[Outcome]:
        """Send reports until `duration` seconds have passed (None: until `stop()`).

        `burst`: first send that many reports back to back, or `spacing` seconds apart,
        then stop, unless `then_continue` (the steady pace follows). The steady pace is
        `rate` reports per minute, each interval drawn within ±50 % of 60/rate so the
        shops do not ring like a metronome. Returns this run's outcomes, in order.
        """
        if rate <= 0 and (burst is None or then_continue):
            raise ValueError("rate must be positive")
        start = time.monotonic()
        deadline = None if duration is None else start + duration
        outcomes: list[Outcome] = []
        for due in self._schedule(start, deadline, rate, burst, spacing, then_continue):
            if not self._wait_until(due, deadline):
                break
            outcome = self.send_one()
            outcomes.append(outcome)
            if burst is not None and not then_continue and len(outcomes) >= burst:
                break  # nothing follows the last report of a burst: no pause
            if not outcome.ok:
                pause = self.backoff.failed(self._retry_after)
                if pause > 0:
                    self.log(f"          nouvel essai dans {pause:.0f} s")
                    if not self._wait_until(time.monotonic() + pause, deadline):
                        break
        return outcomes

    def _schedule(
        self,
        start: float,
        deadline: float | None,
        rate: float,
        burst: int | None,
        spacing: float,
        then_continue: bool,
    ) -> Iterator[float]:
        """Monotonic times at which reports are due; a late report does not shift the
        later ones of a burst (a burst "at 2 per second" stays at 2 per second)."""
        due = start
        if burst is not None:
            for index in range(burst):
                due = start + index * spacing
                yield due
            if not then_continue:
                return
        while deadline is None or due < deadline:
            due = max(due, time.monotonic()) + 60.0 / rate * self.random.uniform(0.5, 1.5)
            yield due

    def _wait_until(self, due: float, deadline: float | None) -> bool:
        """Sleep until `due`; False when stopped or when `due` falls after the deadline."""
        if deadline is not None and due > deadline:
            return False
        remaining = due - time.monotonic()
        if remaining > 0:
            self._stop.wait(remaining)
        return not self.stopped

    # --- one report -------------------------------------------------------------------

    def send_one(self) -> Outcome:
        """One report from a random demo merchant; never raises for a server's refusal."""
        number = len(self.outcomes) + 1
        outcome = Outcome(number=number, shop="?", member="?", due_at=time.time())
        self._retry_after = None
        try:
            player = self._pick()
            outcome.shop, outcome.member = player.shop, player.member
            outcome.category, outcome.text, outcome.neighbours = self._report()
            try:
                self._send(player, outcome)
            except ClientApiError as error:
                if error.status != 401:
                    raise
                # Session expired (or this device was withdrawn): sign in again, once.
                self._sign_in(player, again=True)
                self._send(player, outcome)
        except ClientApiError as error:
            self._failed(outcome, error.code, error.message, status=error.status)
            if error.field:
                outcome.message = f"{error.message} (champ {error.field})"
            self._retry_after = error.retry_after
        except (SendRefused, EnvelopeError, TrustError, NoMerchant) as error:
            self._failed(outcome, error.code, error.message)
        except httpx.HTTPError as error:
            self._failed(outcome, "unreachable", f"Serveur injoignable : {error}")
        else:
            self.backoff.succeeded()
        self.outcomes.append(outcome)
        self.log(self._line(outcome))
        return outcome

    def _send(self, player: _Player, outcome: Outcome) -> None:
        device = player.device or self._sign_in(player)
        began = time.perf_counter()
        prepared = device.prepare_report(
            outcome.text,
            category=outcome.category,
            neighbours=outcome.neighbours,
            fields=report_fields.sealed_fields(self._descriptors()),
        )
        outcome.incident = prepared.incident
        outcome.posted_at = time.time()
        posting = time.perf_counter()
        outcome.prepare_ms = (posting - began) * 1000
        try:
            report = device.post_report(prepared)
        finally:
            outcome.post_ms = (time.perf_counter() - posting) * 1000
        outcome.status = 201
        outcome.incident = report.incident
        if outcome.neighbours:
            outcome.neighbour_alert = self._warn_neighbours(device, outcome)

    def _warn_neighbours(self, device: MemberDevice, outcome: Outcome) -> str | None:
        """The report's « prévenir les commerces voisins »: a short alert sealed to the
        shop's sector key (the police validates it by default). Its status, or None when it
        could not go (no key yet, a limit): the report itself was sent, so this never fails
        the outcome."""
        try:
            sector = device.client.get("/session")["membership"]["shop"]["sector"]["id"]
            scope = sector_scope(sector)
            police = self._police_device()
            if police is not None:
                police.broadcasts.ensure(scope)
            if device.broadcasts.receive(scope) is None:
                return None
            label = self._labels(device).get(outcome.category, outcome.category)
            sent = NeighbourAlerts(device).send(
                f"{label} : {outcome.text}", scope, outcome.incident
            )
            return str(sent.get("status"))
        except (ClientApiError, EnvelopeError, TrustError, httpx.HTTPError, KeyError, TypeError):
            return None

    def _labels(self, device: MemberDevice) -> dict[str, str]:
        """The commune's category labels, as its catalogue names them (the neighbours read
        the label in the alert's text)."""
        if self._category_labels is None:
            catalogue = device.client.get("/incidents/catalogue")
            self._category_labels = {c["slug"]: c["label"] for c in catalogue["categories"]}
        return self._category_labels

    def _police_device(self) -> MemberDevice | None:
        """The demo's operator, signed in once on its own device (None if the demo has none)."""
        if self._police is None:
            self._police_client = MaillageClient(self.url, timeout=self.timeout)
            members = self._police_client.demo_members()
            operator = next((m for m in members if m["role"] == "operateur"), None)
            if operator is None:
                return None
            police = MemberDevice(self._police_client, label="Simulateur – console police")
            police.sign_in_demo(str(operator["id"]))
            self._police = police
        return self._police

    def _failed(
        self, outcome: Outcome, code: str, message: str, *, status: int | None = None
    ) -> None:
        outcome.error, outcome.message, outcome.status = code, message, status

    def _pick(self) -> _Player:
        if not self.players:
            self.players = self._load_players()
        return self.random.choice(self.players)

    def _load_players(self) -> list[_Player]:
        """The demo's merchants (a sample of `shops` of them, seeded), once."""
        with MaillageClient(self.url, timeout=self.timeout) as listing:
            members = [
                m for m in listing.demo_members() if m["role"] == MERCHANT_ROLE and m["shop"]
            ]
        if not members:
            raise NoMerchant(NoMerchant.message)
        if self.shops is not None and self.shops < len(members):
            members = self.random.sample(members, max(1, self.shops))
        return [
            _Player(
                member=str(m["id"]),
                shop=str(m["shop"]),
                client=MaillageClient(self.url, timeout=self.timeout),
            )
            for m in members
        ]

    def _sign_in(self, player: _Player, *, again: bool = False) -> MemberDevice:
        """A new device with fresh keys the demo root certifies; on `again`, the same keys
        first (the server takes them back as the same device), fresh ones if refused."""
        if again and player.device is not None:
            try:
                player.device.sign_in_demo(player.member)
                return player.device
            except ClientApiError as error:
                if error.code != "device_key_in_use":
                    raise
        player.device = None
        device = MemberDevice(player.client, label=f"Simulateur – {player.shop}")
        device.sign_in_demo(player.member)
        player.device = device
        return device

    def _descriptors(self) -> dict[str, Any] | None:
        """Descriptors as a shopkeeper taps them (sealed): often none, else a few."""
        pick = self.random
        if pick.random() < 0.3:
            return None
        return report_fields.build_report(
            people=pick.choice(report_fields.PEOPLE),
            clothing=pick.sample(report_fields.CLOTHING, pick.randint(0, 2)),
            colours=pick.sample(report_fields.COLOURS, pick.randint(0, 2)),
            signs=pick.sample(report_fields.SIGNS, pick.randint(0, 1)),
            direction=pick.choice((None, *report_fields.DIRECTIONS)),
            vehicle=pick.choice((None, *report_fields.VEHICLES)),
        )

    def _report(self) -> tuple[str, str, bool]:
        """A report (category, text, neighbours), never the same one twice in a row."""
        report = self.random.choice(REPORTS)
        while report[1] == self._last_text:
            report = self.random.choice(REPORTS)
        self._last_text = report[1]
        return report

    @staticmethod
    def _line(outcome: Outcome) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(outcome.due_at))
        if outcome.ok:
            warned = NEIGHBOUR_STATES.get(outcome.neighbour_alert or "", "")
            return (
                f"{stamp}  {outcome.shop}  signalement {outcome.incident}  "
                f"POST {outcome.post_ms:.0f} ms"
                + (f"  alerte aux voisins {warned}" if warned else "")
            )
        status = f"{outcome.status} " if outcome.status is not None else ""
        return f"{stamp}  {outcome.shop}  échec {status}{outcome.error} : {outcome.message}"


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    """Counts and POST durations (median, max) of a run, for the CLI's last line."""
    posts = sorted(o.post_ms for o in outcomes if o.ok and o.post_ms is not None)
    return {
        "sent": len(posts),
        "failed": sum(1 for o in outcomes if not o.ok),
        "post_median_ms": posts[len(posts) // 2] if posts else None,
        "post_max_ms": posts[-1] if posts else None,
    }

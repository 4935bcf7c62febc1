"""Only actions write domain rows: no `.save()`, `.create()`, `.update()`, `.delete()` or
`bulk_*` on models outside actions modules, migrations and tests.

The scan reads the syntax tree, so it cannot know types: it flags `.create`-like calls
anywhere, `.update`/`.delete` on a queryset chain (`X.objects…`, `.filter(…)…`), and
`.save()`/`.delete()` without positional arguments (a model's; a file's or a storage's
take a name). Files that still write outside actions are listed below: the list may only
shrink, and a file that no longer needs its entry makes the test fail until it is removed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "maillage"

CREATES = frozenset(
    {
        "create",
        "get_or_create",
        "update_or_create",
        "bulk_create",
        "bulk_update",
        "create_person",
        "create_user",
    }
)
QUERYSET_STEPS = frozenset(
    {
        "objects",
        "filter",
        "exclude",
        "all",
        "select_for_update",
        "select_related",
        "prefetch_related",
        "order_by",
        "only",
        "defer",
        "distinct",
    }
)

# The two append-only logs are the action layer's own storage: their writers are the
# helper every action calls, not state changes of their own. Permanent.
LOG_WRITERS = frozenset(
    {
        "maillage/stream/log.py",
        "maillage/privacy/access_log.py",
    }
)

# Modules of actions that are not called actions.py: trust/ keeps one module per topic
# (docs/decisions.md, "Layers"), and the set-up spans domains.
ACTION_MODULES = frozenset(
    {
        "maillage/trust/roots.py",
        "maillage/trust/devices.py",
        "maillage/trust/certificates.py",
        "maillage/trust/revocations.py",
        "maillage/trust/service_keys.py",
        "maillage/trust/group_keys.py",
        "maillage/trust/enrolment.py",
        "maillage/trust/memberships.py",
        "maillage/setup/commune.py",
        "maillage/incidents/alert_settings.py",
        "maillage/incidents/workflow.py",
        "maillage/incidents/dispatch.py",
        "maillage/incidents/escalation.py",
        "maillage/incidents/exercises.py",
        "maillage/incidents/clusters.py",
        "maillage/push/subscriptions.py",
    }
)

# Security-session bookkeeping: which server-side session stands for which membership and
# device (MemberSession), written at sign-in, sign-out and when the middleware throws an
# ended session out. Like Django's own session rows, it is not domain state: no other
# device sees it, it is not in any snapshot the stream serves, and a sign-in is not an
# event (docs/events.md, "What is not an event"). Ending sessions on suspension or
# revocation happens inside those actions, whose event records it. Permanent.
SESSION_STATE = frozenset(
    {
        "maillage/members/sessions.py",
        "maillage/members/middleware.py",
    }
)

# Which police devices hold a live stream open, per server process (maillage.duty.presence):
# written when a stream opens, touched by its heartbeat, deleted when it ends. Connection
# state like the session rows: not a change of the commune's state, never an event
# (docs/decisions.md, "Duty hours and fallback"). Permanent.
CONNECTION_STATE = frozenset({"maillage/duty/presence.py"})

# Web Push bookkeeping (maillage.push): the worker's cursor over the log, the deliveries it
# owes each subscription and every attempt's result; the installation's VAPID key made at
# first use. A channel reading the log, as a stream connection is: its rows are not state
# changes of the commune (docs/decisions.md, "Web Push"); the subscriptions themselves
# are, and change only through their actions. Permanent.
DELIVERY_STATE = frozenset({"maillage/push/worker.py", "maillage/push/vapid.py"})

# Writers outside an actions module today. Shrink only: move each write into an action,
# then delete its line (and lower the ceiling in test_the_allow_list_only_shrinks).
CURRENT_VIOLATORS: frozenset[str] = frozenset()


def _on_queryset(node: ast.expr) -> bool:
    while True:
        if isinstance(node, ast.Attribute):
            if node.attr in QUERYSET_STEPS:
                return True
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return False


def _is_django_session(node: ast.expr) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name == "session"


def writes(source: str) -> Iterator[tuple[int, str]]:
    """(line, call) for every call that looks like a write to a model."""
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, receiver = node.func.attr, node.func.value
        if method in CREATES:
            hit = True
        elif method == "update":
            hit = _on_queryset(receiver)
        elif method == "delete":
            hit = _on_queryset(receiver) or not node.args
        elif method == "save":
            hit = not node.args and not _is_django_session(receiver)
        else:
            hit = False
        if hit:
            yield node.lineno, ast.unparse(node)[:100]


def _exempt(path: Path) -> bool:
    parts = path.relative_to(PACKAGE).parts
    return (
        "migrations" in parts
        or "tests" in parts
        or parts[0] == "testing"  # test support, scanned with the tests below
        or path.name.startswith("test_")
        or path.name == "actions.py"
        or "actions" in parts[:-1]
        or path.relative_to(SRC).as_posix() in ACTION_MODULES
    )


def scan() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if _exempt(path):
            continue
        calls = [f"{line}: {call}" for line, call in writes(path.read_text(encoding="utf-8"))]
        if calls:
            found[path.relative_to(SRC).as_posix()] = calls
    return found


def test_no_domain_write_outside_actions() -> None:
    found = scan()
    allowed = LOG_WRITERS | SESSION_STATE | CONNECTION_STATE | DELIVERY_STATE | CURRENT_VIOLATORS
    assert {path: calls for path, calls in found.items() if path not in allowed} == {}


def test_the_allow_list_only_shrinks() -> None:
    """An entry whose file writes nothing any more must go: it would hide a new write.
    The ceiling comes down with the list; raising it needs a reason in review."""
    found = scan()
    assert (
        sorted(
            (LOG_WRITERS | SESSION_STATE | CONNECTION_STATE | DELIVERY_STATE | CURRENT_VIOLATORS)
            - set(found)
        )
        == []
    )
    assert len(CURRENT_VIOLATORS) <= 0


def test_the_scan_sees_model_writes_and_not_look_alikes() -> None:
    flagged = """
Shop.objects.create(name="x")
Shop.objects.bulk_create([])
Shop.objects.filter(pk=1).update(name="y")
membership.devices.filter(status="a").update(status="b")
Shop.objects.filter(pk=1).delete()
shop.save(update_fields=["name"])
shop.delete()
Person.objects.create_person(display_name="x")
"""
    ignored = """
fields.update(other)
default_storage.delete(name)
attachment.file.save("sealed.bin", content, save=False)
request.session.save()
session.save()
"""
    assert [line for line, _ in writes(flagged)] == list(range(2, 10))
    assert list(writes(ignored)) == []


# --- tests build state through actions too ---------------------------------------------

TESTS_ROOTS = (PACKAGE, SRC.parent / "tests")

# Test files that write rows on purpose, each with its reason: a state no action may
# produce is exactly what they check the server refuses or detects. Everything else a
# test needs is built through actions (members/tests/factory.py, territory/tests/factory.py).
DELIBERATE_TAMPERING: dict[str, str] = {
    "maillage/members/tests/factory.py": "signs a test client in: session bookkeeping, as "
    "SESSION_STATE (a passkey ceremony per test would only slow the suite)",
    "maillage/members/tests/test_sessions.py": "a status changed behind a live session's "
    "back: the middleware must still throw it out",
    "maillage/trust/tests/test_api_certificates.py": "a coordinator certificate without "
    "may_certify, which the root never signs: the server must refuse its approvals",
    "maillage/incidents/tests/test_api_incidents.py": "a certificate withdrawn without a "
    "list, and a duplicate row mid-transaction: refusal and rollback are checked",
    "maillage/trust/tests/test_recipients_api.py": "a closed shop; closing a shop is an "
    "action of issue 9 (shop management), which will replace this write",
    "maillage/limits/tests/test_limits.py": "ages a rate-limit window instead of waiting",
    "maillage/incidents/tests/test_clusters.py": "moves a report an hour or two in time "
    "instead of waiting, so that it falls outside the cluster window",
    "maillage/stats/tests/test_stats.py": "ages a report by twenty minutes instead of "
    "waiting, so that its target is past",
    "maillage/duty/tests/test_api.py": "ages a presence heartbeat instead of waiting, as "
    "a server process that died would leave it",
    "maillage/stream/tests/test_stream_live.py": "deletes a Django session as its expiry "
    "would: no action ends a session by time",
    "maillage/stream/tests/test_log.py": "edits, deletes and gaps in the event log, which "
    "the chain check must detect; and the action helper itself, tested with rows written "
    "inside hand-made action blocks",
    "maillage/trust/tests/test_recipients_cache.py": "the directory's ETag must change "
    "with a device status changed without a new revocation list and with a certificate "
    "that expires as time passes: neither is an action",
    "maillage/push/tests/test_webpush.py": "brings a retry's due time forward instead of "
    "waiting out the backoff",
    "maillage/testing/seed.py": "the benchmark's 10,000 devices in bulk (members, devices, "
    "certificates, sessions) without their enrolment events, which nothing on the "
    "delivery path reads: through the actions a member costs 110 ms",
}


def _test_sources() -> Iterator[Path]:
    for root in TESTS_ROOTS:
        for path in sorted(root.rglob("*.py")):
            parts = path.parts
            testing = path.is_relative_to(PACKAGE / "testing")
            if ("tests" in parts or testing) and path.name != "test_action_discipline.py":
                yield path


def _test_double(call: str) -> bool:
    """HTTP DELETE from a test client, a software authenticator's credential: not rows."""
    return any(mark in call for mark in ("client.delete(", ".delete(url)", "uthenticator"))


def scan_tests() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in _test_sources():
        calls = [f"{line}: {call}" for line, call in writes(path.read_text(encoding="utf-8"))]
        calls = [c for c in calls if not _test_double(c)]
        if calls:
            key = path.relative_to(SRC if path.is_relative_to(SRC) else SRC.parent).as_posix()
            found[key] = calls
    return found


def test_tests_write_rows_only_on_purpose() -> None:
    found = scan_tests()
    assert {p: calls for p, calls in found.items() if p not in DELIBERATE_TAMPERING} == {}
    assert sorted(set(DELIBERATE_TAMPERING) - set(found)) == []

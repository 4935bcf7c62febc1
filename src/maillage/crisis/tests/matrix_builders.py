"""Requests of the crisis routes for the authorisation matrix
(`members/tests/test_authorisation_matrix.py`, its `Ctx`). Allowed calls are real: the
commune's key published by an operator, instructions sealed by the persona's own device."""

from __future__ import annotations

from typing import Any

from maillage.broadcasts.tests.matrix_builders import _certified, _generation
from maillage.trust.tests import group_key_factory as keys

from .helpers import CRISIS

Request = tuple[str, dict[str, Any]]


def get(ctx: Any) -> Request:
    return CRISIS, {}


def _sealed_by_persona(ctx: Any, *, started: bool) -> dict[str, Any]:
    holder, generation = _generation(ctx)
    if started:
        response = holder.client().post(
            f"{CRISIS}/start", **keys.multipart(keys.seal(holder, generation))
        )
        assert response.status_code == 201, response.content
    sender = ctx.persona if _certified(ctx.persona) else holder
    return keys.multipart(keys.seal(sender, generation))


def start(ctx: Any) -> Request:
    return f"{CRISIS}/start", _sealed_by_persona(ctx, started=False)


def instructions(ctx: Any) -> Request:
    return f"{CRISIS}/instructions", _sealed_by_persona(ctx, started=True)


def end(ctx: Any) -> Request:
    _sealed_by_persona(ctx, started=True)
    return f"{CRISIS}/end", {}

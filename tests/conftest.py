"""The API fuzzing runs only the cases its module chooses (tests/test_fuzz_api.py)."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    fuzz = [item for item in items if item.get_closest_marker("fuzz") is not None]
    if not fuzz:
        return
    dropped = [item for item in fuzz if not item.module.fuzzed(item.nodeid)]  # type: ignore[attr-defined]
    if dropped:
        gone = {id(item) for item in dropped}
        items[:] = [item for item in items if id(item) not in gone]
        config.hook.pytest_deselected(items=dropped)

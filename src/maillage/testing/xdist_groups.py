"""pytest plugin (pyproject.toml, `-p`): `--dist loadfile`, except for the API fuzzing.

Each test file stays on one worker (one Chromium, one live server per module), but the
fuzzing file, as one unit, kept a single worker busy for its whole length: the suite's
tail. Its cases are dealt in `SPLIT[file]` units instead (docs/decisions.md, « Suite
time »). A scheduler of our own because `--dist loadgroup` does nothing under pytest 9
(xdist 3.8 still renames `item._nodeid`, which node ids no longer read)."""

from __future__ import annotations

import zlib
from typing import Any

import pytest
from xdist.scheduler import LoadFileScheduling  # type: ignore[import-untyped]

SPLIT = {"tests/test_fuzz_api.py": 8}


class FileAndSplitScheduling(LoadFileScheduling):
    def _split_scope(self, nodeid: str) -> str:
        path, _, name = nodeid.partition("::")
        parts = SPLIT.get(path)
        if parts is None:
            return path
        return f"{path}#{zlib.crc32(name.encode()) % parts}"


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") == "loadfile":
        return FileAndSplitScheduling(config, log)
    return None

"""The front end's list of event kinds (frontend/src/live/stream.ts `KINDS`) is the
server's: a kind missing there is an event the browser's stream drops as unknown."""

from __future__ import annotations

import re
from pathlib import Path

from maillage.stream.kinds import Kind

STREAM_TS = Path(__file__).resolve().parents[4] / "frontend" / "src" / "live" / "stream.ts"


def test_the_front_end_knows_every_kind() -> None:
    text = STREAM_TS.read_text()
    listed = text.split("export const KINDS = [", 1)[1].split("] as const", 1)[0]
    names = set(re.findall(r'"([a-z_.]+)"', listed))
    assert names == {kind.value for kind in Kind}

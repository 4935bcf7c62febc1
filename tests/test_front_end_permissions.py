"""The front end asks only for permissions the policy grants: its names are `Action` values.

`frontend/src/permissions.ts` lists the policy's action names the UI shows or hides
things by; a rename on the server without the front end would silently hide a menu.
"""

from __future__ import annotations

import re
from pathlib import Path

from maillage.access.policy import Action

PERMISSIONS_TS = Path(__file__).resolve().parents[1] / "frontend" / "src" / "permissions.ts"


def front_end_names() -> dict[str, str]:
    source = PERMISSIONS_TS.read_text(encoding="utf-8")
    block = source.split("export const PERMISSION = {", 1)[1].split("} as const", 1)[0]
    return dict(re.findall(r'(\w+):\s*"([^"]+)"', block))


def test_every_front_end_permission_is_a_policy_action() -> None:
    names = front_end_names()
    assert len(names) >= 5, "the PERMISSION table was not found"
    actions = {action.value for action in Action}
    assert {key: value for key, value in names.items() if value not in actions} == {}

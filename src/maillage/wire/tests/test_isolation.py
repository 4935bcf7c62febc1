"""`maillage.wire` stands alone: the client and scripts import it without Django."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import maillage.wire

CHECK = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
others = sorted(
    m for m in sys.modules
    if m == "django" or m.startswith("django.")
    or (m.startswith("maillage.") and not m.startswith("maillage.wire"))
)
print("\\n".join(others))
sys.exit(1 if others else 0)
"""


def wire_modules() -> list[str]:
    return [
        f"maillage.wire.{info.name}"
        for info in pkgutil.iter_modules(maillage.wire.__path__)
        if info.name != "tests"
    ]


def test_wire_imports_no_django_and_no_other_maillage_package() -> None:
    modules = wire_modules()
    assert {"maillage.wire.chain", "maillage.wire.envelope", "maillage.wire.ids"} <= set(modules)
    src = Path(maillage.wire.__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", CHECK, *modules],
        env={"PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

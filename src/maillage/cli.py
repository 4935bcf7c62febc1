"""The `maillage` command: Django's management commands under the product's name.

`maillage serve`, `maillage demo`, `maillage commune create …`, `maillage import-shops FILE.csv`
are management commands of the domain apps; this wrapper picks the settings module, maps
dashed names to the modules' underscores, and turns demo mode on for `maillage demo`.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(argv if argv is not None else sys.argv[1:])
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    if args and args[0] == "demo":
        os.environ["MAILLAGE_DEMO"] = "true"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["maillage", *args])


if __name__ == "__main__":
    main()

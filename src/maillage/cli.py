"""The `maillage` command: Django's management commands under the product's name.

`maillage serve`, `maillage demo`, `maillage commune create …`, `maillage import-shops FILE.csv`
are management commands of the domain apps; this wrapper only picks the settings module.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["maillage", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    main()

"""A small, axe-like accessibility audit run inside the page (RGAA / WCAG 2.1 AA basics).

Not a replacement for an audit by people: it catches the regressions a machine can see —
landmarks, one h1, a language, names for every control, link and image, unique ids,
touch-target size and text contrast.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

_SOURCE = Path(__file__).with_name("a11y_audit.js").read_text(encoding="utf-8")
# The file opens with a comment; Playwright gets the bare function.
AUDIT_JS = "\n".join(line for line in _SOURCE.splitlines() if not line.startswith("//"))


def audit(page: Page) -> list[str]:
    """Problems found on the page as it is now; an empty list means the basics hold."""
    return list(page.evaluate(AUDIT_JS))

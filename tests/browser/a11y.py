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


# axe-core itself (frontend devDependency, pinned in package-lock.json), evaluated in the
# page by the test only: nothing of it is ever served from our origin.
AXE_JS = (
    Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
)
_AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}) : ${v.help} → ${v.nodes
      .slice(0, 3).map((n) => n.target.join(" ")).join(" ; ")}`);
}"""


def axe(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    return list(page.evaluate(_AXE_RUN))


def audit(page: Page) -> list[str]:
    """Problems found on the page as it is now; an empty list means the basics hold."""
    return list(page.evaluate(AUDIT_JS))

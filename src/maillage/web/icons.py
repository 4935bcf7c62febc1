"""Draws the app's icons (the installed app, the home screen, the tab) with Pillow.

Run once when the mark changes: `PYTHONPATH=src python -m maillage.web.icons`; the PNGs are
committed under web/static/web/icons/ and served as static files (docs/decisions.md,
« Installable app (PWA) »). No font is needed: the mark is a small mesh of shops, one of
them raising an alert, drawn from lines and discs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

BRAND = (0x1D, 0x35, 0x57, 255)  # the app's theme colour, #1d3557
INK = (255, 255, 255, 255)
ALERT = (0xE6, 0x39, 0x46, 255)
ICON_DIR = Path(__file__).resolve().parent / "static" / "web" / "icons"
# Drawn this many times larger, then reduced: smooth edges without an antialiasing API.
SUPERSAMPLE = 4


@dataclass(frozen=True)
class Icon:
    """One PNG: its file name, square size, and the manifest's `purpose`."""

    name: str
    size: int
    purpose: str  # "any": a rounded tile; "maskable": full bleed, mark in the safe zone

    @property
    def static_path(self) -> str:
        return f"web/icons/{self.name}"


# The manifest lists the first four; iOS takes the last (apple-touch-icon), which it rounds
# itself and would fill with black where transparent: drawn full bleed like a maskable one.
ICONS = (
    Icon("icon-192.png", 192, "any"),
    Icon("icon-512.png", 512, "any"),
    Icon("icon-maskable-192.png", 192, "maskable"),
    Icon("icon-maskable-512.png", 512, "maskable"),
)
APPLE_TOUCH_ICON = Icon("apple-touch-icon.png", 180, "maskable")


def _mark(pen: ImageDraw.ImageDraw, centre: float, radius: float) -> None:
    """A diamond of four shops around a fifth, linked like a mesh; the top one in red."""
    nodes = [
        (centre, centre - radius),
        (centre + radius, centre),
        (centre, centre + radius),
        (centre - radius, centre),
    ]
    width = max(1, round(radius * 0.12))
    for i, node in enumerate(nodes):
        pen.line([node, nodes[(i + 1) % 4]], fill=INK, width=width)
        pen.line([node, (centre, centre)], fill=INK, width=width)
    dot = radius * 0.22
    for x, y in [*nodes, (centre, centre)]:
        colour = ALERT if (x, y) == nodes[0] else INK
        pen.ellipse([x - dot, y - dot, x + dot, y + dot], fill=colour)


def draw(icon: Icon) -> Image.Image:
    size = icon.size * SUPERSAMPLE
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if icon.purpose == "maskable":
        # The platform crops to any shape inside the central circle of 80 % diameter.
        pen.rectangle([0, 0, size, size], fill=BRAND)
        radius = size * 0.27
    else:
        pen.rounded_rectangle([0, 0, size - 1, size - 1], radius=size * 0.22, fill=BRAND)
        radius = size * 0.3
    _mark(pen, size / 2, radius)
    return image.resize((icon.size, icon.size), Image.Resampling.LANCZOS)


def main() -> None:
    ICON_DIR.mkdir(parents=True, exist_ok=True)
    for icon in (*ICONS, APPLE_TOUCH_ICON):
        draw(icon).save(ICON_DIR / icon.name, format="PNG", optimize=True)
        print(ICON_DIR / icon.name)


if __name__ == "__main__":
    main()

"""Re-encode a photo before sealing it (docs/envelope.md, "Photos"), with Pillow.

A photo straight from a phone carries its GPS position, the phone's model, sometimes
the owner's name; none of it may leave the device, even sealed. So the photo is decoded
and a fresh JPEG is written from the pixels alone: no EXIF, GPS, XMP, ICC or comment
survives, whatever the input held. Twin of `frontend/src/envelope/photo.ts` (canvas).
"""

from __future__ import annotations

import io
import warnings
from typing import Final

from PIL import Image, ImageOps

from maillage.wire.envelope import Attachment

__all__ = [
    "JPEG_QUALITY",
    "MAX_INPUT_BYTES",
    "MAX_PIXELS",
    "MAX_SIDE",
    "PHOTO_MESSAGES",
    "PhotoError",
    "reencode_photo",
    "sniff_image_type",
]

MAX_INPUT_BYTES: Final = 25 * 1024 * 1024
MAX_SIDE: Final = 1600
JPEG_QUALITY: Final = 82
# A 25 MB file can still declare a gigapixel canvas; refuse before allocating it.
MAX_PIXELS: Final = 50_000_000

PHOTO_MESSAGES: Final[dict[str, str]] = {
    "unsupported_photo": "Format de photo non pris en charge (JPEG, PNG ou WebP).",
    "photo_too_large": "Photo trop volumineuse (25 Mo au plus).",
    "unreadable_photo": "Photo illisible ou incomplète.",
}
_PIL_FORMATS: Final = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


class PhotoError(Exception):
    """A photo cannot be sent: stable `code`, French `message` shown to the sender."""

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        self.message = message or PHOTO_MESSAGES[code]
        super().__init__(f"{code}: {self.message}")


def sniff_image_type(data: bytes) -> str | None:
    """The type by content, never by file name or declared type."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _decode(data: bytes, media: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[media]])
            if image.width * image.height > MAX_PIXELS:
                raise PhotoError("photo_too_large", "Photo trop grande (50 mégapixels au plus).")
            image.load()
            return ImageOps.exif_transpose(image)
    except PhotoError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning) as exc:
        raise PhotoError("unreadable_photo") from exc


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels only, transparency over white (JPEG has no alpha)."""
    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def reencode_photo(data: bytes) -> Attachment:
    """Check, orient, shrink to a long side of at most 1600 px, and write a fresh JPEG."""
    if len(data) > MAX_INPUT_BYTES:
        raise PhotoError("photo_too_large")
    media = sniff_image_type(data)
    if media is None:
        raise PhotoError("unsupported_photo")
    image = _flatten(_decode(data, media))
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # A new image from raw pixels has an empty `info`: no metadata can ride along.
    clean = Image.frombytes("RGB", image.size, image.tobytes())
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return Attachment(
        data=out.getvalue(), media="image/jpeg", width=clean.width, height=clean.height
    )

"""Photo re-encoding: metadata gone, size bounded, orientation applied, types by content."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from maillage.client import photos
from maillage.client.photos import PhotoError, reencode_photo, sniff_image_type

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def _two_halves(width: int, height: int) -> Image.Image:
    """Left half red, right half blue: shows where a rotation put things."""
    image = Image.new("RGB", (width, height), (220, 20, 20))
    image.paste((20, 20, 220), (width // 2, 0, width, height))
    return image


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[MAKE] = "CanaryPhone-7f3a"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 29.5)
    gps[3] = "E"
    gps[4] = (2.0, 17.0, 40.2)
    return _encode(_two_halves(640, 480), "JPEG", exif=exif, icc_profile=b"ICC-CANARY" * 20)


def test_exif_gps_and_icc_are_stripped() -> None:
    source = _jpeg_with_gps()
    assert b"Exif\x00\x00" in source and b"CanaryPhone-7f3a" in source
    with Image.open(io.BytesIO(source)) as original:
        assert original.getexif().get_ifd(GPS_IFD)[2] == (48.0, 51.0, 29.5)

    photo = reencode_photo(source)

    assert b"Exif\x00\x00" not in photo.data
    assert b"CanaryPhone" not in photo.data and b"ICC-CANARY" not in photo.data
    with Image.open(io.BytesIO(photo.data)) as result:
        assert result.format == "JPEG"
        assert dict(result.getexif()) == {}
        assert "icc_profile" not in result.info and "exif" not in result.info
        assert result.size == (640, 480)
    assert (photo.media, photo.width, photo.height) == ("image/jpeg", 640, 480)


def test_long_side_is_limited_to_1600() -> None:
    photo = reencode_photo(_encode(Image.new("RGB", (4000, 3000), (10, 120, 10)), "JPEG"))
    assert (photo.width, photo.height) == (1600, 1200)
    with Image.open(io.BytesIO(photo.data)) as result:
        assert result.size == (1600, 1200)


def test_small_photo_is_not_enlarged() -> None:
    photo = reencode_photo(_encode(Image.new("RGB", (300, 200)), "JPEG"))
    assert (photo.width, photo.height) == (300, 200)


def test_orientation_6_is_applied() -> None:
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # stored sideways: display rotated 90° clockwise
    photo = reencode_photo(_encode(_two_halves(400, 300), "JPEG", exif=exif))
    assert (photo.width, photo.height) == (300, 400)
    with Image.open(io.BytesIO(photo.data)) as result:
        top, bottom = result.getpixel((150, 50)), result.getpixel((150, 350))
        assert ORIENTATION not in result.getexif()
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 150 and top[2] < 80  # red: the left edge is now on top
    assert bottom[2] > 150 and bottom[0] < 80


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_become_jpeg(fmt: str) -> None:
    source = Image.new("RGBA", (2000, 500), (0, 0, 0, 0))
    source.paste((0, 200, 0, 255), (0, 0, 1000, 500))
    photo = reencode_photo(_encode(source, fmt, **({"lossless": True} if fmt == "WEBP" else {})))
    assert (photo.media, photo.width, photo.height) == ("image/jpeg", 1600, 400)
    with Image.open(io.BytesIO(photo.data)) as result:
        assert result.format == "JPEG" and result.mode == "RGB"
        left, right = result.getpixel((100, 200)), result.getpixel((1500, 200))
    assert isinstance(left, tuple) and isinstance(right, tuple)
    assert left[1] > 150 and left[0] < 60  # opaque green kept
    assert min(right) > 230  # transparency over white


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (lambda: _encode(Image.new("RGB", (10, 10)), "GIF"), "unsupported_photo"),
        (lambda: b"Bonjour, ceci n'est pas une photo.", "unsupported_photo"),
        (lambda: b"", "unsupported_photo"),
        (lambda: _jpeg_with_gps()[:400], "unreadable_photo"),
        (lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "unreadable_photo"),
        (lambda: b"RIFF\x00\x00\x00\x00WEBP" + b"\x00" * 32, "unreadable_photo"),
    ],
)
def test_refused_inputs_have_a_french_message(data: object, code: str) -> None:
    with pytest.raises(PhotoError) as caught:
        reencode_photo(data())  # type: ignore[operator]
    assert caught.value.code == code
    assert caught.value.message == photos.PHOTO_MESSAGES[code]


def test_unsupported_message_is_the_spec_s() -> None:
    assert photos.PHOTO_MESSAGES["unsupported_photo"] == (
        "Format de photo non pris en charge (JPEG, PNG ou WebP)."
    )


def test_over_25_mb_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("decoded a photo over the limit")

    monkeypatch.setattr(Image, "open", no_decoding)
    with pytest.raises(PhotoError) as caught:
        reencode_photo(b"\xff\xd8\xff" + bytes(photos.MAX_INPUT_BYTES))
    assert caught.value.code == "photo_too_large"


def test_huge_canvas_is_refused_before_allocation() -> None:
    source = _encode(Image.new("1", (10000, 6000)), "PNG")
    assert len(source) < photos.MAX_INPUT_BYTES
    with pytest.raises(PhotoError) as caught:
        reencode_photo(source)
    assert caught.value.code == "photo_too_large"


@pytest.mark.parametrize(
    ("data", "media"),
    [
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\nrest", "image/png"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x10\x00\x00\x00WAVEfmt ", None),
        (b"GIF89a", None),
        (b"\xff\xd8", None),
    ],
)
def test_sniff(data: bytes, media: str | None) -> None:
    assert sniff_image_type(data) == media

/**
 * photo.ts: what can be checked without a browser's decoder (type by content, size
 * limits, target size). The re-encoding itself (EXIF gone, orientation applied) runs in
 * Chromium in the Playwright test.
 */

import { describe, expect, it } from "vitest";

import {
  MAX_INPUT_BYTES,
  PHOTO_MESSAGES,
  PhotoError,
  checkPhoto,
  reencodePhoto,
  sniffImageType,
  targetSize,
} from "../src/envelope/photo";

const bytes = (...values: number[]) => new Uint8Array(values);
const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PhotoError);
  expect((error as PhotoError).code).toBe(code);
  expect((error as PhotoError).message).toBe(PHOTO_MESSAGES[code as keyof typeof PHOTO_MESSAGES]);
}

describe("the type of a photo, by content", () => {
  it("recognises JPEG, PNG and WebP signatures", () => {
    expect(sniffImageType(bytes(0xff, 0xd8, 0xff, 0xe1, 0, 0))).toBe("image/jpeg");
    expect(sniffImageType(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0))).toBe("image/png");
    expect(sniffImageType(bytes(...ascii("RIFF"), 1, 2, 3, 4, ...ascii("WEBPVP8 ")))).toBe("image/webp");
  });

  it("refuses everything else, including look-alikes and truncated headers", () => {
    for (const sample of [
      bytes(),
      bytes(0xff, 0xd8),
      bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0b),
      bytes(...ascii("RIFF"), 1, 2, 3, 4, ...ascii("WAVE")),
      bytes(...ascii("GIF89a")),
      bytes(0, 0, 0, 0x18, ...ascii("ftypheic")),
      bytes(...ascii("<svg xmlns")),
    ]) {
      expect(sniffImageType(sample)).toBeNull();
    }
  });
});

describe("checks before decoding", () => {
  it("refuses a file that is not a JPEG, PNG or WebP whatever its declared type", async () => {
    await expectCode(checkPhoto(new Blob([new Uint8Array(ascii("GIF89a........"))], { type: "image/jpeg" })), "unsupported_photo");
    await expectCode(reencodePhoto(new Blob(["<html>"], { type: "image/png" })), "unsupported_photo");
  });

  it("refuses above 25 MiB before reading the content", async () => {
    const big = new Blob([new Uint8Array([0xff, 0xd8, 0xff]), new Uint8Array(MAX_INPUT_BYTES)]);
    await expectCode(checkPhoto(big), "photo_too_large");
    const atLimit = new Blob([new Uint8Array([0xff, 0xd8, 0xff]), new Uint8Array(MAX_INPUT_BYTES - 3)]);
    await expect(checkPhoto(atLimit)).resolves.toBe("image/jpeg");
  });

  it("scales the long side down to 1600 px, never up", () => {
    expect(targetSize(4032, 3024)).toEqual({ width: 1600, height: 1200 });
    expect(targetSize(3024, 4032)).toEqual({ width: 1200, height: 1600 });
    expect(targetSize(800, 600)).toEqual({ width: 800, height: 600 });
    expect(targetSize(20000, 5)).toEqual({ width: 1600, height: 1 });
  });
});

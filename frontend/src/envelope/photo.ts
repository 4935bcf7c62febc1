/**
 * Re-encode a photo before sealing it (docs/envelope.md, "Photos"), in the browser.
 *
 * A photo straight from a phone carries its GPS position, the phone's model, sometimes
 * the owner's name; none of it may leave the device, even sealed. So the photo is
 * decoded (EXIF orientation applied), drawn on a canvas and a fresh JPEG is encoded
 * from the pixels alone: no EXIF, GPS, XMP, ICC or comment survives, whatever the input
 * held. Twin of src/maillage/client/photos.py (Pillow).
 */

import type { Attachment } from "./envelope";

export const MAX_INPUT_BYTES = 25 * 1024 * 1024;
export const MAX_SIDE = 1600;
export const JPEG_QUALITY = 0.82;
/** A 25 MB file can still declare a gigapixel canvas. */
export const MAX_PIXELS = 50_000_000;

export type PhotoErrorCode = "unsupported_photo" | "photo_too_large" | "unreadable_photo";

export const PHOTO_MESSAGES: Readonly<Record<PhotoErrorCode, string>> = {
  unsupported_photo: "Format de photo non pris en charge (JPEG, PNG ou WebP).",
  photo_too_large: "Photo trop volumineuse (25 Mo au plus).",
  unreadable_photo: "Photo illisible ou incomplète.",
};

/** A photo cannot be sent: stable `code`, French `message` shown to the sender. */
export class PhotoError extends Error {
  readonly code: PhotoErrorCode;

  constructor(code: PhotoErrorCode, message?: string) {
    super(message ?? PHOTO_MESSAGES[code]);
    this.name = "PhotoError";
    this.code = code;
  }
}

export type PhotoType = "image/jpeg" | "image/png" | "image/webp";

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  return bytes.length >= at + prefix.length && prefix.every((b, i) => bytes[at + i] === b);
}

/** The type by content, never by file name or declared type. */
export function sniffImageType(bytes: Uint8Array): PhotoType | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  const riff = startsWith(bytes, [0x52, 0x49, 0x46, 0x46]);
  if (riff && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) {
    return "image/webp";
  }
  return null;
}

/** The size after scaling the long side down to MAX_SIDE (never up). */
export function targetSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  };
}

/** The checks that need no decoder: size first (before reading), then type by content. */
export async function checkPhoto(blob: Blob): Promise<PhotoType> {
  if (blob.size > MAX_INPUT_BYTES) throw new PhotoError("photo_too_large");
  const head = new Uint8Array(await blob.slice(0, 16).arrayBuffer());
  const type = sniffImageType(head);
  if (type === null) throw new PhotoError("unsupported_photo");
  return type;
}

async function decode(blob: Blob): Promise<ImageBitmap> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: "from-image" });
  } catch {
    throw new PhotoError("unreadable_photo");
  }
  if (bitmap.width * bitmap.height > MAX_PIXELS) {
    bitmap.close();
    throw new PhotoError("photo_too_large", "Photo trop grande (50 mégapixels au plus).");
  }
  return bitmap;
}

/** Pixels only, transparency over white (JPEG has no alpha), encoded as a fresh JPEG. */
async function encode(bitmap: ImageBitmap, width: number, height: number): Promise<Blob> {
  if (typeof OffscreenCanvas !== "undefined") {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new PhotoError("unreadable_photo");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, height);
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(bitmap, 0, 0, width, height);
    return canvas.convertToBlob({ type: "image/jpeg", quality: JPEG_QUALITY });
  }
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new PhotoError("unreadable_photo");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(bitmap, 0, 0, width, height);
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new PhotoError("unreadable_photo"))),
      "image/jpeg",
      JPEG_QUALITY,
    ),
  );
}

/** Check, orient, shrink to a long side of at most 1600 px, and write a fresh JPEG. */
export async function reencodePhoto(blob: Blob): Promise<Attachment> {
  await checkPhoto(blob);
  if (typeof createImageBitmap !== "function") throw new PhotoError("unreadable_photo");
  const bitmap = await decode(blob);
  const size = targetSize(bitmap.width, bitmap.height);
  let jpeg: Blob;
  try {
    jpeg = await encode(bitmap, size.width, size.height);
  } catch (error) {
    if (error instanceof PhotoError) throw error;
    throw new PhotoError("unreadable_photo");
  } finally {
    bitmap.close();
  }
  const data = new Uint8Array(await jpeg.arrayBuffer());
  // A browser that cannot encode JPEG silently falls back to PNG: never send that.
  if (sniffImageType(data) !== "image/jpeg") throw new PhotoError("unreadable_photo");
  return { data, media: "image/jpeg", width: size.width, height: size.height };
}

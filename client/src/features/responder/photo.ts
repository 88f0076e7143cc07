/**
 * Photos are made small on the phone before they are queued: a phone camera's 4–12 MB frame
 * becomes a JPEG of a few hundred kB, which fits the upload limit and a weak mobile link.
 *
 * Re-encoding through a canvas drops the camera's EXIF, yet the server reads the capture time
 * and GPS position from it to compare them with the whistle's site (and then strips it from what
 * others see). So the original's EXIF segment is carried over into the small JPEG, with its
 * orientation set to "upright": the canvas has already turned the pixels.
 */

/** The longest edge of an uploaded photo, in pixels: enough to read a shop sign or a number plate. */
export const PHOTO_MAX_EDGE = 1600;
const JPEG_QUALITY = 0.8;

export async function compressPhoto(file: Blob): Promise<Blob> {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const scale = Math.min(1, PHOTO_MAX_EDGE / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const small = await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob'))), 'image/jpeg', JPEG_QUALITY));
  const exif = exifSegment(new Uint8Array(await file.arrayBuffer()));
  if (!exif) return small;
  return new Blob([withExif(new Uint8Array(await small.arrayBuffer()), exif)], { type: 'image/jpeg' });
}

/** The APP1 "Exif" segment of a JPEG (marker and length included), orientation set upright; null if it has none. */
export function exifSegment(jpeg: Uint8Array): Uint8Array | null {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return null;
  let at = 2;
  while (at + 4 <= jpeg.length && jpeg[at] === 0xff) {
    const marker = jpeg[at + 1]!;
    if (marker === 0xda || marker === 0xd9) break; // start of scan: no more metadata
    const length = (jpeg[at + 2]! << 8) | jpeg[at + 3]!;
    const isExif = marker === 0xe1 && String.fromCharCode(...jpeg.subarray(at + 4, at + 10)) === 'Exif\0\0';
    if (isExif) {
      const segment = jpeg.slice(at, at + 2 + length);
      setUpright(segment);
      return segment;
    }
    at += 2 + length;
  }
  return null;
}

/** Sets the Orientation tag (0x0112) of IFD0 to 1 inside an APP1 Exif segment, in place. */
function setUpright(segment: Uint8Array): void {
  const tiff = 10; // FF E1, length (2), "Exif\0\0"
  const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  if (tiff + 8 > segment.length) return;
  const little = view.getUint16(tiff) === 0x4949;
  const ifd0 = tiff + view.getUint32(tiff + 4, little);
  if (ifd0 + 2 > segment.length) return;
  const count = view.getUint16(ifd0, little);
  for (let i = 0; i < count; i++) {
    const entry = ifd0 + 2 + i * 12;
    if (entry + 12 > segment.length) return;
    if (view.getUint16(entry, little) === 0x0112) view.setUint16(entry + 8, 1, little);
  }
}

/** A JPEG with `exif` as its first segment (a JFIF APP0 header of the canvas's output is dropped). */
export function withExif(jpeg: Uint8Array, exif: Uint8Array): Uint8Array<ArrayBuffer> {
  let rest = 2;
  if (jpeg[2] === 0xff && jpeg[3] === 0xe0) rest = 4 + ((jpeg[4]! << 8) | jpeg[5]!);
  const out = new Uint8Array(2 + exif.length + jpeg.length - rest);
  out.set([0xff, 0xd8], 0);
  out.set(exif, 2);
  out.set(jpeg.subarray(rest), 2 + exif.length);
  return out;
}

/** Base64 of a blob, as the report's JSON carries photos. */
export async function blobToBase64(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

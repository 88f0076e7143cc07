import exifr from 'exifr';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { exifSegment, withExif } from './photo.ts';

describe('carrying a photo’s EXIF into its compressed copy', () => {
  it('keeps the capture time and position, sets the orientation upright, and leaves a JPEG others can decode', async () => {
    const original = await sharp({ create: { width: 120, height: 80, channels: 3, background: '#3a7' } })
      .jpeg()
      .withExif({ IFD0: { Make: 'TestPhone', Orientation: '6' }, IFD2: { DateTimeOriginal: '2026:05:01 09:30:00' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '39/1 54/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '116/1 24/1 0/1' } })
      .toBuffer();
    // What a canvas gives back: pixels turned upright, a JFIF header, no EXIF.
    const small = await sharp({ create: { width: 60, height: 90, channels: 3, background: '#a73' } }).jpeg().toBuffer();
    expect(await exifr.parse(small).catch(() => undefined)).toBeUndefined();

    const segment = exifSegment(new Uint8Array(original));
    expect(segment).not.toBeNull();
    const merged = Buffer.from(withExif(new Uint8Array(small), segment!));

    const tags = (await exifr.parse(merged, { reviveValues: false, translateValues: false })) as Record<string, unknown>;
    expect(tags.Orientation).toBe(1);
    expect(tags.Make).toBe('TestPhone');
    expect(tags.DateTimeOriginal).toBe('2026:05:01 09:30:00');
    const gps = await exifr.gps(merged);
    expect(gps.latitude).toBeCloseTo(39.9, 6);
    expect(gps.longitude).toBeCloseTo(116.4, 6);
    const meta = await sharp(merged).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([60, 90, 1]);
  });

  it('finds nothing in a JPEG without EXIF or in something that is not a JPEG', async () => {
    expect(exifSegment(new Uint8Array(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).jpeg().toBuffer()))).toBeNull();
    expect(exifSegment(new Uint8Array(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer()))).toBeNull();
  });
});

import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import exifr from 'exifr';
import { fileTypeFromBuffer } from 'file-type';
import sharp, { type Sharp } from 'sharp';
import type { FastifyReply } from 'fastify';
import { createReadStream } from 'node:fs';
import { badRequest, HttpError } from '../lib/errors.ts';
import { Binary } from '../lib/response-schemas.ts';

/**
 * Field photos (a whistle's reports, an operation site's before and after): checked, read,
 * stripped and stored in one way for every domain that takes them.
 */

/** Photo types a report may carry, judged by the bytes, never by a name or a declared type. */
const ALLOWED = new Map([
  ['image/jpeg', 'jpg'],
  ['image/png', 'png'],
  ['image/webp', 'webp'],
]);

/** EXIF capture times carry no zone; a phone in the city records Beijing time (UTC+8) unless it says otherwise. */
const CITY_UTC_OFFSET = '+08:00';
/** A photo taken this long before the work began (the whistle was blown, the operation opened), or after it arrived, is flagged. */
const TIME_SLACK_MS = 10 * 60_000;
/** Added to the site's radius before an EXIF position counts as off the site (phone GPS in streets). */
const POSITION_SLACK_M = 50;

export interface ProcessedPhoto {
  file_name: string;
  mime: string;
  bytes: number;
  width: number | null;
  height: number | null;
  exif_taken_at: Date | null;
  exif_lng: number | null;
  exif_lat: number | null;
  /** The stripped image, ready to write. */
  data: Buffer;
}

function exifTime(raw: unknown, offset: unknown): Date | null {
  // "YYYY:MM:DD HH:MM:SS", as stored in DateTimeOriginal.
  if (typeof raw !== 'string') return null;
  const m = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})/.exec(raw);
  if (!m) return null;
  const zone = typeof offset === 'string' && /^[+-]\d{2}:\d{2}$/.test(offset) ? offset : CITY_UTC_OFFSET;
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${zone}`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * Checks one uploaded photo (base64): its type sniffed from the content, its size; reads the
 * EXIF capture time and GPS position; re-encodes it without any metadata (what others see
 * carries no EXIF) and gives it a generated name.
 */
export async function processPhoto(base64: string, index: number, maxBytes: number): Promise<ProcessedPhoto> {
  const field = `body.photos.${index}`;
  const data = Buffer.from(base64.replace(/^data:[^,]*,/, ''), 'base64');
  if (data.length === 0) throw badRequest(`${field} is empty or not base64`, { field, rule: 'base64' });
  if (data.length > maxBytes) {
    throw new HttpError(413, 'payload_too_large', `${field} is ${data.length} bytes; a photo may be at most ${maxBytes} bytes (compress it first)`, { field, rule: 'max_bytes', max: maxBytes });
  }
  const type = await fileTypeFromBuffer(data);
  const ext = type ? ALLOWED.get(type.mime) : undefined;
  if (!type || !ext) {
    throw new HttpError(415, 'unsupported_media_type', `${field} is ${type ? type.mime : 'not an image'}; send a JPEG, PNG or WebP photo`, { field, rule: 'image_type' });
  }
  const raw = (await exifr.parse(data, { gps: true, reviveValues: false, pick: ['DateTimeOriginal', 'CreateDate', 'OffsetTimeOriginal', 'latitude', 'longitude', 'GPSLatitude', 'GPSLongitude', 'GPSLatitudeRef', 'GPSLongitudeRef'] }).catch(() => null)) as Record<string, unknown> | null;
  const gps = (await exifr.gps(data).catch(() => null)) as { latitude?: number; longitude?: number } | null;
  let out: Sharp;
  try {
    // Honour the orientation before the tag is dropped; sharp writes no metadata unless asked.
    out = sharp(data).rotate();
    out = type.mime === 'image/png' ? out.png() : type.mime === 'image/webp' ? out.webp({ quality: 85 }) : out.jpeg({ quality: 85, mozjpeg: true });
  } catch {
    throw badRequest(`${field} could not be decoded as ${type.mime}`, { field, rule: 'decodable' });
  }
  const { data: stripped, info } = await out.toBuffer({ resolveWithObject: true }).catch(() => {
    throw badRequest(`${field} could not be decoded as ${type.mime}`, { field, rule: 'decodable' });
  });
  const lng = gps && Number.isFinite(gps.longitude) ? gps.longitude! : null;
  const lat = gps && Number.isFinite(gps.latitude) ? gps.latitude! : null;
  return {
    file_name: `${randomUUID()}.${ext}`,
    mime: type.mime,
    bytes: stripped.length,
    width: info.width ?? null,
    height: info.height ?? null,
    exif_taken_at: exifTime(raw?.DateTimeOriginal ?? raw?.CreateDate, raw?.OffsetTimeOriginal),
    exif_lng: lng,
    exif_lat: lat,
    data: stripped,
  };
}

/** What a photo is judged against: the site's radius, when the work began, and the domain's name for a photo older than that. */
export interface PhotoSite {
  radius_m: number;
  since: Date;
  /** `taken_before_whistle`, `taken_before_operation`: the issue's name says what it was older than. */
  tooEarly: string;
}

/**
 * What the EXIF says against the site: `position_off_site` when the photo's GPS position is
 * further than the radius (+50 m) from the site, `site.tooEarly` / `taken_after_upload`
 * when its capture time lies outside the span of the work; `no_exif_time` /
 * `no_exif_position` only inform (phones compressing before upload drop EXIF).
 */
export function judgeExif(p: { exif_taken_at: Date | null; exif_distance_m: number | null }, site: PhotoSite, now: Date): { mismatch: boolean; issues: string[] } {
  const issues: string[] = [];
  let mismatch = false;
  if (p.exif_distance_m === null) issues.push('no_exif_position');
  else if (p.exif_distance_m > site.radius_m + POSITION_SLACK_M) {
    issues.push('position_off_site');
    mismatch = true;
  }
  if (!p.exif_taken_at) issues.push('no_exif_time');
  else if (p.exif_taken_at.getTime() < site.since.getTime() - TIME_SLACK_MS) {
    issues.push(site.tooEarly);
    mismatch = true;
  } else if (p.exif_taken_at.getTime() > now.getTime() + TIME_SLACK_MS) {
    issues.push('taken_after_upload');
    mismatch = true;
  }
  return { mismatch, issues };
}

export async function writePhotos(dir: string, photos: ProcessedPhoto[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all(photos.map((p) => writeFile(path.join(dir, p.file_name), p.data, { flag: 'wx', mode: 0o640 })));
}

export async function removePhotos(dir: string, photos: ProcessedPhoto[]): Promise<void> {
  await Promise.all(photos.map((p) => rm(path.join(dir, p.file_name), { force: true })));
}

/** The stored file of a photo; the name was generated here and checked by the table's CHECK, so it cannot leave the folder. */
export function photoPath(dir: string, fileName: string): string {
  if (!/^[0-9a-f-]{36}\.(jpg|png|webp)$/.test(fileName)) throw new Error('not a stored photo name');
  return path.join(dir, fileName);
}

/** The answer of a photo route, for the API document: the image, without its metadata. */
export const PHOTO_RESPONSE = {
  200: {
    content: {
      'image/jpeg': { schema: Binary('the photo, without its EXIF metadata') },
      'image/png': { schema: Binary('the photo, without its metadata') },
      'image/webp': { schema: Binary('the photo, without its metadata') },
    },
  },
} as const;

/** Sends a stored photo as others see it: from outside the web root, private, never sniffed. */
export function sendPhoto(reply: FastifyReply, dir: string, f: { file_name: string; mime: string }): FastifyReply {
  reply.header('content-type', f.mime).header('cache-control', 'private, max-age=86400').header('x-content-type-options', 'nosniff');
  return reply.send(createReadStream(photoPath(dir, f.file_name)));
}

/**
 * Schema building blocks shared by every domain, so that "an id", "a coordinate" or "a date"
 * means the same bounded thing on every route. The validator compiler (`validation.ts`) also
 * applies the same bounds to any integer, string or date-time a route declares without them,
 * so a forgotten bound answers 400 instead of reaching PostgreSQL and answering 500.
 */
import { Type, type IntegerOptions, type NumberOptions, type StringOptions } from '@sinclair/typebox';

/** PostgreSQL `integer` (int4). */
export const INT4_MIN = -2_147_483_648;
export const INT4_MAX = 2_147_483_647;
/** PostgreSQL `bigint` ids, as far as a JavaScript number holds them exactly. */
export const INT8_MAX = Number.MAX_SAFE_INTEGER;

/** The earliest `reported_at` a case may carry: the platform has no records before it. */
export const EARLIEST_REPORT = '2000-01-01T00:00:00Z';
/** How far ahead of this server's clock a client's clock may be. */
export const CLOCK_SKEW_MS = 86_400_000;
/** The window of any other date-time parameter (from/to/as_of, filters): wide, but PostgreSQL-safe. */
export const DATE_WINDOW_DEFAULT = { notBefore: '1970-01-01T00:00:00Z', notAfter: '2100-01-01T00:00:00Z' } as const;

/**
 * Bounds of a date-time, read by the `dateWindow` keyword: `notBefore`/`notAfter` are fixed
 * instants; `notAfterNowMs` is an offset from the server's clock at validation time.
 */
export interface DateWindow {
  notBefore?: string;
  notAfter?: string;
  notAfterNowMs?: number;
}

/** An integer that fits a PostgreSQL `integer` column. */
export const Int4 = (opts: IntegerOptions = {}) => Type.Integer({ minimum: INT4_MIN, maximum: INT4_MAX, ...opts });
/** An integer that fits a PostgreSQL `bigint` column (and a JavaScript number). */
export const Int8 = (opts: IntegerOptions = {}) => Type.Integer({ minimum: -INT8_MAX, maximum: INT8_MAX, ...opts });
/** The id of a row in a `serial`/`integer` key column. */
export const Id = (opts: IntegerOptions = {}) => Type.Integer({ minimum: 1, maximum: INT4_MAX, ...opts });
/** The id of a row in a `bigserial` key column (cases, comments, the event log). */
export const BigId = (opts: IntegerOptions = {}) => Type.Integer({ minimum: 1, maximum: INT8_MAX, ...opts });

/**
 * Text without NUL characters (PostgreSQL `text` cannot hold them). Every string is checked
 * for NUL by the validator anyway; this names the intent and carries the length bound.
 */
export const SafeText = (opts: StringOptions = {}) => Type.String({ ...opts, noNul: true } as StringOptions);

/** An RFC 3339 date-time within a sane window (by default 1970 … 2100). */
export const SaneDate = (window: DateWindow = DATE_WINDOW_DEFAULT, opts: StringOptions = {}) =>
  Type.String({ format: 'date-time', ...opts, dateWindow: window } as StringOptions);

/** When something was reported: not before 2000, not more than a day ahead of this server's clock. */
export const ReportedAt = (opts: StringOptions = {}) => SaneDate({ notBefore: EARLIEST_REPORT, notAfterNowMs: CLOCK_SKEW_MS }, opts);

/** WGS84 longitude and latitude in degrees. */
export const Lng = (opts: NumberOptions = {}) => Type.Number({ minimum: -180, maximum: 180, ...opts });
export const Lat = (opts: NumberOptions = {}) => Type.Number({ minimum: -90, maximum: 90, ...opts });

/** True when a WGS84 point lies on the globe (after a datum conversion, which can push it off). */
export function isValidWgs84(lng: number, lat: number): boolean {
  return Number.isFinite(lng) && Number.isFinite(lat) && lng >= -180 && lng <= 180 && lat >= -90 && lat <= 90;
}

/** A plain decimal integer as it may appear in a path or query string: no sign, hex, exponent or spaces. */
export const PLAIN_INTEGER = /^-?(0|[1-9][0-9]{0,18})$/;
/** A plain decimal number in a path or query string. */
export const PLAIN_NUMBER = /^-?(0|[1-9][0-9]{0,18})(\.[0-9]{1,20})?$/;

/**
 * The request validator: JSON Schema (TypeBox) through Ajv, hardened against hostile input.
 *
 * - Bodies are JSON and are validated as they are: no type coercion, so `null`, `false`,
 *   `" "` or `"0x10"` where a number is expected is refused rather than stored as 0, 1 or 16.
 * - Query strings and path parameters are text by nature and are coerced, but only from a
 *   plain decimal: `0x1`, `+1`, `1e3`, ` 1` or an empty value are refused before coercion.
 * - Any integer declared without bounds gets the bounds of a PostgreSQL `integer`; any
 *   string is refused when it contains a NUL character; any date-time must fall inside a
 *   window (see `schema.ts`). A bound the schema states itself always wins.
 */
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { DATE_WINDOW_DEFAULT, INT4_MAX, INT4_MIN, PLAIN_INTEGER, PLAIN_NUMBER, type DateWindow } from './schema.ts';

// Both packages are CommonJS with a `default` export.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as unknown as typeof AjvModule;
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as typeof addFormatsModule;

type Json = Record<string, unknown>;
type Part = 'body' | 'querystring' | 'params' | 'headers' | string;

function makeAjv(coerce: boolean) {
  const ajv = new Ajv({ coerceTypes: coerce ? 'array' : false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  addFormats(ajv);
  type Check<S> = ((schema: S, data: unknown) => boolean) & { errors?: ErrorObject[] };
  const noNul: Check<boolean> = (enabled, data) => {
    if (!enabled || typeof data !== 'string' || !data.includes('\u0000')) return true;
    noNul.errors = [{ keyword: 'noNul', message: 'must not contain NUL characters', params: {} } as ErrorObject];
    return false;
  };
  ajv.addKeyword({ keyword: 'noNul', type: 'string', schemaType: 'boolean', validate: noNul });
  const dateWindow: Check<DateWindow> = (window, data) => {
    if (typeof data !== 'string') return true;
    const t = Date.parse(data);
    if (Number.isNaN(t)) return true; // the format keyword answers for an unreadable date
    const notBefore = window.notBefore ? Date.parse(window.notBefore) : -Infinity;
    const notAfter = Math.min(
      window.notAfter ? Date.parse(window.notAfter) : Infinity,
      window.notAfterNowMs !== undefined ? Date.now() + window.notAfterNowMs : Infinity,
    );
    if (t >= notBefore && t <= notAfter) return true;
    const upper = Number.isFinite(notAfter) ? new Date(notAfter).toISOString() : 'any time';
    const lower = Number.isFinite(notBefore) ? new Date(notBefore).toISOString() : 'any time';
    dateWindow.errors = [{ keyword: 'dateWindow', message: `must be between ${lower} and ${upper}`, params: window } as unknown as ErrorObject];
    return false;
  };
  ajv.addKeyword({ keyword: 'dateWindow', type: 'string', schemaType: 'object', validate: dateWindow });
  return ajv;
}

const typesOf = (node: Json): string[] => (Array.isArray(node.type) ? (node.type as string[]) : typeof node.type === 'string' ? [node.type] : []);

/** A copy of the schema with the default bounds added where the schema states none. */
export function harden(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(harden);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema as Json)) {
    // `enum`, `const`, `default` and `examples` are data, not schemas.
    out[k] = k === 'enum' || k === 'const' || k === 'default' || k === 'examples' ? v : harden(v);
  }
  const types = typesOf(out);
  if (types.includes('integer')) {
    if (out.minimum === undefined && out.exclusiveMinimum === undefined) out.minimum = INT4_MIN;
    if (out.maximum === undefined && out.exclusiveMaximum === undefined) out.maximum = INT4_MAX;
  }
  if (types.includes('string')) {
    if (out.noNul === undefined) out.noNul = true;
    if (out.format === 'date-time' && out.dateWindow === undefined) out.dateWindow = DATE_WINDOW_DEFAULT;
  }
  return out;
}

/** The top-level properties of a query/params schema that are numbers (or arrays of numbers). */
function numericFields(schema: Json): Map<string, 'integer' | 'number'> {
  const fields = new Map<string, 'integer' | 'number'>();
  const props = (schema.properties ?? {}) as Record<string, Json>;
  for (const [name, prop] of Object.entries(props)) {
    const item = typesOf(prop).includes('array') && prop.items && typeof prop.items === 'object' ? (prop.items as Json) : prop;
    const types = typesOf(item);
    if (types.includes('string')) continue; // a union with text takes any text
    if (types.includes('integer')) fields.set(name, 'integer');
    else if (types.includes('number')) fields.set(name, 'number');
  }
  return fields;
}

/** The validator compiler of the whole app (set on the root instance in `create-server.ts`). */
export function hardenedValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = makeAjv(false);
  const coercing = makeAjv(true);
  return ({ schema, httpPart }: { schema: unknown; httpPart?: Part }) => {
    const hardened = harden(schema) as Json;
    if (httpPart === 'body') return strict.compile(hardened);
    const validate: ValidateFunction = coercing.compile(hardened);
    if (httpPart !== 'querystring' && httpPart !== 'params') return validate;
    const numeric = numericFields(hardened);
    if (!numeric.size) return validate;
    const wrapper = ((data: unknown) => {
      if (data && typeof data === 'object') {
        for (const [name, kind] of numeric) {
          const raw = (data as Record<string, unknown>)[name];
          if (raw === undefined) continue;
          for (const v of Array.isArray(raw) ? raw : [raw]) {
            const text = typeof v === 'string' ? v : String(v);
            if (!(kind === 'integer' ? PLAIN_INTEGER : PLAIN_NUMBER).test(text)) {
              wrapper.errors = [
                {
                  keyword: 'plainDecimal',
                  instancePath: `/${name}`,
                  schemaPath: '#',
                  params: {},
                  message: kind === 'integer' ? 'must be a plain decimal integer (digits only: no sign, hex, exponent or spaces)' : 'must be a plain decimal number',
                },
              ];
              return false;
            }
          }
        }
      }
      const ok = validate(data);
      wrapper.errors = validate.errors ?? null;
      return ok;
    }) as ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
    return wrapper;
  };
}

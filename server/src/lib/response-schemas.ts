import { Type, type TProperties } from '@sinclair/typebox';

/**
 * Response schemas shared by several domains. They document the API (OpenAPI at /docs) and
 * serialise replies; a body whose inner shape is owned by the domain keeps its extra fields
 * (`additionalProperties: true`), so a schema never silently drops data a client reads.
 */
export function Described<T extends TProperties>(description: string, properties: T) {
  // Optional: a missing field must not make the serialiser throw on an answer that is otherwise fine.
  return Type.Partial(Type.Object(properties, { description, additionalProperties: true }));
}

export const GeoJsonFeature = Type.Object(
  {
    type: Type.Literal('Feature'),
    id: Type.Optional(Type.Unknown({ description: 'the row id' })),
    geometry: Type.Unknown({ description: 'GeoJSON geometry, WGS 84 longitude/latitude' }),
    properties: Type.Unknown({ description: 'the attributes' }),
  },
  { additionalProperties: true },
);

export const GeoJsonFeatureCollection = Type.Object(
  { type: Type.Literal('FeatureCollection'), features: Type.Array(GeoJsonFeature) },
  { additionalProperties: true, description: 'GeoJSON FeatureCollection (RFC 7946)' },
);

/** A body that is not JSON (a tile, a heatmap buffer, a spreadsheet). */
export const Binary = (description: string) => Type.String({ format: 'binary', description });

/** An empty answer (204, 304): only a description in the API document. */
export const NoBody = (description: string) => Type.Null({ description });

import { Type } from '@sinclair/typebox';
import { MAX_LIMIT } from './service.ts';

/** OGC API – Features Part 1 documents, as TypeBox schemas (serialisation and the API document). */
export const Link = Type.Object({ href: Type.String(), rel: Type.String(), type: Type.Optional(Type.String()), title: Type.Optional(Type.String()) });

export const LandingPage = Type.Object({ title: Type.String(), description: Type.String(), links: Type.Array(Link) });

export const Conformance = Type.Object({ conformsTo: Type.Array(Type.String()) });

export const CollectionInfo = Type.Object({
  id: Type.String(),
  title: Type.String(),
  description: Type.String(),
  itemType: Type.Literal('feature'),
  crs: Type.Array(Type.String()),
  extent: Type.Object({
    spatial: Type.Object({ bbox: Type.Array(Type.Array(Type.Number(), { minItems: 4, maxItems: 4 })), crs: Type.String() }),
    temporal: Type.Optional(Type.Object({ interval: Type.Array(Type.Array(Type.Union([Type.String(), Type.Null()]), { minItems: 2, maxItems: 2 })), trs: Type.String() })),
  }),
  links: Type.Array(Link),
});

export const Collections = Type.Object({ links: Type.Array(Link), collections: Type.Array(CollectionInfo) });

/** A GeoJSON feature with an integer id (GIS clients use it as the feature id). */
export const Feature = Type.Object({
  type: Type.Literal('Feature'),
  id: Type.Integer(),
  geometry: Type.Unknown({ description: 'GeoJSON geometry (WGS 84 longitude, latitude)' }),
  properties: Type.Record(Type.String(), Type.Unknown()),
  links: Type.Optional(Type.Array(Link)),
});

export const FeatureCollection = Type.Object({
  type: Type.Literal('FeatureCollection'),
  features: Type.Array(Feature),
  links: Type.Array(Link),
  numberMatched: Type.Integer(),
  numberReturned: Type.Integer(),
  timeStamp: Type.String({ format: 'date-time' }),
});

/** Only JSON is offered; `f` is accepted for clients that always send it. */
const Format = Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('geojson')], { description: 'response format (JSON only)' }));

export const PlainQuery = Type.Object({ f: Format }, { additionalProperties: false });

export const ItemsQuery = Type.Object(
  {
    bbox: Type.Optional(Type.String({ maxLength: 200, description: 'minLon,minLat,maxLon,maxLat in CRS84' })),
    datetime: Type.Optional(Type.String({ maxLength: 100, description: 'RFC 3339 instant, or interval start/end with ".." for an open end' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: 10, description: 'features per page' })),
    offset: Type.Optional(Type.Integer({ minimum: 0, description: 'features to skip (the next and prev links carry it)' })),
    f: Format,
  },
  { additionalProperties: false },
);

export const CollectionParams = Type.Object({ collectionId: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });
export const FeatureParams = Type.Object(
  { collectionId: Type.String({ minLength: 1, maxLength: 100 }), featureId: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
export const FixedFeatureParams = Type.Object({ featureId: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });
export const NoParams = Type.Object({}, { additionalProperties: false });

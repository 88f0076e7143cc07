-- Administrative units and departments: the frame every other table hangs on.
-- Geometries are stored in WGS84 (SRID 4326); lengths and areas are computed in a metric
-- CRS or on the geography type.

CREATE TABLE admin_unit (
  id          serial PRIMARY KEY,
  level       text NOT NULL CHECK (level IN ('district', 'subdistrict', 'community', 'grid')),
  code        text NOT NULL UNIQUE,
  name_zh     text NOT NULL,
  name_en     text NOT NULL,
  parent_id   integer REFERENCES admin_unit (id) ON DELETE CASCADE,
  -- true where the boundary or the unit itself was generated rather than taken from a source
  synthetic   boolean NOT NULL DEFAULT false,
  population  integer,
  geom        geometry(MultiPolygon, 4326) NOT NULL,
  CHECK ((level = 'district') = (parent_id IS NULL))
);
CREATE INDEX admin_unit_geom_idx ON admin_unit USING gist (geom);
CREATE INDEX admin_unit_level_idx ON admin_unit (level);
CREATE INDEX admin_unit_parent_idx ON admin_unit (parent_id);

CREATE TABLE department (
  id        serial PRIMARY KEY,
  code      text NOT NULL UNIQUE,
  name_zh   text NOT NULL,
  name_en   text NOT NULL,
  kind      text NOT NULL CHECK (kind IN ('government', 'utility', 'property_company', 'subdistrict')),
  synthetic boolean NOT NULL DEFAULT false
);

-- Facts about the loaded city (which seed generated it, where its data came from).
CREATE TABLE city_meta (
  key   text PRIMARY KEY,
  value jsonb NOT NULL
);

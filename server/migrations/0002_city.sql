-- The physical city: compounds and buildings, the walking network (pgRouting topology),
-- service facilities, pocket parks and old-compound renovation projects.

CREATE TABLE compound (
  id         serial PRIMARY KEY,
  name       text NOT NULL,
  built_year integer,
  synthetic  boolean NOT NULL DEFAULT false,
  geom       geometry(MultiPolygon, 4326)
);
CREATE INDEX compound_geom_idx ON compound USING gist (geom);

CREATE TABLE building (
  id          serial PRIMARY KEY,
  grid_id     integer REFERENCES admin_unit (id) ON DELETE SET NULL,
  compound_id integer REFERENCES compound (id) ON DELETE SET NULL,
  floors      integer NOT NULL CHECK (floors > 0),
  households  integer NOT NULL CHECK (households >= 0),
  population  integer NOT NULL CHECK (population >= 0),
  built_year  integer,
  synthetic   boolean NOT NULL DEFAULT false,
  geom        geometry(Polygon, 4326) NOT NULL,
  -- the footprint's centroid, used for point-based coverage and nearest-building lookups
  centroid    geometry(Point, 4326) GENERATED ALWAYS AS (ST_PointOnSurface(geom)) STORED
);
CREATE INDEX building_geom_idx ON building USING gist (geom);
CREATE INDEX building_centroid_idx ON building USING gist (centroid);
CREATE INDEX building_grid_idx ON building (grid_id);

-- pgRouting topology: edges reference nodes by id; cost_s is the walking time in seconds
-- at the configured default speed, length_m the geodesic length in metres.
CREATE TABLE walk_node (
  id   bigint PRIMARY KEY,
  geom geometry(Point, 4326) NOT NULL
);
CREATE INDEX walk_node_geom_idx ON walk_node USING gist (geom);

CREATE TABLE walk_edge (
  id       bigserial PRIMARY KEY,
  source   bigint NOT NULL REFERENCES walk_node (id),
  target   bigint NOT NULL REFERENCES walk_node (id),
  length_m double precision NOT NULL CHECK (length_m >= 0),
  cost_s   double precision NOT NULL CHECK (cost_s >= 0),
  kind     text NOT NULL CHECK (kind IN ('arterial', 'secondary', 'hutong', 'path', 'footway')),
  name     text,
  synthetic boolean NOT NULL DEFAULT false,
  geom     geometry(LineString, 4326) NOT NULL
);
CREATE INDEX walk_edge_geom_idx ON walk_edge USING gist (geom);
CREATE INDEX walk_edge_source_idx ON walk_edge (source);
CREATE INDEX walk_edge_target_idx ON walk_edge (target);

CREATE TABLE facility (
  id        serial PRIMARY KEY,
  kind      text NOT NULL,
  name      text NOT NULL,
  capacity  integer,
  opened_on date,
  synthetic boolean NOT NULL DEFAULT false,
  geom      geometry(Point, 4326) NOT NULL
);
CREATE INDEX facility_geom_idx ON facility USING gist (geom);
CREATE INDEX facility_kind_idx ON facility (kind);

CREATE TABLE pocket_park (
  id        serial PRIMARY KEY,
  name      text NOT NULL,
  area_m2   double precision NOT NULL,
  opened_on date,
  synthetic boolean NOT NULL DEFAULT false,
  geom      geometry(Polygon, 4326) NOT NULL
);
CREATE INDEX pocket_park_geom_idx ON pocket_park USING gist (geom);

CREATE TABLE renovation_project (
  id                serial PRIMARY KEY,
  compound_id       integer REFERENCES compound (id) ON DELETE SET NULL,
  name              text NOT NULL,
  status            text NOT NULL CHECK (status IN ('planned', 'approved', 'under_construction', 'completed')),
  budget_cny        numeric(14, 2) NOT NULL CHECK (budget_cny >= 0),
  spent_cny         numeric(14, 2) NOT NULL DEFAULT 0 CHECK (spent_cny >= 0),
  progress          double precision NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
  elevators_planned integer NOT NULL DEFAULT 0 CHECK (elevators_planned >= 0),
  elevators_done    integer NOT NULL DEFAULT 0 CHECK (elevators_done >= 0),
  starts_on         date,
  ends_on           date,
  synthetic         boolean NOT NULL DEFAULT false,
  geom              geometry(Point, 4326) NOT NULL
);
CREATE INDEX renovation_project_geom_idx ON renovation_project USING gist (geom);

-- Water bodies and green space for the basemap (lakes of Shichahai, parks).
CREATE TABLE land_cover (
  id        serial PRIMARY KEY,
  kind      text NOT NULL CHECK (kind IN ('water', 'green')),
  name      text,
  synthetic boolean NOT NULL DEFAULT false,
  geom      geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX land_cover_geom_idx ON land_cover USING gist (geom);

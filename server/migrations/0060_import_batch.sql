-- Imports that can be undone and repeated. Every import is a batch; the rows it adds carry
-- the batch and a stable source id (an OpenStreetMap element, a GeoJSON feature id or a
-- content hash) with a hash of their content, so importing the same file again changes
-- nothing. Rows an import replaces or deletes are kept, with their ids, in import_replaced,
-- so the latest batch can be undone exactly.

CREATE TABLE import_batch (
  id          serial PRIMARY KEY,
  file_name   text NOT NULL,
  format      text NOT NULL,
  kind        text NOT NULL,
  file_sha256 text NOT NULL,
  -- where --replace deleted rows: the file's extent, or a named administrative unit
  scope       text,
  scope_geom  geometry(Geometry, 4326),
  summary     jsonb NOT NULL DEFAULT '{}'::jsonb,
  imported_at timestamptz NOT NULL DEFAULT now(),
  undone_at   timestamptz
);

CREATE TABLE import_replaced (
  batch_id   integer NOT NULL REFERENCES import_batch (id) ON DELETE CASCADE,
  table_name text NOT NULL CHECK (table_name IN ('admin_unit', 'walk_node', 'walk_edge', 'building', 'facility', 'pocket_park', 'renovation_project')),
  -- the row as it was, without its geometry (kept exactly in geom) and generated columns
  row        jsonb NOT NULL,
  geom       geometry NOT NULL
);
CREATE INDEX import_replaced_batch_idx ON import_replaced (batch_id, table_name);

ALTER TABLE admin_unit         ADD COLUMN import_batch_id integer REFERENCES import_batch (id);
ALTER TABLE walk_node          ADD COLUMN source_id text, ADD COLUMN import_batch_id integer REFERENCES import_batch (id);
ALTER TABLE walk_edge          ADD COLUMN source_id text, ADD COLUMN source_hash text, ADD COLUMN import_batch_id integer REFERENCES import_batch (id);
ALTER TABLE building           ADD COLUMN source_id text, ADD COLUMN source_hash text, ADD COLUMN import_batch_id integer REFERENCES import_batch (id);
ALTER TABLE facility           ADD COLUMN source_id text, ADD COLUMN source_hash text, ADD COLUMN import_batch_id integer REFERENCES import_batch (id);
ALTER TABLE pocket_park        ADD COLUMN source_id text, ADD COLUMN source_hash text, ADD COLUMN import_batch_id integer REFERENCES import_batch (id);
ALTER TABLE renovation_project ADD COLUMN source_id text, ADD COLUMN source_hash text, ADD COLUMN import_batch_id integer REFERENCES import_batch (id);

CREATE UNIQUE INDEX walk_node_source_id_key          ON walk_node (source_id) WHERE source_id IS NOT NULL;
CREATE UNIQUE INDEX walk_edge_source_id_key          ON walk_edge (source_id) WHERE source_id IS NOT NULL;
CREATE UNIQUE INDEX building_source_id_key           ON building (source_id) WHERE source_id IS NOT NULL;
CREATE UNIQUE INDEX facility_source_id_key           ON facility (source_id) WHERE source_id IS NOT NULL;
CREATE UNIQUE INDEX pocket_park_source_id_key        ON pocket_park (source_id) WHERE source_id IS NOT NULL;
CREATE UNIQUE INDEX renovation_project_source_id_key ON renovation_project (source_id) WHERE source_id IS NOT NULL;

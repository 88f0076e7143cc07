-- Set-based case placement.
--
-- `case_assign` looks up one unit per level with `ST_Covers`. With one GiST index over all
-- levels and the level as a separate filter, the planner intersected the geometry index with
-- the level index for every point (thousands of grid rows per lookup): about 0.25 ms a level
-- a point. One partial GiST index per level answers each lookup from the right polygons only,
-- so placing a batch of points in one INSERT … SELECT costs about 0.1 ms a point, most of it
-- the nearest-building search.
CREATE INDEX admin_unit_district_geom_idx ON admin_unit USING gist (geom) WHERE level = 'district';
CREATE INDEX admin_unit_subdistrict_geom_idx ON admin_unit USING gist (geom) WHERE level = 'subdistrict';
CREATE INDEX admin_unit_community_geom_idx ON admin_unit USING gist (geom) WHERE level = 'community';
CREATE INDEX admin_unit_grid_geom_idx ON admin_unit USING gist (geom) WHERE level = 'grid';

-- Whether each point needs the swapped-coordinates check: a point the district covers is
-- near it, so only the (rare) points outside are measured on the sphere. Returns the
-- 1-based positions of the points that lie far from the district while their swapped twin
-- lies near it.
CREATE FUNCTION case_swapped_points(lng float8[], lat float8[], metres float8)
RETURNS TABLE (i integer)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT t.i::integer
  FROM unnest(lng, lat) WITH ORDINALITY AS t(lng, lat, i)
  WHERE CASE
    WHEN EXISTS (SELECT 1 FROM admin_unit d WHERE d.level = 'district' AND ST_Covers(d.geom, ST_SetSRID(ST_MakePoint(t.lng, t.lat), 4326)))
      THEN false
    ELSE NOT COALESCE((SELECT bool_or(ST_DWithin(d.geom::geography, ST_SetSRID(ST_MakePoint(t.lng, t.lat), 4326)::geography, metres))
                       FROM admin_unit d WHERE d.level = 'district'), true)
     AND COALESCE((SELECT bool_or(ST_DWithin(d.geom::geography, ST_SetSRID(ST_MakePoint(t.lat, t.lng), 4326)::geography, metres))
                   FROM admin_unit d WHERE d.level = 'district'), false)
  END
$$;

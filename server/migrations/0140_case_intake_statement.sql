-- Single-case intake in one statement. Concurrent single POSTs are grouped (the server's
-- micro-batcher) and each group used to cost five round trips (BEGIN, swap check, insert,
-- events, COMMIT); under load the waits between them, not the work, set the rate. This
-- function does the same work as one statement, atomic on its own: it skips points whose
-- coordinates look swapped (reported per item, the others are stored), places and inserts
-- the rest unless (source, external_id) exists, and appends one `case.created` event per new
-- case, with the summary the API answers with. Rows are taken in input order: of two items
-- with one key, the first is stored and the second repeats it.
--
-- The summary's shape is the API's `CaseSummary` (server/src/cases/service.ts, `toSummary`;
-- category names come from the server's taxonomy as arguments) and the rooms are those of
-- `caseRooms`; the intake tests compare both with the stored case read over the API.
-- Timestamps are ISO 8601 in UTC with milliseconds, as JavaScript writes them; updated_at is
-- stored to the millisecond so a later read gives the same string.
-- JIT is off: the placement join is costed high enough to trigger it, and compiling takes
-- longer than the statement runs.
CREATE FUNCTION case_iso(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

CREATE FUNCTION case_intake(
  in_source text[], in_external_id text[], in_category text[], in_name_zh text[], in_name_en text[],
  in_description text[], in_address text[], in_media_url text[], in_contact text[],
  in_lng float8[], in_lat float8[], in_input_crs text[], in_priority text[], in_department_code text[],
  in_reported_at timestamptz[], in_register_due timestamptz[], in_dispatch_due timestamptz[],
  in_accept_due timestamptz[], in_handle_due timestamptz[], in_close_due timestamptz[],
  in_actor text[], in_actor_kind text[], in_actor_id int[], swap_metres float8)
RETURNS TABLE (item integer, swapped boolean, created boolean, summary jsonb)
LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  RETURN QUERY
  WITH t AS (
    SELECT u.*, u.i::integer AS n
    FROM unnest(in_source, in_external_id, in_category, in_name_zh, in_name_en, in_description, in_address, in_media_url, in_contact,
                in_lng, in_lat, in_input_crs, in_priority, in_department_code, in_reported_at,
                in_register_due, in_dispatch_due, in_accept_due, in_handle_due, in_close_due, in_actor, in_actor_kind, in_actor_id)
         WITH ORDINALITY AS u(source, external_id, category, name_zh, name_en, description, address, media_url, contact,
                              lng, lat, input_crs, priority, department_code, reported_at,
                              register_due, dispatch_due, accept_due, handle_due, close_due, actor, actor_kind, actor_id, i)
  ),
  bad AS (SELECT s.i AS n FROM case_swapped_points(in_lng, in_lat, swap_metres) s),
  good AS (SELECT t.* FROM t WHERE t.n NOT IN (SELECT bad.n FROM bad)),
  ins AS (
    INSERT INTO cases AS c (source, external_id, category, description, address, media_url, contact, geom, input_crs, priority, status,
                            out_of_area, subdistrict_id, community_id, grid_id, building_id, department_id, reported_at,
                            register_due_at, dispatch_due_at, accept_due_at, handle_due_at, close_due_at, updated_at)
    SELECT g.source, g.external_id, g.category, g.description, g.address, g.media_url, g.contact::jsonb, p.geom, g.input_crs, g.priority, 'reported',
           a.out_of_area, a.subdistrict_id, a.community_id, a.grid_id, a.building_id, dep.id, g.reported_at,
           g.register_due, g.dispatch_due, g.accept_due, g.handle_due, g.close_due, date_trunc('milliseconds', now())
    FROM good g
    CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(g.lng, g.lat), 4326) AS geom) p
    CROSS JOIN LATERAL case_assign(p.geom) a
    LEFT JOIN department dep ON dep.code = g.department_code
    ORDER BY g.n
    ON CONFLICT (source, external_id) DO NOTHING
    RETURNING c.id, c.source, c.external_id, c.category, c.priority, c.status, c.geom, c.address, c.subdistrict_id, c.community_id,
              c.grid_id, c.building_id, c.department_id, c.out_of_area, c.reported_at, c.updated_at,
              c.register_due_at, c.dispatch_due_at, c.accept_due_at, c.handle_due_at, c.close_due_at, c.satisfaction
  ),
  -- Cases stored before this statement (its own inserts are not visible to it).
  earlier AS (
    SELECT c.id, c.source, c.external_id, c.category, c.priority, c.status, c.geom, c.address, c.subdistrict_id, c.community_id,
           c.grid_id, c.building_id, c.department_id, c.out_of_area, c.reported_at, c.updated_at,
           c.register_due_at, c.dispatch_due_at, c.accept_due_at, c.handle_due_at, c.close_due_at, c.satisfaction
    FROM cases c JOIN (SELECT DISTINCT g.source, g.external_id FROM good g) k ON c.source = k.source AND c.external_id = k.external_id
  ),
  stored AS (SELECT true AS fresh, ins.* FROM ins UNION ALL SELECT false, earlier.* FROM earlier),
  -- The item that created a case: the first of its key.
  first AS (SELECT DISTINCT ON (g.source, g.external_id) g.n, g.source, g.external_id FROM good g ORDER BY g.source, g.external_id, g.n),
  shaped AS (
    SELECT g.n, g.actor, g.actor_kind, g.actor_id,
           (s.fresh AND f.n = g.n) AS is_new,
           jsonb_build_object(
             'id', s.id::int, 'source', s.source, 'external_id', s.external_id, 'category', s.category,
             'category_name_zh', g.name_zh, 'category_name_en', g.name_en,
             'priority', s.priority, 'status', s.status, 'lng', ST_X(s.geom), 'lat', ST_Y(s.geom), 'address', s.address,
             'subdistrict_id', s.subdistrict_id, 'community_id', s.community_id, 'grid_id', s.grid_id,
             'building_id', s.building_id, 'department_id', s.department_id, 'out_of_area', s.out_of_area,
             'reported_at', case_iso(s.reported_at), 'updated_at', case_iso(s.updated_at),
             'due_at', case_iso(case_current_due(s.status, s.register_due_at, s.dispatch_due_at, s.accept_due_at, s.handle_due_at, s.close_due_at)),
             'overdue', COALESCE(case_current_due(s.status, s.register_due_at, s.dispatch_due_at, s.accept_due_at, s.handle_due_at, s.close_due_at) < now(), false),
             'satisfaction', s.satisfaction
           ) AS body,
           jsonb_build_array('wall')
             || CASE WHEN s.subdistrict_id IS NOT NULL THEN jsonb_build_array('subdistrict:' || s.subdistrict_id) ELSE '[]'::jsonb END
             || CASE WHEN s.department_id IS NOT NULL THEN jsonb_build_array('department:' || s.department_id) ELSE '[]'::jsonb END AS rooms
    FROM good g
    JOIN stored s ON s.source = g.source AND s.external_id = g.external_id
    JOIN first f ON f.source = g.source AND f.external_id = g.external_id
  ),
  logged AS (
    INSERT INTO event (actor, type, subject, payload, actor_kind, actor_id)
    SELECT sh.actor, 'case.created', 'case:' || (sh.body->>'id'), jsonb_build_object('case', sh.body, 'rooms', sh.rooms), sh.actor_kind, sh.actor_id
    FROM shaped sh WHERE sh.is_new ORDER BY sh.n
    RETURNING seq
  )
  -- An item neither swapped nor found (its key was committed by another writer while this
  -- statement ran) comes back without a summary; the caller tries it again.
  SELECT t.n, t.n IN (SELECT bad.n FROM bad), COALESCE(sh.is_new, false), sh.body
  FROM t LEFT JOIN shaped sh ON sh.n = t.n
  ORDER BY t.n;
END
$$;

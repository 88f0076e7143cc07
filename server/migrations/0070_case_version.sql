-- Point-in-time case state: the figures "as of" an instant never change afterwards.
--
-- A case row is rewritten as it moves: `return` and `reassign` clear the dispatch and
-- acceptance times, `reopen` clears the handling time, `reject` changes the status. A KPI
-- read off the current row for a past instant would therefore change after the fact. Before
-- any such rewrite, the trigger below keeps the row's previous stage state in `case_version`
-- with the moment it stopped being true (`valid_until`, the transaction time, which is also
-- the stage time the transition writes). Versions are append-only, like the event log.
--
-- The state of a case at instant t is the oldest version with valid_until > t, or the
-- current row when there is none (nothing was rewritten after t); a stage counts at t only
-- if its time is <= t. Rows loaded with a past history (imports, the simulator's backfill)
-- carry their stage times from the start and are never rewritten, so they need no version.

CREATE TABLE case_version (
  id            bigserial PRIMARY KEY,
  case_id       bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  valid_until   timestamptz NOT NULL,
  status        text NOT NULL,
  department_id integer,
  registered_at timestamptz,
  dispatched_at timestamptz,
  accepted_at   timestamptz,
  handled_at    timestamptz,
  verified_at   timestamptz,
  closed_at     timestamptz,
  evaluated_at  timestamptz,
  rejected_at   timestamptz,
  satisfaction  smallint,
  return_count  integer NOT NULL,
  reopen_count  integer NOT NULL
);
CREATE INDEX case_version_case_idx ON case_version (case_id, valid_until, id);

CREATE FUNCTION case_version_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO case_version (case_id, valid_until, status, department_id, registered_at, dispatched_at, accepted_at, handled_at,
                            verified_at, closed_at, evaluated_at, rejected_at, satisfaction, return_count, reopen_count)
  VALUES (OLD.id, now(), OLD.status, OLD.department_id, OLD.registered_at, OLD.dispatched_at, OLD.accepted_at, OLD.handled_at,
          OLD.verified_at, OLD.closed_at, OLD.evaluated_at, OLD.rejected_at, OLD.satisfaction, OLD.return_count, OLD.reopen_count);
  RETURN NULL;
END
$$;
CREATE TRIGGER case_version_keep AFTER UPDATE ON cases FOR EACH ROW
  WHEN ((OLD.status, OLD.department_id, OLD.registered_at, OLD.dispatched_at, OLD.accepted_at, OLD.handled_at, OLD.verified_at,
         OLD.closed_at, OLD.evaluated_at, OLD.rejected_at, OLD.satisfaction)
        IS DISTINCT FROM
        (NEW.status, NEW.department_id, NEW.registered_at, NEW.dispatched_at, NEW.accepted_at, NEW.handled_at, NEW.verified_at,
         NEW.closed_at, NEW.evaluated_at, NEW.rejected_at, NEW.satisfaction))
  EXECUTE FUNCTION case_version_keep();

CREATE FUNCTION case_version_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'case versions are append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER case_version_no_update BEFORE UPDATE ON case_version FOR EACH ROW EXECUTE FUNCTION case_version_append_only();

-- Cases reported in [t0, t), as they stood at t: the one definition every KPI reads.
-- Stage times after t are blanked, so a caller never sees the future of a case; `rejected`
-- is true only if the case had been rejected by t.
CREATE FUNCTION cases_as_of(t0 timestamptz, t timestamptz)
RETURNS TABLE (id bigint, category text, out_of_area boolean, subdistrict_id integer, community_id integer, grid_id integer,
               department_id integer, status text, rejected boolean, reported_at timestamptz, registered_at timestamptz,
               dispatched_at timestamptz, accepted_at timestamptz, handled_at timestamptz, verified_at timestamptz,
               closed_at timestamptz, evaluated_at timestamptz, satisfaction smallint, return_count integer, reopen_count integer,
               register_due_at timestamptz, dispatch_due_at timestamptz, accept_due_at timestamptz, handle_due_at timestamptz,
               close_due_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT c.id, c.category, c.out_of_area, c.subdistrict_id, c.community_id, c.grid_id,
         s.department_id, s.status, COALESCE(s.rejected_at <= t, false),
         c.reported_at,
         CASE WHEN s.registered_at <= t THEN s.registered_at END,
         CASE WHEN s.dispatched_at <= t THEN s.dispatched_at END,
         CASE WHEN s.accepted_at <= t THEN s.accepted_at END,
         CASE WHEN s.handled_at <= t THEN s.handled_at END,
         CASE WHEN s.verified_at <= t THEN s.verified_at END,
         CASE WHEN s.closed_at <= t THEN s.closed_at END,
         CASE WHEN s.evaluated_at <= t THEN s.evaluated_at END,
         CASE WHEN s.evaluated_at <= t THEN s.satisfaction END,
         s.return_count, s.reopen_count,
         c.register_due_at, c.dispatch_due_at, c.accept_due_at, c.handle_due_at, c.close_due_at
  FROM cases c
  LEFT JOIN LATERAL (
    SELECT v.* FROM case_version v WHERE v.case_id = c.id AND v.valid_until > t ORDER BY v.valid_until, v.id LIMIT 1
  ) v ON true
  CROSS JOIN LATERAL (
    SELECT
      CASE WHEN v.id IS NULL THEN c.status ELSE v.status END AS status,
      CASE WHEN v.id IS NULL THEN c.department_id ELSE v.department_id END AS department_id,
      CASE WHEN v.id IS NULL THEN c.registered_at ELSE v.registered_at END AS registered_at,
      CASE WHEN v.id IS NULL THEN c.dispatched_at ELSE v.dispatched_at END AS dispatched_at,
      CASE WHEN v.id IS NULL THEN c.accepted_at ELSE v.accepted_at END AS accepted_at,
      CASE WHEN v.id IS NULL THEN c.handled_at ELSE v.handled_at END AS handled_at,
      CASE WHEN v.id IS NULL THEN c.verified_at ELSE v.verified_at END AS verified_at,
      CASE WHEN v.id IS NULL THEN c.closed_at ELSE v.closed_at END AS closed_at,
      CASE WHEN v.id IS NULL THEN c.evaluated_at ELSE v.evaluated_at END AS evaluated_at,
      CASE WHEN v.id IS NULL THEN c.rejected_at ELSE v.rejected_at END AS rejected_at,
      CASE WHEN v.id IS NULL THEN c.satisfaction ELSE v.satisfaction END AS satisfaction,
      CASE WHEN v.id IS NULL THEN c.return_count ELSE v.return_count END AS return_count,
      CASE WHEN v.id IS NULL THEN c.reopen_count ELSE v.reopen_count END AS reopen_count
  ) s
  WHERE c.reported_at >= t0 AND c.reported_at < t
$$;

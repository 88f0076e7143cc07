-- The event log and cases.
--
-- `event` is the append-only log of every change in the product (cases now; whistles and
-- operations later). Socket pushes are driven from it, and a client that reconnects asks
-- for everything after the last `seq` it saw, so `seq` must grow in COMMIT order, not in
-- the order transactions happened to draw numbers: otherwise a reader that has seen 11
-- could later miss a 10 that committed after it. The BEFORE INSERT trigger therefore takes
-- a transaction-scoped advisory lock before drawing the number; the lock is held until the
-- writer commits, so the next writer draws only after this one is visible. Writers insert
-- their event as the last statement of their transaction to keep the lock short.

CREATE SEQUENCE event_seq_seq;

CREATE TABLE event (
  seq     bigint PRIMARY KEY,
  at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor   text NOT NULL,
  type    text NOT NULL,
  subject text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}'::jsonb
);
ALTER SEQUENCE event_seq_seq OWNED BY event.seq;
CREATE INDEX event_subject_idx ON event (subject, seq);
CREATE INDEX event_type_idx ON event (type, seq);

CREATE FUNCTION event_assign_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(4211080);
  NEW.seq := nextval('event_seq_seq');
  RETURN NEW;
END
$$;
CREATE TRIGGER event_assign_seq BEFORE INSERT ON event FOR EACH ROW EXECUTE FUNCTION event_assign_seq();

-- One notification per statement (a bulk insert is one wake-up); listeners read the rows
-- after the last seq they published, so the payload carries nothing they rely on.
CREATE FUNCTION event_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('cityops_event', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER event_notify AFTER INSERT ON event FOR EACH STATEMENT EXECUTE FUNCTION event_notify();

CREATE FUNCTION event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the event log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER event_no_update BEFORE UPDATE OR DELETE ON event FOR EACH ROW EXECUTE FUNCTION event_append_only();
CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON event FOR EACH STATEMENT EXECUTE FUNCTION event_append_only();

-- A case (plural table name: CASE is an SQL keyword). Stage times are set as the case moves
-- through the loop; due times are fixed at intake from the category's SLA. The admin units
-- and the nearest building are assigned by the database from the point.
CREATE TABLE cases (
  id              bigserial PRIMARY KEY,
  source          text NOT NULL CHECK (source IN ('hotline_12345', 'grid_patrol', 'wechat', 'sensor', 'open311')),
  external_id     text NOT NULL,
  category        text NOT NULL,
  description     text NOT NULL DEFAULT '',
  address         text,
  media_url       text,
  -- reporter contact (Open311 first_name, email, phone …); never sent to screens
  contact         jsonb,
  geom            geometry(Point, 4326) NOT NULL,
  input_crs       text NOT NULL DEFAULT 'WGS84' CHECK (input_crs IN ('WGS84', 'GCJ02', 'BD09')),
  priority        text NOT NULL CHECK (priority IN ('urgent', 'high', 'normal', 'low')),
  status          text NOT NULL CHECK (status IN ('reported', 'registered', 'dispatched', 'accepted', 'handled', 'verified', 'closed', 'evaluated', 'rejected')),
  out_of_area     boolean NOT NULL DEFAULT false,
  subdistrict_id  integer REFERENCES admin_unit (id) ON DELETE SET NULL,
  community_id    integer REFERENCES admin_unit (id) ON DELETE SET NULL,
  grid_id         integer REFERENCES admin_unit (id) ON DELETE SET NULL,
  building_id     integer REFERENCES building (id) ON DELETE SET NULL,
  department_id   integer REFERENCES department (id) ON DELETE SET NULL,
  reported_at     timestamptz NOT NULL,
  registered_at   timestamptz,
  dispatched_at   timestamptz,
  accepted_at     timestamptz,
  handled_at      timestamptz,
  verified_at     timestamptz,
  closed_at       timestamptz,
  evaluated_at    timestamptz,
  rejected_at     timestamptz,
  register_due_at timestamptz NOT NULL,
  dispatch_due_at timestamptz NOT NULL,
  accept_due_at   timestamptz NOT NULL,
  handle_due_at   timestamptz NOT NULL,
  close_due_at    timestamptz NOT NULL,
  satisfaction    smallint CHECK (satisfaction BETWEEN 1 AND 5),
  status_note     text,
  return_count    integer NOT NULL DEFAULT 0,
  reopen_count    integer NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source, external_id)
);
CREATE INDEX cases_geom_idx ON cases USING gist (geom);
CREATE INDEX cases_reported_idx ON cases (reported_at DESC, id DESC);
CREATE INDEX cases_status_idx ON cases (status);
CREATE INDEX cases_subdistrict_idx ON cases (subdistrict_id, reported_at);
CREATE INDEX cases_community_idx ON cases (community_id);
CREATE INDEX cases_grid_idx ON cases (grid_id);
CREATE INDEX cases_department_idx ON cases (department_id, reported_at);
CREATE INDEX cases_category_idx ON cases (category, reported_at);
CREATE INDEX cases_updated_idx ON cases (updated_at);

CREATE TABLE case_comment (
  id         bigserial PRIMARY KEY,
  case_id    bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  actor      text NOT NULL,
  body       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_comment_case_idx ON case_comment (case_id, id);

-- The due time of the stage a case is in now (NULL once it is finished): the one definition
-- of "overdue" shared by the case list, the KPIs and the push.
CREATE FUNCTION case_current_due(status text, register_due timestamptz, dispatch_due timestamptz, accept_due timestamptz,
                                 handle_due timestamptz, close_due timestamptz)
RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE status
    WHEN 'reported' THEN register_due
    WHEN 'registered' THEN dispatch_due
    WHEN 'dispatched' THEN accept_due
    WHEN 'accepted' THEN handle_due
    WHEN 'handled' THEN close_due
    WHEN 'verified' THEN close_due
  END
$$;

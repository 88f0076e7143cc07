-- Whistles (街乡吹哨): a subdistrict summons departments to a place, each must check in
-- (报到) before the deadline. The full workflow (calling, accepting, checking in, grading)
-- builds on these tables; the wall reads the active ones for its arrival board.
-- case_id has no foreign key here: the cases table belongs to another migration, and a
-- whistle may also be blown for a place with no case.

CREATE TABLE whistle (
  id             serial PRIMARY KEY,
  case_id        bigint,
  subdistrict_id integer REFERENCES admin_unit (id) ON DELETE SET NULL,
  title_zh       text NOT NULL,
  title_en       text NOT NULL,
  called_by      text NOT NULL,
  called_at      timestamptz NOT NULL DEFAULT now(),
  deadline_at    timestamptz NOT NULL,
  status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'cancelled')),
  closed_at      timestamptz,
  radius_m       double precision NOT NULL DEFAULT 200 CHECK (radius_m > 0),
  synthetic      boolean NOT NULL DEFAULT false,
  geom           geometry(Point, 4326) NOT NULL,
  CHECK (deadline_at > called_at),
  CHECK ((status = 'open') = (closed_at IS NULL))
);
CREATE INDEX whistle_status_idx ON whistle (status);
CREATE INDEX whistle_geom_idx ON whistle USING gist (geom);

CREATE TABLE whistle_call (
  whistle_id      integer NOT NULL REFERENCES whistle (id) ON DELETE CASCADE,
  department_id   integer NOT NULL REFERENCES department (id),
  accepted_at     timestamptz,
  checked_in_at   timestamptz,
  checked_in_geom geometry(Point, 4326),
  -- set when the check-in is recorded: was it before the whistle's deadline
  on_time         boolean,
  -- the subdistrict's grade of the department for this whistle (0–100), set afterwards
  score           integer CHECK (score BETWEEN 0 AND 100),
  note            text,
  PRIMARY KEY (whistle_id, department_id),
  CHECK ((checked_in_at IS NULL) = (checked_in_geom IS NULL))
);
CREATE INDEX whistle_call_department_idx ON whistle_call (department_id);

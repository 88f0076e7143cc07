-- The whistle workflow (街乡吹哨, 部门报到): each summoned department accepts, checks in on
-- site (every check-in is kept with its distance, accuracy, client and server times),
-- reports with photos, turns missing when the deadline passes without a check-in, and is
-- graded 1–5 when the commander closes the whistle. Missing and escalation are set by a
-- periodic sweep in SQL, so a deadline that passes while no server runs is still noticed.

ALTER TABLE whistle
  ADD COLUMN note             text,
  ADD COLUMN called_by_kind   text,
  ADD COLUMN called_by_id     integer,
  -- when an unanswered whistle goes up to the district; null: never
  ADD COLUMN escalate_at      timestamptz,
  ADD COLUMN escalated_at     timestamptz,
  ADD COLUMN closed_by        text;
CREATE INDEX whistle_open_deadline_idx ON whistle (deadline_at) WHERE status = 'open';
CREATE INDEX whistle_subdistrict_idx ON whistle (subdistrict_id);

ALTER TABLE whistle_call
  ADD COLUMN missing_at           timestamptz,
  ADD COLUMN checked_in_distance_m double precision,
  ADD COLUMN checked_in_accuracy_m double precision,
  ADD COLUMN checked_in_client_at timestamptz,
  -- inside the geofence (radius + reported accuracy capped at 50 m)
  ADD COLUMN inside               boolean,
  ADD COLUMN checked_in_by        text,
  -- the commander's acceptance of a late or outside check-in
  ADD COLUMN flag_accepted_at     timestamptz,
  ADD COLUMN flag_accepted_by     text,
  ADD COLUMN flag_note            text,
  ADD COLUMN accepted_by          text,
  ADD COLUMN accepted_client_at   timestamptz,
  -- the commander's grade when closing (1 = poor … 5 = excellent)
  ADD COLUMN grade                smallint CHECK (grade BETWEEN 1 AND 5),
  ADD COLUMN grade_note           text,
  ADD COLUMN graded_at            timestamptz;

CREATE TABLE whistle_report (
  id            bigserial PRIMARY KEY,
  whistle_id    integer NOT NULL REFERENCES whistle (id) ON DELETE CASCADE,
  department_id integer NOT NULL REFERENCES department (id),
  actor         text NOT NULL,
  note          text NOT NULL,
  client_at     timestamptz,
  server_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX whistle_report_whistle_idx ON whistle_report (whistle_id);

-- A stored photo: the file (EXIF stripped) under a generated name in the upload folder;
-- what its EXIF said is kept here, for the commander to judge.
CREATE TABLE whistle_photo (
  id              bigserial PRIMARY KEY,
  report_id       bigint NOT NULL REFERENCES whistle_report (id) ON DELETE CASCADE,
  file_name       text NOT NULL UNIQUE CHECK (file_name ~ '^[0-9a-f-]{36}\.(jpg|png|webp)$'),
  mime            text NOT NULL,
  bytes           integer NOT NULL,
  width           integer,
  height          integer,
  exif_taken_at   timestamptz,
  exif_lng        double precision,
  exif_lat        double precision,
  exif_distance_m double precision,
  -- the EXIF position is off the site, or the capture time is before the whistle or far from the upload
  exif_mismatch   boolean NOT NULL DEFAULT false,
  exif_issues     text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX whistle_photo_report_idx ON whistle_photo (report_id);

-- Idempotency keys of whistle actions: a repeated key (an offline queue resending) answers
-- the first result again and changes nothing.
CREATE TABLE whistle_action_key (
  key         text PRIMARY KEY CHECK (length(key) BETWEEN 8 AND 100),
  actor       text NOT NULL,
  action      text NOT NULL,
  whistle_id  integer NOT NULL,
  status_code integer NOT NULL,
  result      jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- The state of one summoned department, in one place: list, detail, sweep and ranking read it.
-- A deadline that has passed without a check-in is missing even before the sweep records it.
CREATE FUNCTION whistle_call_state(accepted_at timestamptz, checked_in_at timestamptz, on_time boolean, missing_at timestamptz, deadline_at timestamptz)
RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN checked_in_at IS NOT NULL THEN CASE WHEN on_time THEN 'checked_in_on_time' ELSE 'checked_in_late' END
    WHEN missing_at IS NOT NULL OR deadline_at <= now() THEN 'missing'
    WHEN accepted_at IS NOT NULL THEN 'accepted'
    ELSE 'summoned'
  END
$$;

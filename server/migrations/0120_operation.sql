-- Clearance operations (专项整治, 街巷整治): a commander's operation over an area of its
-- subdistrict, the departments involved, and target sites that each go
-- pending → in_progress → cleared → verified with before and after photos. The workflow
-- (server/src/operations/workflow.ts) writes the stage columns; every change is also an
-- event in the log.

CREATE TABLE operation (
  id             serial PRIMARY KEY,
  subdistrict_id integer NOT NULL REFERENCES admin_unit (id),
  title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  note           text,
  area           geometry(Polygon, 4326) NOT NULL CHECK (ST_IsValid(area)),
  status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  created_by     text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  closed_at      timestamptz,
  closed_by      text,
  close_note     text,
  synthetic      boolean NOT NULL DEFAULT false,
  CHECK ((status = 'open') = (closed_at IS NULL))
);
CREATE INDEX operation_subdistrict_idx ON operation (subdistrict_id);
CREATE INDEX operation_open_idx ON operation (id) WHERE status = 'open';
CREATE INDEX operation_area_idx ON operation USING gist (area);

CREATE TABLE operation_department (
  operation_id  integer NOT NULL REFERENCES operation (id) ON DELETE CASCADE,
  department_id integer NOT NULL REFERENCES department (id),
  PRIMARY KEY (operation_id, department_id)
);
CREATE INDEX operation_department_department_idx ON operation_department (department_id);

CREATE TABLE operation_site (
  id                serial PRIMARY KEY,
  operation_id      integer NOT NULL REFERENCES operation (id) ON DELETE CASCADE,
  label             text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
  geom              geometry(Point, 4326) NOT NULL,
  status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'in_progress', 'cleared', 'verified')),
  -- when the site entered its present status: an after photo counts only if taken since it last went in progress
  status_at         timestamptz NOT NULL DEFAULT now(),
  added_by          text NOT NULL,
  added_at          timestamptz NOT NULL DEFAULT now(),
  started_at        timestamptz,
  started_by        text,
  cleared_at        timestamptz,
  cleared_by        text,
  verified_at       timestamptz,
  verified_by       text,
  sent_back_at      timestamptz,
  sent_back_by      text,
  sent_back_note    text,
  -- the department whose responder last moved the site (null when an admin did)
  department_id     integer REFERENCES department (id)
);
CREATE INDEX operation_site_operation_idx ON operation_site (operation_id);
CREATE INDEX operation_site_geom_idx ON operation_site USING gist (geom);

-- A site's photo: the file (EXIF stripped) under a generated name in the upload folder, what
-- its EXIF said, and whether it shows the site before or after the work.
CREATE TABLE operation_photo (
  id              bigserial PRIMARY KEY,
  site_id         integer NOT NULL REFERENCES operation_site (id) ON DELETE CASCADE,
  stage           text NOT NULL CHECK (stage IN ('before', 'after')),
  uploaded_by     text NOT NULL,
  uploaded_at     timestamptz NOT NULL DEFAULT now(),
  department_id   integer REFERENCES department (id),
  file_name       text NOT NULL UNIQUE CHECK (file_name ~ '^[0-9a-f-]{36}\.(jpg|png|webp)$'),
  mime            text NOT NULL,
  bytes           integer NOT NULL,
  width           integer,
  height          integer,
  exif_taken_at   timestamptz,
  exif_lng        double precision,
  exif_lat        double precision,
  exif_distance_m double precision,
  exif_mismatch   boolean NOT NULL DEFAULT false,
  exif_issues     text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX operation_photo_site_idx ON operation_photo (site_id);

-- The principals: people (app_user with their sessions), wall screens (display_token) and
-- intake systems (api_client). Secrets are stored as SHA-256 digests only: a copy of the
-- database does not hand out sessions, display tokens or keys. Passwords are argon2id hashes.

CREATE TABLE app_user (
  id             serial PRIMARY KEY,
  username       text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9_.-]{1,63}$'),
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  role           text NOT NULL CHECK (role IN ('admin', 'dispatcher', 'commander', 'responder', 'planner', 'viewer')),
  subdistrict_id integer REFERENCES admin_unit (id),
  department_id  integer REFERENCES department (id),
  password_hash  text NOT NULL,
  -- created by the demo seeding; `CITYOPS_DEMO=0` refuses to start while such rows are active
  demo           boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  disabled_at    timestamptz,
  -- a commander acts within one subdistrict, a responder within one department
  CHECK ((role = 'commander') = (subdistrict_id IS NOT NULL)),
  CHECK ((role = 'responder') = (department_id IS NOT NULL))
);

CREATE TABLE display_token (
  id          serial PRIMARY KEY,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_hash  text NOT NULL UNIQUE,
  demo        boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text NOT NULL,
  revoked_at  timestamptz
);

CREATE TABLE api_client (
  id          serial PRIMARY KEY,
  name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{1,63}$'),
  key_hash    text NOT NULL UNIQUE,
  -- the case sources this client may report under (cases.source)
  sources     text[] NOT NULL DEFAULT '{}',
  -- what the client may do, as permission names (cases.create by default)
  permissions text[] NOT NULL DEFAULT '{cases.create}',
  demo        boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text NOT NULL,
  revoked_at  timestamptz
);

-- A session is what a login or an opened wall URL becomes: one cookie. Disabling the user or
-- revoking the display token ends it at once, because every request checks both.
CREATE TABLE auth_session (
  id               bigserial PRIMARY KEY,
  token_hash       text NOT NULL UNIQUE,
  user_id          integer REFERENCES app_user (id) ON DELETE CASCADE,
  display_token_id integer REFERENCES display_token (id) ON DELETE CASCADE,
  created_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  revoked_at       timestamptz,
  address          text,
  CHECK ((user_id IS NULL) <> (display_token_id IS NULL))
);
CREATE INDEX auth_session_user_idx ON auth_session (user_id);
CREATE INDEX auth_session_display_idx ON auth_session (display_token_id);

-- Who did it, in a form that filters: the log's `actor` stays the readable label
-- ("user:alice"), these name the principal's kind and row.
ALTER TABLE event ADD COLUMN actor_kind text, ADD COLUMN actor_id integer;
CREATE INDEX event_actor_idx ON event (actor, seq);
CREATE INDEX event_at_idx ON event (at);

-- The configured district: its names, time zone and whether it was set up from its own
-- data (then the demo city is not generated). One row at most.
CREATE TABLE district_config (
  id          boolean PRIMARY KEY DEFAULT true CHECK (id),
  name_zh     text NOT NULL,
  name_en     text NOT NULL,
  timezone    text NOT NULL,
  code        text NOT NULL,
  configured_at timestamptz NOT NULL DEFAULT now()
);

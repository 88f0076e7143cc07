-- The callback (回访): after a case is closed, the 12345 center calls the citizen back and
-- asks three things — did the unit contact you, is your problem solved, are you satisfied
-- (满意 / 基本满意 / 不满意). Beijing's 接诉即办 rates are taken from these answers, not from
-- the department's own "closed" stamp.
--
-- Append-only like the event log: a case may be called back again (after a reopen, or when
-- the citizen could not be reached); the figures at an instant use the latest callback made
-- by then, so a later one never changes an earlier figure.
CREATE TABLE case_callback (
  id           bigserial PRIMARY KEY,
  case_id      bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  at           timestamptz NOT NULL DEFAULT now(),
  actor        text NOT NULL,
  contacted    boolean NOT NULL,
  solved       boolean NOT NULL,
  satisfaction text CHECK (satisfaction IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
  note         text
);
CREATE INDEX case_callback_case_idx ON case_callback (case_id, at DESC, id DESC);

CREATE FUNCTION case_callback_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'callbacks are append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER case_callback_no_update BEFORE UPDATE ON case_callback FOR EACH ROW EXECUTE FUNCTION case_callback_append_only();

-- A planner adopts a suggested site as a planned facility: it is stored beside the open ones
-- so the wall can show what is coming, but it serves nobody yet, so coverage leaves it out
-- unless a request asks to count it. Who planned it and when is in the event log
-- (`facility.planned`, actor = the principal); the row keeps the status only.
ALTER TABLE facility
  ADD COLUMN status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'planned'));
CREATE INDEX facility_planned_idx ON facility (kind) WHERE status = 'planned';

-- The event log is partitioned by calendar month (Asia/Shanghai), so old months can be
-- dropped whole (`CITYOPS_EVENT_RETENTION_MONTHS`) instead of the log growing without limit.
--
-- Ranges are by `seq`, not by `at`: every read of the log is by `seq` (the publisher's
-- `seq > $1 ORDER BY seq`, catch-up's ranges), and seqs follow commit order, so one month's rows
-- are one contiguous range. Its upper bound is known only when the month ends, so the current
-- month's partition is open-ended (`TO (MAXVALUE)`); at a month's turn the server closes it at
-- the highest seq written and opens the next (`server/src/events/partitions.ts`).
--
-- `seq` was drawn by a BEFORE ROW trigger. A partitioned table routes a row by its partition
-- key before such triggers run, and a trigger may not move a row to another partition, so the
-- number now comes from the column's default: `event_next_seq()` takes the same
-- transaction-scoped lock before `nextval`, which keeps seqs in commit order.
--
-- The existing table becomes the first partition, the open one, for all seqs; attaching it
-- does not scan (its primary key already implies the partition constraint). All of this runs
-- in the migration's transaction under the log's lock, so no writer sees a half-moved log.

SELECT pg_advisory_xact_lock(4211080);
LOCK TABLE event IN ACCESS EXCLUSIVE MODE;

CREATE FUNCTION event_next_seq() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(4211080);
  RETURN nextval('event_seq_seq');
END
$$;

-- The old table, its key, indexes and row triggers become the first partition's.
DROP TRIGGER event_assign_seq ON event;
DROP TRIGGER event_notify ON event;
DROP TRIGGER event_no_update ON event;
DROP FUNCTION event_assign_seq();
ALTER TABLE event RENAME TO event_first;
ALTER TABLE event_first RENAME CONSTRAINT event_pkey TO event_first_pkey;
ALTER INDEX event_subject_idx RENAME TO event_first_subject_idx;
ALTER INDEX event_type_idx RENAME TO event_first_type_idx;
ALTER INDEX event_actor_idx RENAME TO event_first_actor_idx;
ALTER INDEX event_at_idx RENAME TO event_first_at_idx;

CREATE TABLE event (
  seq        bigint NOT NULL DEFAULT event_next_seq(),
  at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor      text NOT NULL,
  type       text NOT NULL,
  subject    text NOT NULL,
  payload    jsonb NOT NULL DEFAULT '{}'::jsonb,
  actor_kind text,
  actor_id   integer,
  PRIMARY KEY (seq)
) PARTITION BY RANGE (seq);
ALTER TABLE event ATTACH PARTITION event_first FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
-- Created on the parent, each matches the first partition's index and adopts it.
CREATE INDEX event_subject_idx ON event (subject, seq);
CREATE INDEX event_type_idx ON event (type, seq);
CREATE INDEX event_actor_idx ON event (actor, seq);
CREATE INDEX event_at_idx ON event (at);
ALTER SEQUENCE event_seq_seq OWNED BY event.seq;

-- Row triggers on the parent are cloned onto every partition, present and future; statement
-- triggers are not: a partition's own TRUNCATE trigger is added when it is created.
CREATE TRIGGER event_notify AFTER INSERT ON event FOR EACH STATEMENT EXECUTE FUNCTION event_notify();
CREATE TRIGGER event_no_update BEFORE UPDATE OR DELETE ON event FOR EACH ROW EXECUTE FUNCTION event_append_only();
CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON event FOR EACH STATEMENT EXECUTE FUNCTION event_append_only();
-- event_first keeps its own event_no_truncate.

-- One row per partition: the month it was opened for (first day, Asia/Shanghai), its first
-- seq, and once closed its last seq and the last month it holds (`through`: the month before
-- the turn that closed it; NULL while open). Retention drops a partition when its `through`
-- ages out. `first_seq` of the oldest row is the horizon: rows below it were dropped, and
-- catch-up from before it cannot be exact.
CREATE TABLE event_month (
  month     date PRIMARY KEY,
  through   date,
  partition text NOT NULL UNIQUE,
  first_seq bigint NOT NULL,
  last_seq  bigint,
  CHECK ((last_seq IS NULL) = (through IS NULL)),
  CHECK (last_seq IS NULL OR last_seq >= first_seq)
);
CREATE UNIQUE INDEX event_month_one_open ON event_month ((true)) WHERE last_seq IS NULL;
-- The first partition holds everything written so far, from the month of its oldest row.
INSERT INTO event_month (month, partition, first_seq)
SELECT date_trunc('month', COALESCE(min(at), now()) AT TIME ZONE 'Asia/Shanghai')::date, 'event_first', 0 FROM event_first;

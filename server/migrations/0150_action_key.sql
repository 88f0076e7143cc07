-- One store of idempotency keys for every action a phone may send twice (its offline outbox
-- resends an action whose answer was lost): whistle actions, and now clearance-operation site
-- actions too. `target` names what the action was on ("whistle:12", "site:7") so a key reused
-- for another request is told apart from a resend. The whistle-only table's keys move here.
CREATE TABLE action_key (
  key         text PRIMARY KEY CHECK (length(key) BETWEEN 8 AND 100),
  actor       text NOT NULL,
  action      text NOT NULL,
  target      text NOT NULL,
  status_code integer NOT NULL,
  result      jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX action_key_target ON action_key (target, created_at);

INSERT INTO action_key (key, actor, action, target, status_code, result, created_at)
SELECT key, actor, action, 'whistle:' || whistle_id, status_code, result, created_at FROM whistle_action_key;
DROP TABLE whistle_action_key;

-- Coverage keeps the walking graph, building snaps and facility snaps in server memory. These
-- version counters tell every server process, with one cheap read per request, when what it
-- holds is stale: any statement that changes the network, buildings or units bumps
-- `network_version`; any change to facilities or pocket parks bumps `facility_version`.
-- Statement-level triggers, so a bulk load bumps once, not once per row.

CREATE TABLE coverage_data_version (
  id               boolean PRIMARY KEY DEFAULT true CHECK (id),
  network_version  bigint NOT NULL DEFAULT 1,
  facility_version bigint NOT NULL DEFAULT 1
);
INSERT INTO coverage_data_version DEFAULT VALUES;

CREATE FUNCTION coverage_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_ARGV[0] = 'network' THEN
    UPDATE coverage_data_version SET network_version = network_version + 1;
  ELSE
    UPDATE coverage_data_version SET facility_version = facility_version + 1;
  END IF;
  PERFORM pg_notify('coverage_data_changed', TG_ARGV[0]);
  RETURN NULL;
END
$$;

CREATE TRIGGER walk_node_coverage_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON walk_node
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_bump_version('network');
CREATE TRIGGER walk_edge_coverage_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON walk_edge
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_bump_version('network');
CREATE TRIGGER building_coverage_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON building
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_bump_version('network');
CREATE TRIGGER admin_unit_coverage_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON admin_unit
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_bump_version('network');
CREATE TRIGGER facility_coverage_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON facility
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_bump_version('facility');
CREATE TRIGGER pocket_park_coverage_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pocket_park
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_bump_version('facility');

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigrationError, migrate } from '../../server/src/db/migrate.ts';
import { scratchDatabase } from '../helpers/db.ts';

describe('migrations', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let client: pg.Client;
  const dir = mkdtempSync(path.join(tmpdir(), 'cityops-migrations-'));

  beforeAll(async () => {
    db = await scratchDatabase('migrate');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  const tables = async () =>
    (await client.query<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")).rows.map(
      (r) => r.t,
    );

  it('applies each file once, in order, and records it', async () => {
    writeFileSync(path.join(dir, '0001_first.sql'), 'CREATE TABLE a (id int);');
    writeFileSync(path.join(dir, '0002_second.sql'), 'CREATE TABLE b (id int);');
    expect((await migrate(client, dir)).applied).toEqual(['0001_first.sql', '0002_second.sql']);
    const again = await migrate(client, dir);
    expect(again.applied).toEqual([]);
    expect(again.skipped).toEqual(['0001_first.sql', '0002_second.sql']);
    const recorded = await client.query('SELECT name FROM schema_migration ORDER BY name');
    expect(recorded.rows.map((r) => r.name)).toEqual(['0001_first.sql', '0002_second.sql']);
  });

  it('rolls a failing file back completely and names it', async () => {
    // The first statement would succeed; the second fails, so neither may remain.
    writeFileSync(path.join(dir, '0003_broken.sql'), 'CREATE TABLE c (id int);\nINSERT INTO no_such_table VALUES (1);');
    const before = await tables();
    const err = await migrate(client, dir).catch((e) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect(err.message).toContain('0003_broken.sql');
    expect(err.message).toContain('no_such_table');
    expect(await tables()).toEqual(before);
    const recorded = await client.query("SELECT 1 FROM schema_migration WHERE name = '0003_broken.sql'");
    expect(recorded.rowCount).toBe(0);
  });

  it('applies the repaired file on the next run', async () => {
    writeFileSync(path.join(dir, '0003_broken.sql'), 'CREATE TABLE c (id int);');
    expect((await migrate(client, dir)).applied).toEqual(['0003_broken.sql']);
    expect(await tables()).toContain('c');
  });

  it('ignores files that are not numbered migrations', async () => {
    writeFileSync(path.join(dir, 'notes.txt'), 'not sql');
    writeFileSync(path.join(dir, 'draft.sql'), 'DROP TABLE a;');
    expect((await migrate(client, dir)).applied).toEqual([]);
    expect(await tables()).toContain('a');
  });
});

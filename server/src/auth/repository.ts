import type pg from 'pg';

type Db = pg.Pool | pg.ClientBase;

export interface UserRow {
  id: number;
  username: string;
  name: string;
  role: string;
  subdistrict_id: number | null;
  department_id: number | null;
  password_hash: string;
  demo: boolean;
  created_at: Date;
  disabled_at: Date | null;
}

const USER_COLUMNS = 'id, username, name, role, subdistrict_id, department_id, password_hash, demo, created_at, disabled_at';

export async function userByUsername(db: Db, username: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM app_user WHERE username = $1`, [username]);
  return rows[0];
}

export async function userById(db: Db, id: number): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM app_user WHERE id = $1`, [id]);
  return rows[0];
}

export async function listUsers(db: Db): Promise<UserRow[]> {
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM app_user ORDER BY id`);
  return rows;
}

export async function insertUser(
  db: Db,
  u: { username: string; name: string; role: string; subdistrict_id: number | null; department_id: number | null; password_hash: string; demo: boolean },
): Promise<UserRow> {
  const { rows } = await db.query<UserRow>(
    `INSERT INTO app_user (username, name, role, subdistrict_id, department_id, password_hash, demo)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${USER_COLUMNS}`,
    [u.username, u.name, u.role, u.subdistrict_id, u.department_id, u.password_hash, u.demo],
  );
  return rows[0]!;
}

export async function setPasswordHash(db: Db, id: number, hash: string): Promise<void> {
  await db.query('UPDATE app_user SET password_hash = $2, password_changed_at = now() WHERE id = $1', [id, hash]);
}

export async function setDisabled(db: Db, id: number, disabled: boolean): Promise<void> {
  await db.query(`UPDATE app_user SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) ELSE NULL END WHERE id = $1`, [id, disabled]);
}

/** Ends every open session of a user or a display token; returns their ids. */
export async function revokeSessionsOf(db: Db, of: { userId?: number; displayTokenId?: number; except?: number | null }): Promise<number[]> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE auth_session SET revoked_at = now()
      WHERE revoked_at IS NULL AND (user_id = $1 OR display_token_id = $2) AND id IS DISTINCT FROM $3 RETURNING id`,
    [of.userId ?? null, of.displayTokenId ?? null, of.except ?? null],
  );
  return rows.map((r) => Number(r.id));
}

export async function insertSession(
  db: Db,
  s: { tokenHash: string; userId: number | null; displayTokenId: number | null; ttlSeconds: number; address: string | null },
): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO auth_session (token_hash, user_id, display_token_id, expires_at, address)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5) RETURNING id`,
    [s.tokenHash, s.userId, s.displayTokenId, s.ttlSeconds, s.address],
  );
  return Number(rows[0]!.id);
}

export async function revokeSession(db: Db, id: number): Promise<void> {
  await db.query('UPDATE auth_session SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
}

/** A live session with whoever is behind it; nothing when expired, revoked, disabled or the token revoked. */
export interface SessionPrincipalRow {
  session_id: string;
  user_id: number | null;
  username: string | null;
  name: string | null;
  role: string | null;
  subdistrict_id: number | null;
  department_id: number | null;
  display_token_id: number | null;
  display_name: string | null;
}

export async function liveSession(db: Db, tokenHash: string): Promise<SessionPrincipalRow | undefined> {
  const { rows } = await db.query<SessionPrincipalRow>(
    `SELECT s.id AS session_id, u.id AS user_id, u.username, u.name, u.role, u.subdistrict_id, u.department_id,
            d.id AS display_token_id, d.name AS display_name
       FROM auth_session s
       LEFT JOIN app_user u ON u.id = s.user_id
       LEFT JOIN display_token d ON d.id = s.display_token_id
      WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
        AND (u.id IS NULL OR u.disabled_at IS NULL)
        AND (d.id IS NULL OR d.revoked_at IS NULL)`,
    [tokenHash],
  );
  return rows[0];
}

export interface DisplayTokenRow {
  id: number;
  name: string;
  demo: boolean;
  created_at: Date;
  created_by: string;
  revoked_at: Date | null;
}

export async function displayTokenByHash(db: Db, tokenHash: string): Promise<DisplayTokenRow | undefined> {
  const { rows } = await db.query<DisplayTokenRow>(
    'SELECT id, name, demo, created_at, created_by, revoked_at FROM display_token WHERE token_hash = $1 AND revoked_at IS NULL',
    [tokenHash],
  );
  return rows[0];
}

export async function insertDisplayToken(db: Db, t: { name: string; tokenHash: string; demo: boolean; createdBy: string }): Promise<DisplayTokenRow> {
  const { rows } = await db.query<DisplayTokenRow>(
    `INSERT INTO display_token (name, token_hash, demo, created_by) VALUES ($1, $2, $3, $4)
     RETURNING id, name, demo, created_at, created_by, revoked_at`,
    [t.name, t.tokenHash, t.demo, t.createdBy],
  );
  return rows[0]!;
}

export async function listDisplayTokens(db: Db): Promise<DisplayTokenRow[]> {
  const { rows } = await db.query<DisplayTokenRow>('SELECT id, name, demo, created_at, created_by, revoked_at FROM display_token ORDER BY id');
  return rows;
}

export async function revokeDisplayToken(db: Db, id: number): Promise<boolean> {
  const r = await db.query('UPDATE display_token SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
  return (r.rowCount ?? 0) > 0;
}

export interface ApiClientRow {
  id: number;
  name: string;
  sources: string[];
  permissions: string[];
  demo: boolean;
  created_at: Date;
  created_by: string;
  revoked_at: Date | null;
}

const CLIENT_COLUMNS = 'id, name, sources, permissions, demo, created_at, created_by, revoked_at';

export async function apiClientByHash(db: Db, keyHash: string): Promise<ApiClientRow | undefined> {
  const { rows } = await db.query<ApiClientRow>(`SELECT ${CLIENT_COLUMNS} FROM api_client WHERE key_hash = $1 AND revoked_at IS NULL`, [keyHash]);
  return rows[0];
}

export async function apiClientByName(db: Db, name: string): Promise<ApiClientRow | undefined> {
  const { rows } = await db.query<ApiClientRow>(`SELECT ${CLIENT_COLUMNS} FROM api_client WHERE name = $1`, [name]);
  return rows[0];
}

export async function insertApiClient(
  db: Db,
  c: { name: string; keyHash: string; sources: string[]; permissions: string[]; demo: boolean; createdBy: string },
): Promise<ApiClientRow> {
  const { rows } = await db.query<ApiClientRow>(
    `INSERT INTO api_client (name, key_hash, sources, permissions, demo, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${CLIENT_COLUMNS}`,
    [c.name, c.keyHash, c.sources, c.permissions, c.demo, c.createdBy],
  );
  return rows[0]!;
}

export async function replaceApiClientKey(db: Db, id: number, keyHash: string): Promise<void> {
  await db.query('UPDATE api_client SET key_hash = $2, revoked_at = NULL WHERE id = $1', [id, keyHash]);
}

export async function listApiClients(db: Db): Promise<ApiClientRow[]> {
  const { rows } = await db.query<ApiClientRow>(`SELECT ${CLIENT_COLUMNS} FROM api_client ORDER BY id`);
  return rows;
}

export async function revokeApiClient(db: Db, id: number): Promise<boolean> {
  const r = await db.query('UPDATE api_client SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
  return (r.rowCount ?? 0) > 0;
}

/** Whether any demo principal is still active (users not disabled, tokens and keys not revoked). */
export async function activeDemoPrincipals(db: Db): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT ((SELECT count(*) FROM app_user WHERE demo AND disabled_at IS NULL)
           + (SELECT count(*) FROM display_token WHERE demo AND revoked_at IS NULL)
           + (SELECT count(*) FROM api_client WHERE demo AND revoked_at IS NULL))::int AS n`,
  );
  return rows[0]!.n;
}

/** Failed logins in the last window, by username and by address: the login throttle reads the audit log itself. */
export async function recentFailedLogins(db: Db, username: string, address: string | null, windowSeconds: number): Promise<{ byUser: number; byAddress: number }> {
  const { rows } = await db.query<{ by_user: number; by_address: number }>(
    `SELECT count(*) FILTER (WHERE subject = $1)::int AS by_user,
            count(*) FILTER (WHERE payload->>'address' = $2)::int AS by_address
       FROM event
      WHERE type = 'auth.login_failed' AND at > now() - make_interval(secs => $3)`,
    [`user:${username}`, address, windowSeconds],
  );
  return { byUser: rows[0]!.by_user, byAddress: rows[0]!.by_address };
}

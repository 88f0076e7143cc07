import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { auditEvents } from '../events/repository.ts';
import { badRequest } from '../lib/errors.ts';
import { clearSessionCookie, ctxOf, setSessionCookie } from './plugin.ts';
import * as service from './service.ts';

const Me = Type.Object({
  kind: Type.String(),
  username: Type.String(),
  name: Type.String(),
  role: Type.String(),
  subdistrict_id: Type.Union([Type.Integer(), Type.Null()]),
  department_id: Type.Union([Type.Integer(), Type.Null()]),
  permissions: Type.Array(Type.String()),
});

const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);
const DisplayBody = Type.Object({ token: Type.String({ minLength: 10, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' }) }, { additionalProperties: false });
const PasswordBody = Type.Object(
  { current_password: Type.String({ minLength: 1, maxLength: 256 }), new_password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);

const UserView = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  name: Type.String(),
  role: Type.String(),
  subdistrict_id: Type.Union([Type.Integer(), Type.Null()]),
  department_id: Type.Union([Type.Integer(), Type.Null()]),
  demo: Type.Boolean(),
  created_at: Type.String(),
  disabled_at: Type.Union([Type.String(), Type.Null()]),
});

const AuditQuery = Type.Object(
  {
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    type: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    before_seq: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
  },
  { additionalProperties: false },
);
const AuditEntry = Type.Object({
  seq: Type.Number(),
  at: Type.String(),
  actor: Type.String(),
  type: Type.String(),
  subject: Type.String(),
  payload: Type.Record(Type.String(), Type.Unknown()),
});

/** A CSV field: quoted when it holds a separator, quote or line break. */
function csvField(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Sign-in, sign-out, who am I, password change; the audit log for administrators. */
export async function authRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Body: Static<typeof LoginBody> }>(
    '/api/auth/login',
    { config: { permission: 'public' }, schema: { body: LoginBody, response: { 200: Me } } },
    async (req, reply) => {
      const s = await service.login(app.db, req.body.username, req.body.password, req.ip, app.config.loginRate);
      setSessionCookie(req, reply, s.token, s.maxAgeSeconds);
      return service.describe(s.principal);
    },
  );

  /** A wall opens its session from the display token in its URL; no login screen on a wall. */
  app.post<{ Body: Static<typeof DisplayBody> }>(
    '/api/auth/display',
    { config: { permission: 'public' }, schema: { body: DisplayBody, response: { 200: Me } } },
    async (req, reply) => {
      const s = await service.openDisplaySession(app.db, req.body.token, req.ip);
      setSessionCookie(req, reply, s.token, s.maxAgeSeconds);
      return service.describe(s.principal);
    },
  );

  app.post('/api/auth/logout', { config: { permission: 'session' }, schema: { response: { 204: Type.Null() } } }, async (req, reply) => {
    await service.logout(ctxOf(app, req));
    clearSessionCookie(reply);
    return reply.status(204).send();
  });

  app.get('/api/auth/me', { config: { permission: 'session' }, schema: { response: { 200: Me } } }, async (req) => service.describe(req.principal));

  app.post<{ Body: Static<typeof PasswordBody> }>(
    '/api/auth/password',
    { config: { permission: 'session' }, schema: { body: PasswordBody, response: { 204: Type.Null() } } },
    async (req, reply) => {
      await service.changeOwnPassword(ctxOf(app, req), req.body.current_password, req.body.new_password);
      return reply.status(204).send();
    },
  );

  app.get('/api/users', { config: { permission: 'users.admin' }, schema: { response: { 200: Type.Array(UserView) } } }, async () => service.listUsers(app.db));

  /** Every change and every sign-in, newest first, filtered; `format=csv` downloads it. */
  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/api/audit',
    { config: { permission: 'audit.read' }, schema: { querystring: AuditQuery, response: { 200: Type.Object({ items: Type.Array(AuditEntry), next_before_seq: Type.Union([Type.Number(), Type.Null()]) }) } } },
    async (req, reply) => {
      const q = req.query;
      if (q.from && q.to && new Date(q.from) >= new Date(q.to)) throw badRequest('querystring.from must be before querystring.to', { field: 'querystring.from' });
      const limit = q.limit ?? 500;
      const rows = await auditEvents(app.db, { actor: q.actor, subject: q.subject, type: q.type, from: q.from, to: q.to, afterSeq: q.before_seq, limit });
      if (q.format === 'csv') {
        const lines = ['seq,at,actor,type,subject,payload', ...rows.map((r) => [r.seq, r.at, r.actor, r.type, r.subject, r.payload].map(csvField).join(','))];
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="cityops-audit.csv"')
          .serializer((s: unknown) => s as string)
          .send('\uFEFF' + lines.join('\r\n') + '\r\n');
      }
      return { items: rows, next_before_seq: rows.length === limit ? rows[rows.length - 1]!.seq : null };
    },
  );
}

import { createContext, useCallback, useContext, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useI18n } from '../../app/i18n.tsx';
import { ViewHeader } from '../../app/ViewHeader.tsx';
import type { MessageKey } from '../../app/i18n.tsx';

/** Who is signed in, as `GET /api/auth/me` says. */
export interface Me {
  kind: string;
  username: string;
  name: string;
  role: string;
  subdistrict_id: number | null;
  department_id: number | null;
  permissions: string[];
}

type State = { status: 'loading' } | { status: 'signed-out'; error?: string } | { status: 'signed-in'; me: Me } | { status: 'unreachable' };

const MeContext = createContext<Me | null>(null);

/**
 * The signed-in principal inside an AuthGate; null while the server cannot be reached (the
 * view then runs on what it cached: a wall keeps showing its last state, marked stale).
 */
export function useMe(): Me | null {
  return useContext(MeContext);
}

class Unreachable extends Error {}

async function fetchMe(): Promise<Me | null> {
  const res = await fetch('/api/auth/me', { headers: { accept: 'application/json' } }).catch(() => {
    throw new Unreachable();
  });
  if (res.status === 401) return null;
  if (res.status >= 500) throw new Unreachable();
  if (!res.ok) throw new Error(`${res.status}`);
  return (await res.json()) as Me;
}

/**
 * A wall carries its display token in its URL (`/wall?display=…`): it is exchanged for a
 * session cookie once per page load, so nobody has to sign in at a wall.
 */
async function openDisplaySession(): Promise<string | undefined> {
  const token = new URLSearchParams(window.location.search).get('display');
  if (!token) return undefined;
  const res = await fetch('/api/auth/display', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) }).catch(() => {
    throw new Unreachable();
  });
  if (res.ok) return undefined;
  if (res.status >= 500) throw new Unreachable();
  const body = (await res.json().catch(() => null)) as { message?: string } | null;
  return body?.message ?? `${res.status}`;
}

export async function signOut(): Promise<void> {
  await fetch('/api/auth/logout', { method: 'POST' });
  window.location.reload();
}

/**
 * Shows its children only to a signed-in principal holding `permission`; otherwise a sign-in
 * form (or, for a wall opened without a valid display token, what to do about it).
 */
export function AuthGate({ permission, titleKey, children }: { permission: string; titleKey: MessageKey; children: ReactNode }) {
  const { t } = useI18n();
  const [state, setState] = useState<State>({ status: 'loading' });
  const load = useCallback(async () => {
    try {
      const displayError = await openDisplaySession();
      const me = await fetchMe();
      setState(me ? { status: 'signed-in', me } : { status: 'signed-out', error: displayError });
    } catch (err) {
      setState(err instanceof Unreachable ? { status: 'unreachable' } : { status: 'signed-out', error: (err as Error).message });
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  // A page opened without a connection (a phone offline) learns who is signed in once the
  // connection returns, so its live connection can follow that principal's rooms.
  useEffect(() => {
    if (state.status !== 'unreachable') return;
    const retry = () => void load();
    window.addEventListener('online', retry);
    return () => window.removeEventListener('online', retry);
  }, [state.status, load]);

  if (state.status === 'loading') return <div className="auth-loading" aria-busy="true" />;
  // The server is down: the view runs on its own cache and says it is stale; the server
  // checks the session again on every request once it is back.
  if (state.status === 'unreachable') return <MeContext.Provider value={null}>{children}</MeContext.Provider>;
  if (state.status === 'signed-in' && state.me.permissions.includes(permission)) {
    return <MeContext.Provider value={state.me}>{children}</MeContext.Provider>;
  }
  return (
    <div className="view view--auth">
      <ViewHeader titleKey={titleKey} />
      <main className="auth-panel">
        {state.status === 'signed-in' ? (
          <p className="auth-error" role="alert">
            {t('auth.forbidden', { name: state.me.name, role: t(`auth.role.${state.me.role}`) })}
          </p>
        ) : null}
        <LoginForm error={state.status === 'signed-out' ? state.error : undefined} onSignedIn={load} />
      </main>
    </div>
  );
}

export function LoginForm({ error, onSignedIn }: { error?: string; onSignedIn: () => void }) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [message, setMessage] = useState<string | undefined>(error);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const res = await fetch('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
      if (res.ok) return onSignedIn();
      setMessage(res.status === 401 ? t('auth.wrong') : res.status === 429 ? t('auth.throttled') : t('auth.failed'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="login-form" onSubmit={(e) => void submit(e)}>
      <h2>{t('auth.title')}</h2>
      <label>
        {t('auth.username')}
        <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required />
      </label>
      <label>
        {t('auth.password')}
        <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
      </label>
      {message ? (
        <p className="auth-error" role="alert">
          {message}
        </p>
      ) : null}
      <button type="submit" disabled={busy}>
        {t('auth.submit')}
      </button>
      <p className="auth-hint">{t('auth.demoHint')}</p>
    </form>
  );
}

/** The signed-in line of the home page: who, and sign out; or how to sign in. */
export function SessionLine() {
  const { t } = useI18n();
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    fetchMe().then(setMe, () => setMe(null));
  }, []);
  if (me === undefined) return null;
  if (!me) return <p className="session-line">{t('auth.demoHint')}</p>;
  return (
    <p className="session-line">
      {t('auth.signedInAs', { name: me.name, role: t(`auth.role.${me.role}`) })}{' '}
      <button type="button" onClick={() => void signOut()}>
        {t('auth.signOut')}
      </button>
    </p>
  );
}

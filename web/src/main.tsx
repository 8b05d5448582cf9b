import { StrictMode, useEffect, useState, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { fetchSession, signinUrl, type SessionInfo } from './api.js';
import { availableViews, signOutAndLeave, useView, ViewNav } from './nav.js';
import { Admin } from './admin/admin.js';
import { Supervisor } from './supervisor.js';
import { Workspace } from './workspace.js';
import './styles.css';

const TENANT_KEY = 'switchboard.tenant';
const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The tenant to sign in to: `?tenant=` in the address, else the one signed in to last time here. */
function knownTenant(): string | undefined {
  const fromUrl = new URLSearchParams(location.search).get('tenant');
  if (fromUrl && TENANT_ID.test(fromUrl)) return fromUrl;
  const stored = localStorage.getItem(TENANT_KEY);
  return stored && TENANT_ID.test(stored) ? stored : undefined;
}

function goSignIn(tenantId: string): void {
  location.assign(signinUrl(tenantId, `${location.pathname}${location.search}`));
}

type Gate = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'choose-tenant' } | { kind: 'redirecting' } | { kind: 'signed-in'; session: SessionInfo };

function App() {
  const [gate, setGate] = useState<Gate>({ kind: 'loading' });

  useEffect(() => {
    fetchSession().then((session) => {
      if (session) {
        localStorage.setItem(TENANT_KEY, session.tenant.id);
        setGate({ kind: 'signed-in', session });
        return;
      }
      const tenant = knownTenant();
      if (tenant) {
        setGate({ kind: 'redirecting' });
        goSignIn(tenant);
      } else {
        setGate({ kind: 'choose-tenant' });
      }
    }, (error: unknown) => setGate({ kind: 'error', message: error instanceof Error ? error.message : String(error) }));
  }, []);

  switch (gate.kind) {
    case 'loading':
      return <p className="center muted">Loading…</p>;
    case 'redirecting':
      return <p className="center muted">Taking you to sign-in…</p>;
    case 'error':
      return <p className="center error" role="alert">Switchboard could not be reached: {gate.message}</p>;
    case 'choose-tenant':
      return <ChooseTenant />;
    case 'signed-in':
      return <SignedIn session={gate.session} />;
  }
}

function SignedIn({ session }: { session: SessionInfo }) {
  const views = availableViews(session);
  const view = useView(views);
  const nav = <ViewNav views={views} current={view} />;
  if (view === 'wallboard') return <ViewShell session={session} nav={nav} render={(onProblem) => <Supervisor session={session} onProblem={onProblem} />} />;
  if (view === 'admin') return <ViewShell session={session} nav={nav} render={(onProblem) => <Admin session={session} onProblem={onProblem} />} />;
  return <Workspace session={session} nav={nav} />;
}

/** The frame of the wallboard and the console: the top bar, the problem banner, the view. */
function ViewShell({ session, nav, render }: { session: SessionInfo; nav: ReactNode; render: (onProblem: (text: string | undefined) => void) => ReactNode }) {
  const [problem, setProblem] = useState<string>();
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Switchboard</span>
        <span className="muted">{session.tenant.name ?? session.tenant.id}</span>
        {nav}
        <span className="spacer" />
        <span className="who">{session.user.displayName}</span>
        <button className="secondary small" type="button" onClick={() => void signOutAndLeave(session.tenant.id)}>Sign out</button>
      </header>
      {problem && <p className="banner error" role="alert">{problem} <button className="link" type="button" onClick={() => setProblem(undefined)}>Dismiss</button></p>}
      {render(setProblem)}
    </div>
  );
}

function ChooseTenant() {
  const [value, setValue] = useState('');
  const valid = TENANT_ID.test(value.trim());
  return (
    <main className="card">
      <h1>Sign in to Switchboard</h1>
      <form onSubmit={(e) => {
        e.preventDefault();
        if (valid) goSignIn(value.trim());
      }}>
        <label htmlFor="tenant">Organisation id</label>
        <input id="tenant" value={value} onChange={(e) => setValue(e.target.value)} placeholder="ten_…" autoFocus required />
        <p className="muted">Your administrator gives it to you (it starts with <code>ten_</code>); next time this browser remembers it.</p>
        <button className="primary" type="submit" disabled={!valid}>Continue</button>
      </form>
    </main>
  );
}

createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);

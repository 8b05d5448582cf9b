import { useEffect, useState } from 'react';
import { signOut, signinUrl, type SessionInfo } from './api.js';

export type View = 'workspace' | 'wallboard' | 'admin';

/** Which views the signed-in person has: the workspace needs an agent record, the wallboard the supervisor's reads, the console configuration rights. */
export function availableViews(session: SessionInfo): View[] {
  const views: View[] = [];
  if (session.user.agentId) views.push('workspace');
  if (session.permissions.includes('reports.read') && session.permissions.includes('queues.read')) views.push('wallboard');
  if (session.permissions.includes('queues.write') && session.permissions.includes('routing.write')) views.push('admin');
  return views;
}

/** The view named by the address's hash (#wallboard), falling back to the first one the person has. */
export function useView(views: readonly View[]): View {
  const read = (): View => {
    const wanted = location.hash.replace(/^#/, '') as View;
    return views.includes(wanted) ? wanted : views[0] ?? 'workspace';
  };
  const [view, setView] = useState<View>(read);
  useEffect(() => {
    const onHash = () => setView(read());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  });
  return view;
}

const LABEL: Record<View, string> = { workspace: 'Workspace', wallboard: 'Wallboard', admin: 'Admin' };

/** Links between the views, shown only when there is more than one. */
export function ViewNav({ views, current }: { views: readonly View[]; current: View }) {
  if (views.length < 2) return null;
  return (
    <nav className="views" aria-label="Views">
      {views.map((v) => <a key={v} href={`#${v}`} aria-current={v === current ? 'page' : undefined}>{LABEL[v]}</a>)}
    </nav>
  );
}

export async function signOutAndLeave(tenantId: string): Promise<void> {
  await signOut().catch(() => undefined);
  location.assign(signinUrl(tenantId, '/app/'));
}

/** The console's people and access: invitations with roles, groups, custom roles and role assignments. */
import { useCallback, useEffect, useState } from 'react';
import { type Agent, type Queue, type RoleAssignment, type User } from '../api.js';
import { type Act, type Api, Panel, ROLES, useLoad } from './shared.js';

export function PeopleAdmin({ api, act, queues, agents }: { api: Api; act: Act; queues: readonly Queue[]; agents: readonly (Agent & { kind: 'human' | 'bot' })[] }) {
  const [users, setUsers] = useState<readonly User[]>([]);
  const [assignments, setAssignments] = useState<readonly RoleAssignment[]>([]);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<(typeof ROLES)[number]>('agent');
  const [scope, setScope] = useState<ReadonlySet<string>>(new Set());
  const [agentId, setAgentId] = useState('');
  const [password, setPassword] = useState('');
  const load = useCallback(async () => {
    const [u, a] = await Promise.all([api.users(), api.roleAssignments()]);
    setUsers(u);
    setAssignments(a);
  }, [api]);
  useLoad(load);
  const queueName = (id: string) => queues.find((q) => q.id === id)?.name ?? id;
  const rolesOf = (userId: string) => assignments.filter((a) => a.principalType === 'user' && a.principalId === userId)
    .map((a) => (a.queueIds ? `${a.role} (${a.queueIds.map(queueName).join(', ')})` : a.role)).join(', ');
  const agentName = (id: string | null) => (id ? agents.find((a) => a.id === id)?.displayName ?? id : '–');
  const linked = new Set(users.map((u) => u.agentId).filter(Boolean));
  return (
    <>
      <Panel title="People">
        <table className="grid">
          <thead><tr><th scope="col">Name</th><th scope="col">E-mail</th><th scope="col">Status</th><th scope="col">Roles</th><th scope="col">Works as agent</th></tr></thead>
          <tbody>
            {users.map((u) => <tr key={u.id}><th scope="row">{u.displayName}</th><td>{u.email}</td><td>{u.status}</td><td>{rolesOf(u.id) || '–'}</td><td>{agentName(u.agentId)}</td></tr>)}
          </tbody>
        </table>
      </Panel>
      <Panel title="Invite someone">
        <form className="form" onSubmit={(e) => {
          e.preventDefault();
          const roles = [{ role, ...(role === 'supervisor' && scope.size > 0 ? { queueIds: [...scope] } : {}) }];
          void act(`${name.trim()} invited`, async () => {
            await api.inviteUser({ email: email.trim(), displayName: name.trim(), agentId: agentId || null, roles, ...(password ? { password } : {}) });
            await load();
          }).then((ok) => {
            if (ok) {
              setEmail('');
              setName('');
              setPassword('');
              setScope(new Set());
            }
          });
        }}>
          <label>Name<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} /></label>
          <label>E-mail<input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required maxLength={254} /></label>
          <label>Role
            <select value={role} onChange={(e) => setRole(e.target.value as (typeof ROLES)[number])}>{ROLES.map((r) => <option key={r} value={r}>{r}</option>)}</select>
          </label>
          {role === 'supervisor' && (
            <fieldset>
              <legend>Supervises (none ticked: every queue)</legend>
              {queues.map((q) => (
                <label key={q.id} className="check"><input type="checkbox" checked={scope.has(q.id)} onChange={() => setScope((s0) => {
                  const next = new Set(s0);
                  if (next.has(q.id)) next.delete(q.id);
                  else next.add(q.id);
                  return next;
                })} />{q.name}</label>
              ))}
            </fieldset>
          )}
          <label>Works as agent
            <select value={agentId} onChange={(e) => setAgentId(e.target.value)}>
              <option value="">No agent record</option>
              {agents.filter((a) => a.kind === 'human' && !linked.has(a.id)).map((a) => <option key={a.id} value={a.id}>{a.displayName}</option>)}
            </select>
          </label>
          <label>Password (optional: without one they sign in with the organisation's SSO)
            <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} minLength={12} maxLength={1024} autoComplete="new-password" />
          </label>
          <button className="primary" type="submit" disabled={!email.trim() || !name.trim()}>Invite</button>
        </form>
      </Panel>
    </>
  );
}

/** Permission checkboxes from the server's catalogue (GET /v1/permissions), for custom roles and app permissions. */
export function PermissionPicker({ api, chosen, onChange, legend }: { api: Api; chosen: ReadonlySet<string>; onChange: (next: ReadonlySet<string>) => void; legend: string }) {
  const [catalogue, setCatalogue] = useState<readonly { name: string; description: string }[]>([]);
  useEffect(() => {
    api.permissions().then((items) => setCatalogue(items.filter((p) => p.name !== 'tenants.manage')), () => undefined);
  }, [api]);
  return (
    <fieldset className="permissions">
      <legend>{legend}</legend>
      {catalogue.map((p) => (
        <label key={p.name} className="check" title={p.description}>
          <input type="checkbox" checked={chosen.has(p.name)} onChange={() => {
            const next = new Set(chosen);
            if (next.has(p.name)) next.delete(p.name);
            else next.add(p.name);
            onChange(next);
          }} /><code>{p.name}</code>
        </label>
      ))}
    </fieldset>
  );
}

export function AccessAdmin({ api, act, queues }: { api: Api; act: Act; queues: readonly Queue[] }) {
  const [groups, setGroups] = useState<readonly { id: string; name: string; memberIds?: string[] }[]>([]);
  const [roles, setRoles] = useState<readonly { id: string; name: string; builtIn: boolean; permissions: string[] }[]>([]);
  const [users, setUsers] = useState<readonly User[]>([]);
  const [assignments, setAssignments] = useState<readonly RoleAssignment[]>([]);
  const [groupName, setGroupName] = useState('');
  const [roleName, setRoleName] = useState('');
  const [rolePermissions, setRolePermissions] = useState<ReadonlySet<string>>(new Set());
  const [grant, setGrant] = useState<{ principal: string; role: string; queueId: string }>({ principal: '', role: '', queueId: '' });
  const [memberFor, setMemberFor] = useState<Record<string, string>>({});
  const load = useCallback(async () => {
    const [g, r, u, a] = await Promise.all([api.groups(), api.roles(), api.users(), api.roleAssignments()]);
    setGroups(g);
    setRoles(r);
    setUsers(u);
    setAssignments(a);
  }, [api]);
  useLoad(load);
  const userName = (id: string) => users.find((u) => u.id === id)?.displayName ?? id;
  const principalName = (a: RoleAssignment) => (a.principalType === 'group' ? `group ${groups.find((g) => g.id === a.principalId)?.name ?? a.principalId}` : a.principalType === 'user' ? userName(a.principalId) : `${a.principalType} ${a.principalId}`);
  const queueName = (id: string) => queues.find((q) => q.id === id)?.name ?? id;
  return (
    <>
      <Panel title="Groups">
        <ul className="replies">
          {groups.length === 0 && <li className="muted small">No groups.</li>}
          {groups.map((g) => (
            <li key={g.id}>
              <strong>{g.name}</strong> <span className="muted small">{(g.memberIds ?? []).map(userName).join(', ') || 'no members'}</span>
              <span className="inline-form">
                <select aria-label={`Add a member to ${g.name}`} value={memberFor[g.id] ?? ''} onChange={(e) => setMemberFor({ ...memberFor, [g.id]: e.target.value })}>
                  <option value="">Add someone…</option>
                  {users.filter((u) => !(g.memberIds ?? []).includes(u.id)).map((u) => <option key={u.id} value={u.id}>{u.displayName}</option>)}
                </select>
                <button className="secondary small" type="button" disabled={!memberFor[g.id]} onClick={() => void act(`${userName(memberFor[g.id]!)} added to ${g.name}`, async () => { await api.addGroupMember(g.id, memberFor[g.id]!); await load(); })}>Add</button>
              </span>
            </li>
          ))}
        </ul>
        <form className="form inline-form" aria-label="New group" onSubmit={(e) => {
          e.preventDefault();
          void act(`Group "${groupName.trim()}" created`, async () => { await api.createGroup(groupName.trim()); await load(); }).then((ok) => ok && setGroupName(''));
        }}>
          <label>New group<input value={groupName} onChange={(e) => setGroupName(e.target.value)} required maxLength={200} /></label>
          <button className="primary" type="submit" disabled={!groupName.trim()}>Create group</button>
        </form>
      </Panel>
      <Panel title="Roles">
        <table className="grid">
          <thead><tr><th scope="col">Role</th><th scope="col">Permissions</th></tr></thead>
          <tbody>{roles.map((r) => <tr key={r.id}><th scope="row">{r.name}{r.builtIn ? '' : ' (custom)'}</th><td className="small">{r.permissions.join(', ')}</td></tr>)}</tbody>
        </table>
        <form className="form" aria-label="New role" onSubmit={(e) => {
          e.preventDefault();
          void act(`Role "${roleName.trim()}" created`, async () => { await api.createRole({ name: roleName.trim(), permissions: [...rolePermissions] }); await load(); }).then((ok) => {
            if (ok) {
              setRoleName('');
              setRolePermissions(new Set());
            }
          });
        }}>
          <label>New role name<input value={roleName} onChange={(e) => setRoleName(e.target.value)} required maxLength={64} /></label>
          <PermissionPicker api={api} chosen={rolePermissions} onChange={setRolePermissions} legend="Its permissions" />
          <button className="primary" type="submit" disabled={!roleName.trim() || rolePermissions.size === 0}>Create role</button>
        </form>
      </Panel>
      <Panel title="Role assignments">
        <ul className="replies">
          {assignments.map((a) => <li key={a.id}>{principalName(a)}: <strong>{roles.find((r) => r.id === a.role)?.name ?? a.role}</strong>{a.queueIds ? ` on ${a.queueIds.map(queueName).join(', ')}` : ''}</li>)}
        </ul>
        <form className="form" aria-label="Assign a role" onSubmit={(e) => {
          e.preventDefault();
          const [principalType, principalId] = grant.principal.split(':') as ['user' | 'group', string];
          const roleLabel = roles.find((r) => r.id === grant.role || (r.builtIn && r.name === grant.role))?.name ?? grant.role;
          void act(`Role "${roleLabel}" assigned`, async () => {
            await api.assignRole({ principalType, principalId, role: grant.role, ...(grant.queueId ? { queueIds: [grant.queueId] } : {}) });
            await load();
          });
        }}>
          <label>To
            <select aria-label="Assign to" value={grant.principal} onChange={(e) => setGrant({ ...grant, principal: e.target.value })} required>
              <option value="">Choose…</option>
              <optgroup label="Groups">{groups.map((g) => <option key={g.id} value={`group:${g.id}`}>{g.name}</option>)}</optgroup>
              <optgroup label="People">{users.map((u) => <option key={u.id} value={`user:${u.id}`}>{u.displayName}</option>)}</optgroup>
            </select>
          </label>
          <label>Role
            <select aria-label="Role to assign" value={grant.role} onChange={(e) => setGrant({ ...grant, role: e.target.value })} required>
              <option value="">Choose…</option>
              {/* Built-in roles are named by their name, custom ones by their id. */}
              {roles.map((r) => <option key={r.id} value={r.builtIn ? r.name : r.id}>{r.name}</option>)}
            </select>
          </label>
          <label>Only on the queue (optional)
            <select aria-label="Only on the queue" value={grant.queueId} onChange={(e) => setGrant({ ...grant, queueId: e.target.value })}>
              <option value="">Every queue</option>
              {queues.map((q) => <option key={q.id} value={q.id}>{q.name}</option>)}
            </select>
          </label>
          <button className="primary" type="submit" disabled={!grant.principal || !grant.role}>Assign</button>
        </form>
      </Panel>
    </>
  );
}

/** The console's applications (registrations and consent), bots and the CRM lookup. */
import { useCallback, useEffect, useState } from 'react';
import { type AppRegistration, type Bot } from '../api.js';
import { PermissionPicker } from './people.js';
import { type Act, type Api, Panel, useLoad } from './shared.js';

export function BotsAdmin({ api, act }: { api: Api; act: Act }) {
  const [bots, setBots] = useState<readonly Bot[]>([]);
  const load = useCallback(async () => setBots(await api.bots()), [api]);
  useLoad(load);
  return (
    <Panel title="Bots">
      <p className="muted small">Bots are registered through the API (docs/BOTS.md). Disconnecting one stops all traffic to it at once and hands its open conversations to people.</p>
      <table className="grid">
        <thead><tr><th scope="col">Bot</th><th scope="col">Role</th><th scope="col">Endpoint</th><th scope="col">State</th><th scope="col">Health</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
        <tbody>
          {bots.length === 0 && <tr><td colSpan={6} className="muted">No bots.</td></tr>}
          {bots.map((b) => (
            <tr key={b.id}>
              <th scope="row">{b.displayName}</th><td>{b.role}</td><td className="small">{b.messagingEndpoint}</td><td>{b.state}</td>
              <td>{b.health.status}{b.health.lastError ? ` (${b.health.lastError})` : ''}</td>
              <td>
                {b.state === 'active'
                  ? <button className="secondary small" type="button" onClick={() => void act(`${b.displayName} disconnected`, async () => { await api.setBotState(b.id, 'disconnected'); await load(); })}>Disconnect</button>
                  : <button className="primary small" type="button" onClick={() => void act(`${b.displayName} connected`, async () => { await api.setBotState(b.id, 'active'); await load(); })}>Connect</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Panel>
  );
}

/** The CRM lookup behind the workspace's customer record: where Switchboard asks, with which header, how long it waits. */
export function IntegrationsAdmin({ api, act }: { api: Api; act: Act }) {
  const [url, setUrl] = useState('');
  const [headerName, setHeaderName] = useState('Authorization');
  const [headerValue, setHeaderValue] = useState('');
  const [timeoutMs, setTimeoutMs] = useState(2000);
  const [stored, setStored] = useState<{ headers: Record<string, string> }>();
  const load = useCallback(async () => {
    try {
      const current = await api.crmLookup();
      setUrl(current.url);
      setTimeoutMs(current.timeoutMs);
      setStored({ headers: current.headers });
    } catch {
      setStored(undefined);
    }
  }, [api]);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <Panel title="CRM lookup">
      <p className="muted small">When an agent opens a conversation, Switchboard posts the customer and the conversation's context to this address and shows the fields it answers (docs/API.md, "CRM lookup"). Redirects are never followed.</p>
      {stored && Object.keys(stored.headers).length > 0 && (
        <p className="small">Stored headers: {Object.entries(stored.headers).map(([k, v]) => `${k}: ${v}`).join(', ')} (values are write-only)</p>
      )}
      <form className="form" aria-label="CRM lookup" onSubmit={(e) => {
        e.preventDefault();
        const headers = headerValue ? { [headerName.trim()]: headerValue } : undefined;
        void act('CRM lookup saved', async () => {
          await api.setCrmLookup({ url: url.trim(), timeoutMs, ...(headers ? { headers } : {}) });
          setHeaderValue('');
          await load();
        });
      }}>
        <label>Address (http or https)<input type="url" value={url} onChange={(e) => setUrl(e.target.value)} required maxLength={2000} placeholder="https://crm.example.com/switchboard" /></label>
        <label>Header name<input value={headerName} onChange={(e) => setHeaderName(e.target.value)} maxLength={100} /></label>
        <label>Header value (leave empty to keep the stored one)<input type="password" value={headerValue} onChange={(e) => setHeaderValue(e.target.value)} maxLength={4000} autoComplete="off" /></label>
        <label>Timeout (milliseconds)<input type="number" min={100} max={5000} value={timeoutMs} onChange={(e) => setTimeoutMs(Number(e.target.value))} /></label>
        <button className="primary" type="submit" disabled={!url.trim()}>Save</button>
      </form>
    </Panel>
  );
}

/** App registrations (with secrets shown once) and the applications this tenant consented to. */
export function AppsAdmin({ api, act }: { api: Api; act: Act }) {
  const [apps, setApps] = useState<readonly AppRegistration[]>([]);
  const [consented, setConsented] = useState<Awaited<ReturnType<Api['enterpriseApps']>>>([]);
  const [name, setName] = useState('');
  const [permissions, setPermissions] = useState<ReadonlySet<string>>(new Set());
  const [secret, setSecret] = useState<{ appId: string; value: string }>();
  const [clientId, setClientId] = useState('');
  const load = useCallback(async () => {
    const [a, c] = await Promise.all([api.apps(), api.enterpriseApps()]);
    setApps(a);
    setConsented(c);
  }, [api]);
  useLoad(load);
  return (
    <>
      <Panel title="App registrations">
        <table className="grid">
          <thead><tr><th scope="col">Application</th><th scope="col">Client id</th><th scope="col">Application permissions</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {apps.length === 0 && <tr><td colSpan={4} className="muted">No applications.</td></tr>}
            {apps.map((a) => (
              <tr key={a.id}>
                <th scope="row">{a.name}</th><td><code>{a.clientId}</code></td><td className="small">{a.applicationPermissions.join(', ') || '–'}</td>
                <td className="row-actions">
                  <button className="secondary small" type="button" onClick={() => void act(`Secret added to ${a.name}`, async () => setSecret({ appId: a.id, value: (await api.addAppSecret(a.id, 'from the console')).value }))}>New secret</button>
                  {!consented.some((c) => c.appId === a.id && !c.revokedAt) && <button className="secondary small" type="button" onClick={() => void act(`Consent granted to ${a.name}`, async () => { await api.grantConsent(a.clientId); await load(); })}>Grant consent</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {secret && <p className="notice" role="status">Client secret for {apps.find((a) => a.id === secret.appId)?.name}, shown only now: <code>{secret.value}</code></p>}
        <form className="form" aria-label="Register an application" onSubmit={(e) => {
          e.preventDefault();
          void act(`Application "${name.trim()}" registered`, async () => { await api.registerApp({ name: name.trim(), applicationPermissions: [...permissions] }); await load(); }).then((ok) => {
            if (ok) {
              setName('');
              setPermissions(new Set());
            }
          });
        }}>
          <label>Name<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} /></label>
          <PermissionPicker api={api} chosen={permissions} onChange={setPermissions} legend="Application permissions it asks for (granted by consent)" />
          <button className="primary" type="submit" disabled={!name.trim()}>Register</button>
        </form>
      </Panel>
      <Panel title="Consented applications">
        <ul className="replies">
          {consented.length === 0 && <li className="muted small">None.</li>}
          {consented.map((c) => (
            <li key={c.id}>
              <strong>{c.app?.name ?? c.appId}</strong> <span className="muted small">{c.applicationPermissions.join(', ') || 'no application permissions'}{c.revokedAt ? ' · revoked' : ''}</span>
              {!c.revokedAt && <button className="link" type="button" onClick={() => void act(`Consent revoked for ${c.app?.name ?? c.appId}`, async () => { await api.revokeConsent(c.id); await load(); })}>Revoke</button>}
            </li>
          ))}
        </ul>
        <form className="form inline-form" aria-label="Consent to an application" onSubmit={(e) => {
          e.preventDefault();
          void act('Consent granted', async () => { await api.grantConsent(clientId.trim()); await load(); }).then((ok) => ok && setClientId(''));
        }}>
          <label>Another organisation's application (client id)<input value={clientId} onChange={(e) => setClientId(e.target.value)} required maxLength={64} /></label>
          <button className="primary" type="submit" disabled={!clientId.trim()}>Grant consent</button>
        </form>
      </Panel>
    </>
  );
}

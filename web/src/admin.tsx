import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
// The rule language's own parser, the one the server runs at save time: the editor points at the
// same line and column the server would refuse, while the administrator types.
import { parseExpression } from '../../src/core/rules/expression-parser.js';
import { ApiError, tenantApi, type Agent, type AppRegistration, type Bot, type Channel, type OperatingHours, type Queue, type RoleAssignment, type SessionInfo, type User } from './api.js';
import { errorText } from './format.js';

type Section = 'queues' | 'routing' | 'channels' | 'skills' | 'people' | 'access' | 'apps' | 'bots' | 'integrations';
const SECTIONS: readonly { id: Section; label: string }[] = [
  { id: 'queues', label: 'Queues' }, { id: 'routing', label: 'Routing rules' }, { id: 'channels', label: 'Channels' }, { id: 'skills', label: 'Skills' },
  { id: 'people', label: 'People' }, { id: 'access', label: 'Groups and roles' }, { id: 'apps', label: 'Applications' },
  { id: 'bots', label: 'Bots' }, { id: 'integrations', label: 'Integrations' },
];
const ROLES = ['agent', 'supervisor', 'administrator', 'reporting-reader'] as const;
const METHODS = ['longest-idle', 'round-robin', 'highest-capacity', 'best-skill', 'custom'] as const;
const CONTEXT_TYPES = ['string', 'number', 'boolean'] as const;

type Api = ReturnType<typeof tenantApi>;
type Act = (what: string, work: () => Promise<unknown>) => Promise<boolean>;

/** A server refusal as the administrator should read it: the message and each listed problem. */
function refusal(error: unknown): string {
  if (error instanceof ApiError && error.problems.length > 0) return `${error.message} ${error.problems.join('; ')}`;
  return errorText(error);
}

/**
 * The admin console: queues and their members, a workstream's classification and route rules
 * (edited with live validation of the rule language and tried with the dry run), web chat
 * channels (the widget snippet and Direct Line secrets), skills, people with their roles, and
 * bots (connected or not, healthy or not). Everything goes through the
 * public API, which validates again and refuses what the person may not do.
 */
export function Admin({ session, onProblem }: { session: SessionInfo; onProblem: (text: string | undefined) => void }) {
  const api = useMemo(() => tenantApi(session.tenant.id), [session.tenant.id]);
  const [section, setSection] = useState<Section>('queues');
  const [queues, setQueues] = useState<readonly Queue[]>([]);
  const [agents, setAgents] = useState<readonly (Agent & { kind: 'human' | 'bot' })[]>([]);
  const [notice, setNotice] = useState<string>();

  const reload = useCallback(async () => {
    const [q, a] = await Promise.all([api.queues(), api.agents()]);
    setQueues(q);
    setAgents(a);
  }, [api]);
  useEffect(() => {
    reload().catch((error: unknown) => onProblem(`Could not load the configuration: ${errorText(error)}`));
  }, [reload, onProblem]);

  const act: Act = async (what, work) => {
    try {
      onProblem(undefined);
      setNotice(undefined);
      await work();
      await reload();
      setNotice(`${what}: done.`);
      return true;
    } catch (error) {
      onProblem(`${what}: ${refusal(error)}`);
      return false;
    }
  };

  return (
    <div className="admin">
      <nav className="admin-nav" aria-label="Settings">
        {SECTIONS.map((s) => (
          <button key={s.id} type="button" className={section === s.id ? 'selected' : ''} aria-current={section === s.id ? 'page' : undefined} onClick={() => setSection(s.id)}>{s.label}</button>
        ))}
      </nav>
      <main className="admin-main">
        {notice && <p className="notice" role="status">{notice}</p>}
        {section === 'queues' && <QueuesAdmin queues={queues} agents={agents} api={api} act={act} />}
        {section === 'routing' && <RoutingAdmin queues={queues} agents={agents} api={api} act={act} onProblem={onProblem} />}
        {section === 'channels' && <ChannelsAdmin api={api} act={act} />}
        {section === 'skills' && <SkillsAdmin api={api} act={act} />}
        {section === 'people' && <PeopleAdmin api={api} act={act} queues={queues} agents={agents} />}
        {section === 'access' && <AccessAdmin api={api} act={act} queues={queues} />}
        {section === 'apps' && <AppsAdmin api={api} act={act} />}
        {section === 'bots' && <BotsAdmin api={api} act={act} />}
        {section === 'integrations' && <IntegrationsAdmin api={api} act={act} />}
      </main>
    </div>
  );
}

function Panel({ title, children }: { title: string; children: ReactNode }) {
  const id = `panel-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return <section className="panel" aria-labelledby={id}><h2 id={id}>{title}</h2>{children}</section>;
}

function QueuesAdmin({ queues, agents, api, act }: { queues: readonly Queue[]; agents: readonly Agent[]; api: Api; act: Act }) {
  const [name, setName] = useState('');
  const [priority, setPriority] = useState(1);
  const [method, setMethod] = useState<(typeof METHODS)[number]>('longest-idle');
  const [members, setMembers] = useState<ReadonlySet<string>>(new Set());
  const names = new Map(agents.map((a) => [a.id, a.displayName]));
  const toggle = (id: string) => setMembers((m) => {
    const next = new Set(m);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return next;
  });
  return (
    <>
      <Panel title="Queues">
        <table className="grid">
          <thead><tr><th scope="col">Name</th><th scope="col">Priority</th><th scope="col">Assignment</th><th scope="col">Members</th></tr></thead>
          <tbody>
            {queues.map((q) => (
              <tr key={q.id}><th scope="row">{q.name}</th><td className="num">{q.priority ?? '–'}</td><td>{q.routing?.assignmentMethod ?? '–'}</td>
                <td>{(q.memberIds ?? []).map((id) => names.get(id) ?? id).join(', ') || '–'}</td></tr>
            ))}
          </tbody>
        </table>
      </Panel>
      {queues.length > 0 && <QueueEditor key={queues.map((q) => q.id).join()} queues={queues} agents={agents} api={api} act={act} />}
      <Panel title="New queue">
        <form className="form" onSubmit={(e) => {
          e.preventDefault();
          void act(`Queue "${name.trim()}" created`, () => api.createQueue({ name: name.trim(), priority, memberIds: [...members], routing: { assignmentMethod: method } })).then((ok) => {
            if (ok) {
              setName('');
              setMembers(new Set());
            }
          });
        }}>
          <label>Name<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} /></label>
          <label>Priority (higher first)<input type="number" min={0} max={100} value={priority} onChange={(e) => setPriority(Number(e.target.value))} /></label>
          <label>Assignment method
            <select value={method} onChange={(e) => setMethod(e.target.value as (typeof METHODS)[number])}>{METHODS.map((m) => <option key={m} value={m}>{m}</option>)}</select>
          </label>
          <fieldset>
            <legend>Members</legend>
            {agents.map((a) => <label key={a.id} className="check"><input type="checkbox" checked={members.has(a.id)} onChange={() => toggle(a.id)} />{a.displayName}</label>)}
          </fieldset>
          <button className="primary" type="submit" disabled={name.trim() === ''}>Create queue</button>
        </form>
      </Panel>
    </>
  );
}

interface RouteRule { readonly id: string; readonly condition: string; readonly queueId?: string; readonly split?: readonly { queueId: string; percent: number }[] }
interface ClassificationRule { readonly id: string; readonly condition: string; readonly set: Record<string, unknown> }
interface Workstream {
  readonly id: string; readonly name: string; readonly version: number; readonly fallbackQueueId: string;
  readonly routeRules: readonly RouteRule[]; readonly classificationRules: readonly ClassificationRule[];
  readonly [field: string]: unknown;
}

/** What PUT takes back: every setting of the workstream as it is, without the server's own fields. */
function settingsOf(ws: Workstream): Record<string, unknown> {
  const { id: _id, tenantId: _t, version: _v, createdAt: _c, updatedAt: _u, ...fields } = ws as Workstream & { tenantId?: unknown; createdAt?: unknown; updatedAt?: unknown };
  return fields;
}

function ConditionInput({ value, onChange, label }: { value: string; onChange: (v: string) => void; label: string }) {
  const parsed = value.trim() === '' ? undefined : parseExpression(value);
  const invalid = parsed !== undefined && !parsed.ok;
  return (
    <label className="condition">{label}
      <textarea rows={2} value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={invalid} aria-describedby="condition-check" spellCheck={false} required />
      <span id="condition-check" className={invalid ? 'check-bad' : 'check-ok'} role="status">
        {parsed === undefined ? 'Write a condition, e.g. customer.tier == "gold" and page.url contains "/billing"'
          : parsed.ok ? `Valid; reads ${parsed.variables.join(', ') || 'no variables'}`
            : `Line ${parsed.error.line}, column ${parsed.error.column}: ${parsed.error.message}`}
      </span>
    </label>
  );
}

function RoutingAdmin({ queues, api, act, onProblem }: { queues: readonly Queue[]; agents: readonly Agent[]; api: Api; act: Act; onProblem: (t: string | undefined) => void }) {
  const [workstreams, setWorkstreams] = useState<readonly Workstream[]>([]);
  const [selected, setSelected] = useState<string>();
  const [ruleId, setRuleId] = useState('');
  const [condition, setCondition] = useState('');
  const [target, setTarget] = useState('');
  const queueName = (id: string | undefined) => (id ? queues.find((q) => q.id === id)?.name ?? id : '–');

  const load = useCallback(async () => {
    const items = (await api.workstreams()) as unknown as Workstream[];
    setWorkstreams(items);
    setSelected((s) => s ?? items[0]?.id);
  }, [api]);
  useEffect(() => {
    load().catch((error: unknown) => onProblem(`Could not load the workstreams: ${errorText(error)}`));
  }, [load, onProblem]);
  const ws = workstreams.find((w) => w.id === selected);

  const save = async (what: string, change: (ws: Workstream) => Record<string, unknown>): Promise<boolean> => {
    if (!ws) return false;
    return act(what, async () => {
      await api.updateWorkstream(ws.id, { ...change(ws), expectedVersion: ws.version });
      await load();
    });
  };
  const valid = parseExpression(condition).ok && ruleId.trim() !== '' && target !== '';

  return (
    <>
      <Panel title="Workstream">
        <label className="inline">Workstream
          <select value={selected ?? ''} onChange={(e) => setSelected(e.target.value)}>{workstreams.map((w) => <option key={w.id} value={w.id}>{w.name}</option>)}</select>
        </label>
        {ws && <p className="muted small">Version {ws.version} · no rule matches: <strong>{queueName(ws.fallbackQueueId)}</strong> (the fallback queue)</p>}
      </Panel>
      {ws && (
        <Panel title="Route-to-queue rules">
          <p className="muted small">The first rule whose condition holds picks the queue.</p>
          <table className="grid">
            <thead><tr><th scope="col">#</th><th scope="col">Rule</th><th scope="col">Condition</th><th scope="col">Queue</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {ws.routeRules.length === 0 && <tr><td colSpan={5} className="muted">No rules: everything goes to the fallback queue.</td></tr>}
              {ws.routeRules.map((r, i) => (
                <tr key={r.id}>
                  <td className="num">{i + 1}</td><th scope="row">{r.id}</th><td><code>{r.condition}</code></td>
                  <td>{r.queueId ? queueName(r.queueId) : (r.split ?? []).map((s) => `${s.percent}% ${queueName(s.queueId)}`).join(', ')}</td>
                  <td className="row-actions">
                    <button className="secondary small" type="button" disabled={i === 0} aria-label={`Move ${r.id} up`}
                      onClick={() => void save(`Rule "${r.id}" moved up`, (w) => ({ ...settingsOf(w), routeRules: swap(w.routeRules, i, i - 1) }))}>↑</button>
                    <button className="secondary small" type="button" aria-label={`Delete ${r.id}`}
                      onClick={() => void save(`Rule "${r.id}" deleted`, (w) => ({ ...settingsOf(w), routeRules: w.routeRules.filter((x) => x.id !== r.id) }))}>Delete</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <form className="form" aria-label="New route rule" onSubmit={(e) => {
            e.preventDefault();
            if (!valid) return;
            void save(`Rule "${ruleId.trim()}" added`, (w) => ({ ...settingsOf(w), routeRules: [...w.routeRules, { id: ruleId.trim(), condition, queueId: target }] })).then((ok) => {
              if (ok) {
                setRuleId('');
                setCondition('');
              }
            });
          }}>
            <h3>New rule</h3>
            <label>Rule id<input value={ruleId} onChange={(e) => setRuleId(e.target.value)} maxLength={64} required placeholder="gold-customers" /></label>
            <ConditionInput value={condition} onChange={setCondition} label="Condition" />
            <label>Send to queue
              <select value={target} onChange={(e) => setTarget(e.target.value)} required>
                <option value="">Choose…</option>
                {queues.map((q) => <option key={q.id} value={q.id}>{q.name}</option>)}
              </select>
            </label>
            <button className="primary" type="submit" disabled={!valid}>Add rule</button>
          </form>
        </Panel>
      )}
      {ws && <DryRun api={api} workstreamId={ws.id} queueName={queueName} />}
      {ws && <ClassificationRules ws={ws} save={save} />}
      {ws && <WorkstreamSettings key={`${ws.id}:${ws.version}`} ws={ws} queues={queues} save={save} />}
    </>
  );
}

function swap<T>(items: readonly T[], a: number, b: number): T[] {
  const next = [...items];
  const first = next[a]!;
  next[a] = next[b]!;
  next[b] = first;
  return next;
}

interface SimulationResult {
  readonly queueId: string;
  readonly agentId: string | null;
  readonly assignmentMethod: string | null;
  readonly eligibleCount: number;
  readonly ineligibleByReason: Record<string, number>;
  readonly plan: { readonly matchedRule: string | null; readonly priority: number };
}

/** The dry run: a context tried against the live rules and agents; nothing is written. */
function DryRun({ api, workstreamId, queueName }: { api: Api; workstreamId: string; queueName: (id: string | undefined) => string }) {
  const [rows, setRows] = useState<{ name: string; type: (typeof CONTEXT_TYPES)[number]; value: string }[]>([{ name: 'customer.tier', type: 'string', value: 'gold' }]);
  const [result, setResult] = useState<SimulationResult>();
  const [problem, setProblem] = useState<string>();
  const typed = (r: (typeof rows)[number]): unknown => (r.type === 'number' ? Number(r.value) : r.type === 'boolean' ? r.value === 'true' : r.value);
  const run = async () => {
    setProblem(undefined);
    try {
      setResult(await api.simulate({ workstreamId, context: rows.filter((r) => r.name.trim()).map((r) => ({ name: r.name.trim(), type: r.type, value: typed(r) })) }) as unknown as SimulationResult);
    } catch (error) {
      setResult(undefined);
      setProblem(refusal(error));
    }
  };
  const setRow = (i: number, patch: Partial<(typeof rows)[number]>) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <Panel title="Dry run">
      <p className="muted small">Try a conversation's context against the rules and agents as they are now. Nothing is changed.</p>
      <form className="form" aria-label="Dry run" onSubmit={(e) => { e.preventDefault(); void run(); }}>
        {rows.map((r, i) => (
          <div className="ctx-row" key={i}>
            <input aria-label={`Variable ${i + 1} name`} value={r.name} onChange={(e) => setRow(i, { name: e.target.value })} placeholder="customer.tier" />
            <select aria-label={`Variable ${i + 1} type`} value={r.type} onChange={(e) => setRow(i, { type: e.target.value as (typeof CONTEXT_TYPES)[number] })}>
              {CONTEXT_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
            </select>
            <input aria-label={`Variable ${i + 1} value`} value={r.value} onChange={(e) => setRow(i, { value: e.target.value })} />
          </div>
        ))}
        <div className="actions">
          <button className="secondary small" type="button" onClick={() => setRows((rs) => [...rs, { name: '', type: 'string', value: '' }])}>Add variable</button>
          <button className="primary" type="submit">Simulate</button>
        </div>
      </form>
      {problem && <p className="error small" role="alert">{problem}</p>}
      {result && (
        <dl className="kv result" aria-label="Simulation result">
          <dt>Queue</dt><dd data-testid="simulated-queue">{queueName(result.queueId)}</dd>
          <dt>Matched rule</dt><dd>{result.plan.matchedRule ?? 'none (fallback queue)'}</dd>
          <dt>Priority</dt><dd>{result.plan.priority}</dd>
          <dt>Would offer to</dt><dd>{result.agentId ?? 'nobody now'}{result.assignmentMethod ? ` (${result.assignmentMethod})` : ''}</dd>
          <dt>Eligible agents</dt><dd>{result.eligibleCount}{Object.keys(result.ineligibleByReason).length > 0 ? `; ruled out: ${Object.entries(result.ineligibleByReason).map(([k, v]) => `${v} ${k}`).join(', ')}` : ''}</dd>
        </dl>
      )}
    </Panel>
  );
}

interface SecretInfo { readonly id: string; readonly hint: string; readonly createdAt: string; readonly revokedAt: string | null }

function ChannelsAdmin({ api, act }: { api: Api; act: Act }) {
  const [channels, setChannels] = useState<readonly Channel[]>([]);
  const [secrets, setSecrets] = useState<ReadonlyMap<string, readonly SecretInfo[]>>(new Map());
  const [fresh, setFresh] = useState<{ channelId: string; value: string }>();
  const load = useCallback(async () => {
    const items = await api.channels();
    setChannels(items);
    const lists = await Promise.all(items.filter((c) => c.type === 'webchat').map(async (c) => [c.id, await api.directLineSecrets(c.id).catch(() => [])] as const));
    setSecrets(new Map(lists));
  }, [api]);
  useEffect(() => {
    void load().catch(() => undefined);
  }, [load]);
  return (
    <>
    <NewWebChatChannel api={api} act={act} onCreated={load} />
    <Panel title="Channels">
      {channels.map((c) => (
        <article key={c.id} className="channel" aria-label={`Channel ${c.name}`}>
          <h3>{c.name} <span className="pill">{c.type}</span></h3>
          {c.type === 'webchat' && (
            <>
              <label className="snippet">Widget snippet (paste it into any page of a trusted origin)
                <textarea readOnly rows={2} value={`<script src="${location.origin}/webchat/widget.js" data-channel="${c.id}" async></script>`} onFocus={(e) => e.target.select()} />
              </label>
              <TrustedOrigins channel={c} api={api} act={act} onSaved={load} />
              <h4>Direct Line secrets</h4>
              <ul className="secrets">
                {(secrets.get(c.id) ?? []).map((s) => (
                  <li key={s.id}>
                    <code>{s.hint}…</code> <span className="muted small">created {new Date(s.createdAt).toLocaleDateString()}{s.revokedAt ? ' · revoked' : ''}</span>
                    {!s.revokedAt && <button className="secondary small" type="button" onClick={() => void act('Secret revoked', async () => { await api.revokeDirectLineSecret(c.id, s.id); await load(); })}>Revoke</button>}
                  </li>
                ))}
              </ul>
              {fresh?.channelId === c.id && <p className="notice" role="status">New secret, shown only now: <code>{fresh.value}</code></p>}
              <button className="secondary small" type="button" onClick={() => void act('Secret created', async () => {
                const created = await api.createDirectLineSecret(c.id);
                setFresh({ channelId: c.id, value: created.value });
                await load();
              })}>New secret</button>
            </>
          )}
        </article>
      ))}
    </Panel>
    </>
  );
}

/** Origins as the administrator types them, one per line or comma-separated. */
function originsOf(text: string): string[] {
  return text.split(/[\s,]+/).map((o) => o.trim()).filter(Boolean);
}

function NewWebChatChannel({ api, act, onCreated }: { api: Api; act: Act; onCreated: () => Promise<void> }) {
  const [name, setName] = useState('');
  const [title, setTitle] = useState('');
  const [origins, setOrigins] = useState('');
  const [csat, setCsat] = useState(true);
  return (
    <Panel title="New web chat channel">
      <form className="form" aria-label="New web chat channel" onSubmit={(e) => {
        e.preventDefault();
        void act(`Channel "${name.trim()}" created`, async () => {
          await api.createChannel({ type: 'webchat', name: name.trim(), config: { title: title.trim() || name.trim(), trustedOrigins: originsOf(origins), csat: { enabled: csat } } });
          await onCreated();
        }).then((ok) => {
          if (ok) {
            setName('');
            setTitle('');
            setOrigins('');
          }
        });
      }}>
        <label>Name<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} /></label>
        <label>Widget title<input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={80} placeholder="Support" /></label>
        <label>Trusted origins (pages that may embed the widget; one per line)
          <textarea rows={2} value={origins} onChange={(e) => setOrigins(e.target.value)} placeholder="https://shop.example.com" />
        </label>
        <label className="check"><input type="checkbox" checked={csat} onChange={(e) => setCsat(e.target.checked)} />Offer the satisfaction survey when a chat ends</label>
        <button className="primary" type="submit" disabled={!name.trim()}>Create channel</button>
      </form>
    </Panel>
  );
}

function TrustedOrigins({ channel, api, act, onSaved }: { channel: Channel; api: Api; act: Act; onSaved: () => Promise<void> }) {
  const current = Array.isArray(channel.config?.trustedOrigins) ? (channel.config.trustedOrigins as string[]) : [];
  const [text, setText] = useState(current.join('\n'));
  return (
    <form className="form" aria-label={`Trusted origins of ${channel.name}`} onSubmit={(e) => {
      e.preventDefault();
      void act('Trusted origins saved', async () => {
        await api.updateChannel(channel.id, { config: { ...(channel.config ?? {}), trustedOrigins: originsOf(text) } });
        await onSaved();
      });
    }}>
      <label>Trusted origins<textarea rows={2} value={text} onChange={(e) => setText(e.target.value)} placeholder="https://shop.example.com" /></label>
      <button className="secondary small" type="submit">Save origins</button>
    </form>
  );
}

/** An agent's capacity and skill proficiencies (1-10), as routing reads them. */
function AgentSkills({ api, act, skills }: { api: Api; act: Act; skills: readonly { name: string }[] }) {
  const [agents, setAgents] = useState<Awaited<ReturnType<Api['agents']>>>([]);
  const [agentId, setAgentId] = useState('');
  const [capacity, setCapacity] = useState(1);
  const [levels, setLevels] = useState<Record<string, number>>({});
  const load = useCallback(async () => setAgents((await api.agents()).filter((a) => a.kind === 'human')), [api]);
  useEffect(() => {
    void load().catch(() => undefined);
  }, [load]);
  const choose = (id: string) => {
    const agent = agents.find((a) => a.id === id);
    setAgentId(id);
    setCapacity(agent?.capacity ?? 1);
    setLevels({ ...(agent?.skills ?? {}) });
  };
  return (
    <Panel title="Agents' skills and capacity">
      <label className="inline">Agent
        <select aria-label="Agent to edit" value={agentId} onChange={(e) => choose(e.target.value)}>
          <option value="">Choose…</option>
          {agents.map((a) => <option key={a.id} value={a.id}>{a.displayName}</option>)}
        </select>
      </label>
      {agentId && (
        <form className="form" aria-label="Agent skills" onSubmit={(e) => {
          e.preventDefault();
          const name = agents.find((a) => a.id === agentId)?.displayName ?? agentId;
          void act(`${name} saved`, async () => { await api.updateAgent(agentId, { capacity, skills: levels }); await load(); });
        }}>
          <label>Capacity (units of work at once)<input type="number" min={0} max={10000} value={capacity} onChange={(e) => setCapacity(Number(e.target.value))} /></label>
          <fieldset>
            <legend>Skills (proficiency 1-10; empty: not held)</legend>
            {skills.map((s) => (
              <label key={s.name} className="check">{s.name}
                <input type="number" min={1} max={10} aria-label={`Proficiency in ${s.name}`} value={levels[s.name] ?? ''} onChange={(e) => {
                  const next = { ...levels };
                  if (e.target.value === '') delete next[s.name];
                  else next[s.name] = Number(e.target.value);
                  setLevels(next);
                }} />
              </label>
            ))}
          </fieldset>
          <button className="primary" type="submit">Save agent</button>
        </form>
      )}
    </Panel>
  );
}

function SkillsAdmin({ api, act }: { api: Api; act: Act }) {
  const [skills, setSkills] = useState<readonly { name: string }[]>([]);
  const [name, setName] = useState('');
  const load = useCallback(async () => setSkills(await api.skills()), [api]);
  useEffect(() => {
    void load().catch(() => undefined);
  }, [load]);
  return (
    <>
    <Panel title="Skills">
      <ul className="tags">{skills.map((s) => <li key={s.name}>{s.name}</li>)}</ul>
      <form className="form inline-form" onSubmit={(e) => {
        e.preventDefault();
        void act(`Skill "${name.trim()}" created`, async () => { await api.createSkill(name.trim()); await load(); }).then((ok) => ok && setName(''));
      }}>
        <label>New skill<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} /></label>
        <button className="primary" type="submit" disabled={name.trim() === ''}>Add</button>
      </form>
    </Panel>
    <AgentSkills api={api} act={act} skills={skills} />
    </>
  );
}

/** Classification rules: run first, in order; each that holds may set the priority (the console edits that part). */
function ClassificationRules({ ws, save }: { ws: Workstream; save: (what: string, change: (ws: Workstream) => Record<string, unknown>) => Promise<boolean> }) {
  const [ruleId, setRuleId] = useState('');
  const [condition, setCondition] = useState('');
  const [priority, setPriority] = useState(5);
  const valid = ruleId.trim() !== '' && parseExpression(condition).ok;
  const describe = (set: Record<string, unknown>) => Object.entries(set).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join('; ');
  return (
    <Panel title="Classification rules">
      <p className="muted small">Every rule whose condition holds applies, in order, before the queue is chosen.</p>
      <table className="grid">
        <thead><tr><th scope="col">Rule</th><th scope="col">Condition</th><th scope="col">Sets</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
        <tbody>
          {ws.classificationRules.length === 0 && <tr><td colSpan={4} className="muted">No classification rules.</td></tr>}
          {ws.classificationRules.map((r) => (
            <tr key={r.id}>
              <th scope="row">{r.id}</th><td><code>{r.condition}</code></td><td>{describe(r.set)}</td>
              <td><button className="secondary small" type="button" aria-label={`Delete ${r.id}`}
                onClick={() => void save(`Rule "${r.id}" deleted`, (w) => ({ ...settingsOf(w), classificationRules: w.classificationRules.filter((x) => x.id !== r.id) }))}>Delete</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="form" aria-label="New classification rule" onSubmit={(e) => {
        e.preventDefault();
        if (!valid) return;
        void save(`Rule "${ruleId.trim()}" added`, (w) => ({ ...settingsOf(w), classificationRules: [...w.classificationRules, { id: ruleId.trim(), condition, set: { priority } }] })).then((ok) => {
          if (ok) {
            setRuleId('');
            setCondition('');
          }
        });
      }}>
        <h3>New rule</h3>
        <label>Rule id<input value={ruleId} onChange={(e) => setRuleId(e.target.value)} maxLength={64} required placeholder="vip-first" /></label>
        <ConditionInput value={condition} onChange={setCondition} label="Condition" />
        <label>Set priority to<input type="number" min={0} max={100} value={priority} onChange={(e) => setPriority(Number(e.target.value))} /></label>
        <button className="primary" type="submit" disabled={!valid}>Add rule</button>
      </form>
    </Panel>
  );
}

function PeopleAdmin({ api, act, queues, agents }: { api: Api; act: Act; queues: readonly Queue[]; agents: readonly (Agent & { kind: 'human' | 'bot' })[] }) {
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
  useEffect(() => {
    void load().catch(() => undefined);
  }, [load]);
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

function BotsAdmin({ api, act }: { api: Api; act: Act }) {
  const [bots, setBots] = useState<readonly Bot[]>([]);
  const load = useCallback(async () => setBots(await api.bots()), [api]);
  useEffect(() => {
    void load().catch(() => undefined);
  }, [load]);
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

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const DAY_LABEL: Record<(typeof WEEKDAYS)[number], string> = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' };
type DayHours = { open: boolean; from: string; to: string };

/** One queue's settings: priority, method, service level, operating hours (one period a day) and members. */
function QueueEditor({ queues, agents, api, act }: { queues: readonly Queue[]; agents: readonly Agent[]; api: Api; act: Act }) {
  const [queueId, setQueueId] = useState(queues[0]!.id);
  const queue = queues.find((q) => q.id === queueId) ?? queues[0]!;
  const [priority, setPriority] = useState(queue.priority ?? 0);
  const [method, setMethod] = useState(queue.routing?.assignmentMethod ?? 'longest-idle');
  const [serviceLevel, setServiceLevel] = useState(queue.routing?.serviceLevelSeconds ?? 20);
  const [hoursOn, setHoursOn] = useState(Boolean(queue.routing?.operatingHours));
  const [timeZone, setTimeZone] = useState(queue.routing?.operatingHours?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
  const [days, setDays] = useState<Record<string, DayHours>>(() => daysOf(queue.routing?.operatingHours ?? null));
  const [adding, setAdding] = useState('');
  const choose = (id: string) => {
    const q = queues.find((x) => x.id === id)!;
    setQueueId(id);
    setPriority(q.priority ?? 0);
    setMethod(q.routing?.assignmentMethod ?? 'longest-idle');
    setServiceLevel(q.routing?.serviceLevelSeconds ?? 20);
    setHoursOn(Boolean(q.routing?.operatingHours));
    setTimeZone(q.routing?.operatingHours?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
    setDays(daysOf(q.routing?.operatingHours ?? null));
  };
  const hours = (): OperatingHours | null => (hoursOn
    ? { timeZone, weekly: WEEKDAYS.filter((d) => days[d]!.open).map((d) => ({ day: d, open: days[d]!.from, close: days[d]!.to })), holidays: queue.routing?.operatingHours?.holidays ?? [] }
    : null);
  const members = queue.memberIds ?? [];
  const name = (id: string) => agents.find((a) => a.id === id)?.displayName ?? id;
  return (
    <Panel title="Queue settings">
      <label className="inline">Queue
        <select aria-label="Queue to edit" value={queueId} onChange={(e) => choose(e.target.value)}>{queues.map((q) => <option key={q.id} value={q.id}>{q.name}</option>)}</select>
      </label>
      <form className="form" aria-label="Queue settings" onSubmit={(e) => {
        e.preventDefault();
        void act(`Queue "${queue.name}" saved`, () => api.updateQueue(queue.id, { priority, routing: { assignmentMethod: method, serviceLevelSeconds: serviceLevel, operatingHours: hours() } }));
      }}>
        <label>Priority (higher first)<input type="number" min={0} max={100} value={priority} onChange={(e) => setPriority(Number(e.target.value))} /></label>
        <label>Assignment method
          <select value={method} onChange={(e) => setMethod(e.target.value)}>{METHODS.map((m) => <option key={m} value={m}>{m}</option>)}</select>
        </label>
        <label>Service level: answered within (seconds)<input type="number" min={1} max={86400} value={serviceLevel} onChange={(e) => setServiceLevel(Number(e.target.value))} /></label>
        <label className="check"><input type="checkbox" checked={hoursOn} onChange={(e) => setHoursOn(e.target.checked)} />Operating hours (closed outside them; overflow rules decide what happens)</label>
        {hoursOn && (
          <fieldset className="hours">
            <legend>Hours</legend>
            <label>Time zone<input value={timeZone} onChange={(e) => setTimeZone(e.target.value)} required maxLength={64} /></label>
            {WEEKDAYS.map((d) => (
              <div key={d} className="day">
                <label className="check"><input type="checkbox" checked={days[d]!.open} onChange={(e) => setDays({ ...days, [d]: { ...days[d]!, open: e.target.checked } })} />{DAY_LABEL[d]}</label>
                <input type="time" aria-label={`${DAY_LABEL[d]} opens`} value={days[d]!.from} disabled={!days[d]!.open} onChange={(e) => setDays({ ...days, [d]: { ...days[d]!, from: e.target.value } })} />
                <input type="time" aria-label={`${DAY_LABEL[d]} closes`} value={days[d]!.to} disabled={!days[d]!.open} onChange={(e) => setDays({ ...days, [d]: { ...days[d]!, to: e.target.value } })} />
              </div>
            ))}
          </fieldset>
        )}
        <button className="primary" type="submit">Save queue</button>
      </form>
      <QuickRepliesEditor key={queue.id} api={api} act={act} queueId={queue.id} />
      <h3>Members</h3>
      <ul className="tags">
        {members.map((id) => (
          <li key={id}>{name(id)} <button className="link" type="button" aria-label={`Remove ${name(id)}`}
            onClick={() => void act(`${name(id)} removed from ${queue.name}`, () => api.removeQueueMember(queue.id, id))}>×</button></li>
        ))}
      </ul>
      <div className="inline-form">
        <label className="inline">Add
          <select aria-label="Agent to add" value={adding} onChange={(e) => setAdding(e.target.value)}>
            <option value="">Choose an agent…</option>
            {agents.filter((a) => !members.includes(a.id)).map((a) => <option key={a.id} value={a.id}>{a.displayName}</option>)}
          </select>
        </label>
        <button className="secondary small" type="button" disabled={!adding} onClick={() => void act(`${name(adding)} added to ${queue.name}`, async () => { await api.addQueueMember(queue.id, adding); setAdding(''); })}>Add member</button>
      </div>
    </Panel>
  );
}

function daysOf(hours: OperatingHours | null): Record<string, DayHours> {
  const days: Record<string, DayHours> = {};
  for (const d of WEEKDAYS) {
    const period = hours?.weekly.find((w) => w.day === d);
    days[d] = period ? { open: true, from: period.open, to: period.close } : { open: hours === null && d !== 'sat' && d !== 'sun', from: '09:00', to: '17:00' };
  }
  return days;
}

/** The workstream's own settings: how work is handed out, how long an offer lasts, what happens after declines. */
function WorkstreamSettings({ ws, queues, save }: { ws: Workstream; queues: readonly Queue[]; save: (what: string, change: (ws: Workstream) => Record<string, unknown>) => Promise<boolean> }) {
  const [fields, setFields] = useState({
    mode: String(ws.mode ?? 'push'), offerTimeoutSeconds: Number(ws.offerTimeoutSeconds ?? 30), rejectionSkipSeconds: Number(ws.rejectionSkipSeconds ?? 0),
    missedOffersBeforeAway: Number(ws.missedOffersBeforeAway ?? 0), waitingOrder: String(ws.waitingOrder ?? 'queue-entry'), skillMatch: String(ws.skillMatch ?? 'exact'),
    fallbackQueueId: ws.fallbackQueueId,
  });
  const set = (patch: Partial<typeof fields>) => setFields((f) => ({ ...f, ...patch }));
  const [profilesText, setProfilesText] = useState(Object.entries((ws.capacityProfiles as Record<string, number> | undefined) ?? {}).map(([k, v]) => `${k} = ${v}`).join('\n'));
  const profiles = (): Record<string, number> => Object.fromEntries(profilesText.split('\n').map((line) => line.split('=').map((x) => x.trim()))
    .filter(([k, v]) => k && v).map(([k, v]) => [k!, Number(v)]));
  return (
    <Panel title="Workstream settings">
      <form className="form grid-form" aria-label="Workstream settings" onSubmit={(e) => {
        e.preventDefault();
        void save(`Workstream "${ws.name}" saved`, (w) => ({ ...settingsOf(w), ...fields, capacityProfiles: profiles() }));
      }}>
        <label>Mode
          <select value={fields.mode} onChange={(e) => set({ mode: e.target.value })}>
            <option value="push">push: the engine offers work to agents</option>
            <option value="pick">pick: agents take work from the queue</option>
          </select>
        </label>
        <label>Offer timeout (seconds)<input type="number" min={5} max={3600} value={fields.offerTimeoutSeconds} onChange={(e) => set({ offerTimeoutSeconds: Number(e.target.value) })} /></label>
        <label>Skip an agent who declined for (seconds)<input type="number" min={0} max={86400} value={fields.rejectionSkipSeconds} onChange={(e) => set({ rejectionSkipSeconds: Number(e.target.value) })} /></label>
        <label>Missed offers before "away" (0: never)<input type="number" min={0} max={100} value={fields.missedOffersBeforeAway} onChange={(e) => set({ missedOffersBeforeAway: Number(e.target.value) })} /></label>
        <label>Waiting order
          <select value={fields.waitingOrder} onChange={(e) => set({ waitingOrder: e.target.value })}>
            <option value="queue-entry">by time entering the queue</option>
            <option value="last-customer-message">by the customer's last message</option>
          </select>
        </label>
        <label>Skill matching
          <select value={fields.skillMatch} onChange={(e) => set({ skillMatch: e.target.value })}>
            <option value="exact">exact: every minimum met</option>
            <option value="closest">closest: the nearest fit if nobody meets them all</option>
          </select>
        </label>
        <label className="wide">Capacity profiles (one per line, <code>name = units</code>; a classification rule picks one, e.g. voice = 3)
          <textarea rows={2} value={profilesText} onChange={(e) => setProfilesText(e.target.value)} placeholder={'chat = 1\nvoice = 3'} />
        </label>
        <label>Fallback queue (no route rule matches)
          <select value={fields.fallbackQueueId} onChange={(e) => set({ fallbackQueueId: e.target.value })}>{queues.map((q) => <option key={q.id} value={q.id}>{q.name}</option>)}</select>
        </label>
        <button className="primary" type="submit">Save workstream</button>
      </form>
    </Panel>
  );
}

/** A queue's quick replies: templates agents insert, with {{customer.name}}, {{agent.name}} and {{context.<name>}}. */
function QuickRepliesEditor({ api, act, queueId }: { api: Api; act: Act; queueId: string }) {
  const [replies, setReplies] = useState<readonly { id: string; title: string; text: string }[]>([]);
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  const load = useCallback(async () => setReplies(await api.quickReplies(queueId)), [api, queueId]);
  useEffect(() => {
    void load().catch(() => undefined);
  }, [load]);
  return (
    <>
      <h3>Quick replies</h3>
      <ul className="replies">
        {replies.length === 0 && <li className="muted small">None yet.</li>}
        {replies.map((r) => (
          <li key={r.id}><strong>{r.title}</strong> <span className="muted small">{r.text}</span>
            <button className="link" type="button" aria-label={`Delete quick reply ${r.title}`} onClick={() => void act(`Quick reply "${r.title}" deleted`, async () => { await api.deleteQuickReply(queueId, r.id); await load(); })}>×</button></li>
        ))}
      </ul>
      <form className="form" aria-label="New quick reply" onSubmit={(e) => {
        e.preventDefault();
        void act(`Quick reply "${title.trim()}" added`, async () => { await api.createQuickReply(queueId, { title: title.trim(), text }); await load(); }).then((ok) => {
          if (ok) {
            setTitle('');
            setText('');
          }
        });
      }}>
        <label>Title<input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={80} required /></label>
        <label>Text (variables: {'{{customer.name}}'}, {'{{agent.name}}'}, {'{{context.<name>}}'})
          <textarea rows={2} value={text} onChange={(e) => setText(e.target.value)} maxLength={2000} required />
        </label>
        <button className="secondary small" type="submit" disabled={!title.trim() || !text.trim()}>Add quick reply</button>
      </form>
    </>
  );
}

/** The CRM lookup behind the workspace's customer record: where Switchboard asks, with which header, how long it waits. */
function IntegrationsAdmin({ api, act }: { api: Api; act: Act }) {
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

/** Permission checkboxes from the server's catalogue (GET /v1/permissions), for custom roles and app permissions. */
function PermissionPicker({ api, chosen, onChange, legend }: { api: Api; chosen: ReadonlySet<string>; onChange: (next: ReadonlySet<string>) => void; legend: string }) {
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

function AccessAdmin({ api, act, queues }: { api: Api; act: Act; queues: readonly Queue[] }) {
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
  useEffect(() => {
    void load().catch(() => undefined);
  }, [load]);
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

/** App registrations (with secrets shown once) and the applications this tenant consented to. */
function AppsAdmin({ api, act }: { api: Api; act: Act }) {
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
  useEffect(() => {
    void load().catch(() => undefined);
  }, [load]);
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

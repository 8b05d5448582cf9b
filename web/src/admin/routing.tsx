/** The console's routing: a workstream's settings, its route and classification rules (live-validated), and the dry run. */
import { useCallback, useEffect, useState } from 'react';
// The rule language's own parser, the one the server runs at save time: the editor points at the
// same line and column the server would refuse, while the administrator types.
import { parseExpression } from '../../../src/core/rules/expression-parser.js';
import { type Agent, type Queue } from '../api.js';
import { errorText } from '../format.js';
import { type Act, type Api, CONTEXT_TYPES, Panel, refusal } from './shared.js';

export interface RouteRule { readonly id: string; readonly condition: string; readonly queueId?: string; readonly split?: readonly { queueId: string; percent: number }[] }

export interface ClassificationRule { readonly id: string; readonly condition: string; readonly set: Record<string, unknown> }

export interface Workstream {
  readonly id: string; readonly name: string; readonly version: number; readonly fallbackQueueId: string;
  readonly routeRules: readonly RouteRule[]; readonly classificationRules: readonly ClassificationRule[];
  readonly [field: string]: unknown;
}

/** What PUT takes back: every setting of the workstream as it is, without the server's own fields. */
export function settingsOf(ws: Workstream): Record<string, unknown> {
  const { id: _id, tenantId: _t, version: _v, createdAt: _c, updatedAt: _u, ...fields } = ws as Workstream & { tenantId?: unknown; createdAt?: unknown; updatedAt?: unknown };
  return fields;
}

export function ConditionInput({ value, onChange, label }: { value: string; onChange: (v: string) => void; label: string }) {
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

export function RoutingAdmin({ queues, api, act, onProblem }: { queues: readonly Queue[]; agents: readonly Agent[]; api: Api; act: Act; onProblem: (t: string | undefined) => void }) {
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

export function swap<T>(items: readonly T[], a: number, b: number): T[] {
  const next = [...items];
  const first = next[a]!;
  next[a] = next[b]!;
  next[b] = first;
  return next;
}

export interface SimulationResult {
  readonly queueId: string;
  readonly agentId: string | null;
  readonly assignmentMethod: string | null;
  readonly eligibleCount: number;
  readonly ineligibleByReason: Record<string, number>;
  readonly plan: { readonly matchedRule: string | null; readonly priority: number };
}

/** The dry run: a context tried against the live rules and agents; nothing is written. */
export function DryRun({ api, workstreamId, queueName }: { api: Api; workstreamId: string; queueName: (id: string | undefined) => string }) {
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

/** Classification rules: run first, in order; each that holds may set the priority (the console edits that part). */
export function ClassificationRules({ ws, save }: { ws: Workstream; save: (what: string, change: (ws: Workstream) => Record<string, unknown>) => Promise<boolean> }) {
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

/** The workstream's own settings: how work is handed out, how long an offer lasts, what happens after declines. */
export function WorkstreamSettings({ ws, queues, save }: { ws: Workstream; queues: readonly Queue[]; save: (what: string, change: (ws: Workstream) => Record<string, unknown>) => Promise<boolean> }) {
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

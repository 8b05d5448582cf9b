/** The console's queues: the list, a new queue, one queue's settings (hours, service level, members) and its quick replies. */
import { useCallback, useState } from 'react';
import { type Agent, type OperatingHours, type Queue } from '../api.js';
import { type Act, type Api, METHODS, Panel, useLoad } from './shared.js';

export function QueuesAdmin({ queues, agents, api, act }: { queues: readonly Queue[]; agents: readonly Agent[]; api: Api; act: Act }) {
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

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export const DAY_LABEL: Record<(typeof WEEKDAYS)[number], string> = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' };

export type DayHours = { open: boolean; from: string; to: string };

/** One queue's settings: priority, method, service level, operating hours (one period a day) and members. */
export function QueueEditor({ queues, agents, api, act }: { queues: readonly Queue[]; agents: readonly Agent[]; api: Api; act: Act }) {
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

export function daysOf(hours: OperatingHours | null): Record<string, DayHours> {
  const days: Record<string, DayHours> = {};
  for (const d of WEEKDAYS) {
    const period = hours?.weekly.find((w) => w.day === d);
    days[d] = period ? { open: true, from: period.open, to: period.close } : { open: hours === null && d !== 'sat' && d !== 'sun', from: '09:00', to: '17:00' };
  }
  return days;
}

/** A queue's quick replies: templates agents insert, with {{customer.name}}, {{agent.name}} and {{context.<name>}}. */
export function QuickRepliesEditor({ api, act, queueId }: { api: Api; act: Act; queueId: string }) {
  const [replies, setReplies] = useState<readonly { id: string; title: string; text: string }[]>([]);
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  const load = useCallback(async () => setReplies(await api.quickReplies(queueId)), [api, queueId]);
  useLoad(load);
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

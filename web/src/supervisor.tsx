import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  tenantApi, type AgentBoardEntry, type Contact, type Conversation, type Message, type Participant, type Queue, type QueueStats,
  type SessionInfo, type SwitchboardEvent,
} from './api.js';
import { duration, errorText } from './format.js';
import { EventStream, type StreamState, type WallboardFrame } from './stream.js';
import { isMessageRevision, withRevision } from './message-revisions.js';
import { Transcript } from './transcript.js';

/** The conversation list is read again after board changes at most this often (the figures come live from the feed). */
const LIST_REFRESH_MS = 1000;
/** How far back the wait chart reaches. */
const HISTORY_MS = 60 * 60 * 1000;
const ONGOING_STATES = ['queued', 'offered', 'active', 'wrap_up', 'bot'] as const;
const PRESENCES = ['available', 'busy', 'busy-dnd', 'away', 'offline'] as const;
const PRESENCE_LABEL: Record<string, string> = {
  available: 'Available', busy: 'Busy', 'busy-dnd': 'Do not disturb', away: 'Away', offline: 'Offline',
  'in-a-call': 'In a call', 'in-a-meeting': 'In a meeting', presenting: 'Presenting',
};

interface Sample {
  readonly at: number;
  readonly waiting: number;
  readonly longestWaitSeconds: number;
}

/**
 * The supervisor's wallboard: every queue's live figures, every agent's presence and load, the
 * ongoing conversations with filters, and one conversation opened to monitor, whisper, barge,
 * transfer or close. The figures come live from the stream's wallboard feed (the server coalesces
 * them to at most four frames a second), the monitored conversation from its own subscription.
 * The server scopes every list to the supervisor's queues and refuses what they may not do; the
 * view offers actions only to people holding `conversations.supervise`.
 */
export function Supervisor({ session, onProblem }: { session: SessionInfo; onProblem: (text: string | undefined) => void }) {
  const tenantId = session.tenant.id;
  const api = useMemo(() => tenantApi(tenantId), [tenantId]);
  const canSupervise = session.permissions.includes('conversations.supervise');
  const canSetPresence = session.permissions.includes('presence.write');

  const [stats, setStats] = useState<readonly QueueStats[]>([]);
  const [agents, setAgents] = useState<readonly AgentBoardEntry[]>([]);
  const [conversations, setConversations] = useState<readonly Conversation[]>([]);
  const [contacts, setContacts] = useState<ReadonlyMap<string, Contact>>(new Map());
  const [queues, setQueues] = useState<ReadonlyMap<string, Queue>>(new Map());
  const [history, setHistory] = useState<ReadonlyMap<string, readonly Sample[]>>(new Map());
  const [filter, setFilter] = useState<{ queueId: string; agentId: string; state: string }>({ queueId: '', agentId: '', state: '' });
  const [openId, setOpenId] = useState<string>();
  const [messages, setMessages] = useState<readonly Message[]>([]);
  const [streamState, setStreamState] = useState<StreamState>('connecting');
  const [bigScreen, setBigScreen] = useState(false);
  const [updates, setUpdates] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  const openRef = useRef<string>(undefined);
  openRef.current = openId;
  const filterRef = useRef(filter);
  filterRef.current = filter;

  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(tick);
  }, []);

  const record = useCallback((items: readonly QueueStats[]) => {
    const at = Date.now();
    setStats(items);
    setHistory((h) => {
      const next = new Map(h);
      for (const q of items) {
        const kept = (h.get(q.queueId) ?? []).filter((s) => s.at > at - HISTORY_MS);
        next.set(q.queueId, [...kept, { at, waiting: q.waiting, longestWaitSeconds: q.longestWaitSeconds }]);
      }
      return next;
    });
  }, []);

  const loadContacts = useCallback(async (items: readonly Conversation[]) => {
    const missing = [...new Set(items.map((c) => c.contactId))].filter((id) => !contacts.has(id));
    if (missing.length === 0) return;
    const found = await Promise.all(missing.map((id) => api.contact(id).catch(() => undefined)));
    setContacts((m) => {
      const next = new Map(m);
      for (const c of found) if (c) next.set(c.id, c);
      return next;
    });
  }, [api, contacts]);

  /** The ongoing conversations (the figures come from the feed): read again after board changes, at most once a second. */
  const refreshList = useCallback(async () => {
    try {
      const f = filterRef.current;
      const next = await api.conversations({ queueId: f.queueId || undefined, agentId: f.agentId || undefined, state: f.state || undefined });
      setConversations(f.state ? next : next.filter((c) => (ONGOING_STATES as readonly string[]).includes(c.state)));
      void loadContacts(next);
    } catch (error) {
      onProblem(`Could not load the conversations: ${errorText(error)}`);
    }
  }, [api, loadContacts, onProblem]);
  const refreshListRef = useRef(refreshList);
  refreshListRef.current = refreshList;
  const listTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const listLastRun = useRef(0);
  const scheduleList = useCallback(() => {
    if (listTimer.current) return;
    const wait = Math.max(0, listLastRun.current + LIST_REFRESH_MS - Date.now());
    listTimer.current = setTimeout(() => {
      listTimer.current = undefined;
      listLastRun.current = Date.now();
      void refreshListRef.current();
    }, wait);
  }, []);

  // The wallboard feed: a full snapshot, then only the entries that changed, at most four frames a
  // second, coalesced by the server for every supervisor of the tenant at once.
  const statsRef = useRef<readonly QueueStats[]>([]);
  const agentsRef = useRef<readonly AgentBoardEntry[]>([]);
  const onWallboard = useCallback((frame: WallboardFrame) => {
    setUpdates((n) => n + 1);
    // Merged against refs, not inside state updaters: React may run an updater twice.
    const queues = frame.full ? [...frame.queues] : mergeById(statsRef.current, frame.queues, (q) => q.queueId, frame.removedQueueIds);
    const board = frame.full ? [...frame.agents] : mergeById(agentsRef.current, frame.agents, (a) => a.agentId, frame.removedAgentIds);
    statsRef.current = queues;
    agentsRef.current = board;
    record(queues);
    setAgents(board);
    scheduleList();
  }, [record, scheduleList]);
  const onWallboardRef = useRef(onWallboard);
  onWallboardRef.current = onWallboard;

  const loadMessages = useCallback(async (conversationId: string) => {
    const all: Message[] = [];
    let after = 0;
    for (;;) {
      const page = await api.messages(conversationId, after);
      all.push(...page.items);
      if (page.items.length < 500) break;
      after = page.items[page.items.length - 1]!.seq;
    }
    if (openRef.current === conversationId) setMessages((known) => mergeMessages(known, all));
  }, [api]);

  // The monitored conversation's own events: its messages (whispers included) and state changes.
  const onEvent = useCallback((event: SwitchboardEvent) => {
    if (event.conversationId !== openRef.current) return;
    if (event.type === 'message.created') {
      const message = event.payload.message as Message | undefined;
      if (message) setMessages((known) => mergeMessages(known, [message]));
    } else if (isMessageRevision(event.type)) {
      const message = event.payload.message as Message | undefined;
      if (message) setMessages((known) => withRevision(known, message));
    } else if (event.type === 'conversation.state_changed' || event.type.startsWith('participant.')) {
      scheduleList();
    }
  }, [scheduleList]);
  const onEventRef = useRef(onEvent);
  onEventRef.current = onEvent;

  const stream = useRef<EventStream>(undefined);
  useEffect(() => {
    api.queues().then((items) => setQueues(new Map(items.map((q) => [q.id, q]))), () => undefined);
    const s = new EventStream(tenantId, null, {
      onState: setStreamState,
      onWallboard: (frame) => onWallboardRef.current(frame),
      onEvent: (event) => onEventRef.current(event),
      onSubscribed: (id) => {
        if (id === 'board') scheduleList();
        else if (openRef.current) void loadMessages(openRef.current).catch(() => undefined);
      },
    }, [{ id: 'board', feed: 'wallboard' }]);
    stream.current = s;
    return () => {
      s.close();
      if (listTimer.current) clearTimeout(listTimer.current);
    };
  }, [api, tenantId, scheduleList, loadMessages]);

  useEffect(() => {
    scheduleList();
  }, [filter, scheduleList]);

  const open = (conversationId: string) => {
    // One monitored conversation at a time: its event subscription replaces the previous one.
    if (openRef.current) stream.current?.unsubscribe(`conv:${openRef.current}`);
    openRef.current = conversationId;
    stream.current?.subscribe({ id: `conv:${conversationId}`, conversationId });
    setOpenId(conversationId);
    setMessages([]);
    void loadMessages(conversationId).catch((error: unknown) => onProblem(`Could not load the conversation: ${errorText(error)}`));
  };

  const act = async (what: string, action: () => Promise<unknown>): Promise<boolean> => {
    try {
      onProblem(undefined);
      await action();
      scheduleList();
      return true;
    } catch (error) {
      onProblem(`${what}: ${errorText(error)}`);
      return false;
    }
  };

  const agentNames = useMemo(() => {
    const names = new Map(agents.map((a) => [a.agentId, a.displayName]));
    names.set(session.user.id, `${session.user.displayName}`);
    if (session.user.agentId) names.set(session.user.agentId, session.user.displayName);
    return names;
  }, [agents, session.user]);
  const ownerOf = (conversationId: string) => agents.find((a) => a.conversations.some((c) => c.conversationId === conversationId && c.status === 'assigned'));
  const openConversation = conversations.find((c) => c.id === openId);
  const customerOf = (c: Conversation | undefined) => (c ? contacts.get(c.contactId)?.displayName ?? 'Customer' : 'Customer');
  const humans = agents.filter((a) => a.kind === 'human');

  return (
    <div className={`board${bigScreen ? ' big' : ''}`}>
      <div className="board-bar">
        <h1>Wallboard</h1>
        <span className={`conn conn-${streamState}`} role="status">{streamState === 'open' ? 'Live' : streamState === 'connecting' ? 'Connecting…' : 'Reconnecting…'}</span>
        <span className="muted small" data-testid="updates">{updates} updates</span>
        <span className="spacer" />
        <button className="secondary small" type="button" aria-pressed={bigScreen} onClick={() => setBigScreen((b) => !b)}>{bigScreen ? 'Leave large screen' : 'Large screen'}</button>
      </div>

      <section aria-labelledby="queues-h" className="panel">
        <h2 id="queues-h">Queues</h2>
        <table className="grid" aria-labelledby="queues-h">
          <thead>
            <tr>
              <th scope="col">Queue</th><th scope="col">Waiting</th><th scope="col">Longest wait</th><th scope="col">Average wait</th>
              <th scope="col">Service level</th><th scope="col">Offered</th><th scope="col">Accepted</th><th scope="col">Rejected</th><th scope="col">Timed out</th>
              <th scope="col">Agents</th><th scope="col">Load</th><th scope="col">Longest wait, last hour</th>
            </tr>
          </thead>
          <tbody>
            {stats.length === 0 && <tr><td colSpan={12} className="muted">No queues in your scope.</td></tr>}
            {stats.map((q) => (
              <tr key={q.queueId} data-queue={q.queueId}>
                <th scope="row">{q.name}{!q.open && <span className="pill closed">closed</span>}</th>
                <td className="num" data-testid="waiting">{q.waiting}</td>
                <td className="num">{duration(q.longestWaitSeconds)}</td>
                <td className="num">{q.averageWaitSeconds === null ? '–' : duration(q.averageWaitSeconds)}</td>
                <td className="num">{q.serviceLevel?.percent == null ? '–' : `${Math.round(q.serviceLevel.percent)}% in ${q.serviceLevel.thresholdSeconds} s`}</td>
                <td className="num">{q.offers.made}</td>
                <td className="num">{q.offers.accepted}</td>
                <td className="num">{q.offers.rejected}</td>
                <td className="num">{q.offers.timedOut}</td>
                <td><PresenceBar counts={q.agentsByPresence} /></td>
                <td><QueueLoad memberIds={queues.get(q.queueId)?.memberIds ?? []} agents={agents} /></td>
                <td><Sparkline samples={history.get(q.queueId) ?? []} now={now} label={`Longest wait in ${q.name} over the last hour`}
                  value={(sample) => sample.longestWaitSeconds} format={duration} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section aria-labelledby="agents-h" className="panel">
        <h2 id="agents-h">Agents</h2>
        <table className="grid" aria-labelledby="agents-h">
          <thead><tr><th scope="col">Agent</th><th scope="col">Presence</th><th scope="col">Since</th><th scope="col">Load</th><th scope="col">Conversations</th></tr></thead>
          <tbody>
            {humans.length === 0 && <tr><td colSpan={5} className="muted">No agents in your scope.</td></tr>}
            {humans.map((a) => (
              <tr key={a.agentId} data-agent={a.agentId}>
                <th scope="row">{a.displayName}</th>
                <td>
                  {canSetPresence && !bigScreen
                    ? (
                      <select aria-label={`Presence of ${a.displayName}`} value={a.presence}
                        onChange={(e) => void act(`Could not change the presence of ${a.displayName}`, () => api.setPresence(a.agentId, e.target.value))}>
                        {!(PRESENCES as readonly string[]).includes(a.presence) && <option value={a.presence}>{PRESENCE_LABEL[a.presence] ?? a.presence}</option>}
                        {PRESENCES.map((p) => <option key={p} value={p}>{PRESENCE_LABEL[p]}</option>)}
                      </select>
                    )
                    : <span className={`pill presence-${a.presence}`}>{PRESENCE_LABEL[a.presence] ?? a.presence}</span>}
                </td>
                <td className="num">{duration((now - Date.parse(a.presenceSince)) / 1000)}</td>
                <td><LoadBar used={a.usedCapacity} capacity={a.capacity} /></td>
                <td className="num">{a.conversations.filter((c) => c.status === 'assigned').length}{a.pendingOffers.length > 0 ? ` (+${a.pendingOffers.length} offered)` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <div className="board-split">
        <section aria-labelledby="ongoing-h" className="panel ongoing">
          <h2 id="ongoing-h">Ongoing conversations <span className="count">{conversations.length}</span></h2>
          <div className="filters">
            <label>Queue
              <select value={filter.queueId} onChange={(e) => setFilter({ ...filter, queueId: e.target.value })}>
                <option value="">All</option>
                {[...queues.values()].map((q) => <option key={q.id} value={q.id}>{q.name}</option>)}
              </select>
            </label>
            <label>Agent
              <select value={filter.agentId} onChange={(e) => setFilter({ ...filter, agentId: e.target.value })}>
                <option value="">All</option>
                {humans.map((a) => <option key={a.agentId} value={a.agentId}>{a.displayName}</option>)}
              </select>
            </label>
            <label>State
              <select value={filter.state} onChange={(e) => setFilter({ ...filter, state: e.target.value })}>
                <option value="">Ongoing</option>
                {ONGOING_STATES.map((s) => <option key={s} value={s}>{s}</option>)}
              </select>
            </label>
            <label>Sentiment
              <select disabled title="Sentiment comes with the analytics work" value=""><option value="">Any</option></select>
            </label>
          </div>
          <ul className="convs">
            {conversations.length === 0 && <li className="muted empty">Nothing ongoing.</li>}
            {conversations.map((c) => {
              const owner = ownerOf(c.id);
              return (
                <li key={c.id}>
                  <button type="button" className={`conv${openId === c.id ? ' selected' : ''}`} aria-current={openId === c.id ? 'true' : undefined} onClick={() => open(c.id)}
                    aria-label={`Monitor ${customerOf(c)}`}>
                    <span className="conv-top"><strong>{customerOf(c)}</strong><span className={`pill state-${c.state}`}>{c.state}</span></span>
                    <span className="muted small">{(c.queueId && queues.get(c.queueId)?.name) || 'No queue'} · {owner ? owner.displayName : 'no agent'} · {duration((now - Date.parse(c.createdAt)) / 1000)}</span>
                  </button>
                </li>
              );
            })}
          </ul>
        </section>
        <section className="panel monitor" aria-label="Monitor">
          {openId
            ? <Monitor key={openId} api={api} conversationId={openId} conversation={openConversation} customer={customerOf(openConversation)} owner={ownerOf(openId)?.displayName}
              messages={messages} names={agentNames} queues={queues} canSupervise={canSupervise} selfId={session.user.id} act={act} />
            : <p className="muted placeholder">Choose a conversation to monitor it.</p>}
        </section>
      </div>
    </div>
  );
}

/** Entries replaced by id in place, new ones appended, removed ones dropped: the feed's deltas applied. */
function mergeById<T>(known: readonly T[], changed: readonly T[], key: (item: T) => string, removed: readonly string[] = []): T[] {
  const byId = new Map(changed.map((c) => [key(c), c]));
  const gone = new Set(removed);
  const next = known.filter((k) => !gone.has(key(k))).map((k) => byId.get(key(k)) ?? k);
  const present = new Set(next.map(key));
  for (const c of changed) if (!present.has(key(c))) next.push(c);
  return next;
}

function mergeMessages(known: readonly Message[], incoming: readonly Message[]): readonly Message[] {
  const seen = new Set(known.map((m) => m.seq));
  const fresh = incoming.filter((m) => !seen.has(m.seq));
  return fresh.length === 0 ? known : [...known, ...fresh].sort((a, b) => a.seq - b.seq);
}

/** One conversation, live and read-only, with the supervisor's actions beside it. */
function Monitor(props: {
  api: ReturnType<typeof tenantApi>; conversationId: string; conversation: Conversation | undefined; customer: string; owner: string | undefined;
  messages: readonly Message[]; names: ReadonlyMap<string, string>; queues: ReadonlyMap<string, Queue>; canSupervise: boolean; selfId: string;
  act: (what: string, action: () => Promise<unknown>) => Promise<boolean>;
}) {
  const { api, conversationId, act } = props;
  const [draft, setDraft] = useState('');
  const [joined, setJoined] = useState<Participant>();
  const [transferTo, setTransferTo] = useState('');
  const log = useRef<HTMLOListElement>(null);
  const ended = props.conversation ? ['closed', 'abandoned'].includes(props.conversation.state) : false;

  useEffect(() => {
    // Already barged (another tab, before a reload): carry on as a participant.
    api.participants(conversationId).then((items) => {
      const me = items.find((p) => p.role === 'supervisor' && p.refId === props.selfId && p.leftAt === null);
      if (me) setJoined(me);
    }, () => undefined);
  }, [api, conversationId, props.selfId]);
  useEffect(() => {
    const el = log.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [props.messages.length]);

  const sendWhisper = async () => {
    const text = draft.trim();
    if (text && (await act('The whisper was not sent', () => api.whisper(conversationId, text)))) setDraft('');
  };
  const sendToCustomer = async () => {
    const text = draft.trim();
    if (text && (await act('Your message was not sent', () => api.sayAsSupervisor(conversationId, text)))) setDraft('');
  };

  return (
    <div className="monitor-inner">
      <header className="conv-head">
        <h2>{props.customer}</h2>
        <span className="muted small">{props.conversation?.state ?? '…'} · {props.owner ? `with ${props.owner}` : 'no agent'}{joined ? ' · you have joined' : ' · monitoring (read-only)'}</span>
      </header>
      <Transcript ref={log} messages={props.messages} customer={props.customer} names={props.names} label="Monitored transcript" />
      {props.canSupervise && !ended && (
        <div className="supervise">
          <form onSubmit={(e) => { e.preventDefault(); void sendWhisper(); }} className="composer">
            <label htmlFor="supervisor-text" className="sr-only">{joined ? 'Whisper to the agent, or message the customer' : 'Whisper to the agent'}</label>
            <textarea id="supervisor-text" rows={2} value={draft} onChange={(e) => setDraft(e.target.value)} aria-label={joined ? 'Whisper to the agent, or message the customer' : 'Whisper to the agent'}
              placeholder={joined ? 'Whisper to the agent, or send to the customer (they see your name)' : 'Whisper to the agent (the customer never sees it)'} />
            <div className="stack">
              <button className="secondary" type="submit" disabled={draft.trim().length === 0}>Whisper</button>
              {joined && <button className="primary" type="button" disabled={draft.trim().length === 0} onClick={() => void sendToCustomer()}>Send to customer</button>}
            </div>
          </form>
          <div className="actions wrap">
            {joined
              ? <button className="secondary" type="button" onClick={() => void act('Could not leave', async () => { await api.leave(conversationId, joined.id); setJoined(undefined); })}>Leave</button>
              : <button className="primary" type="button" onClick={() => void act('Could not barge in', async () => setJoined(await api.barge(conversationId)))}>Barge in</button>}
            <label className="inline">Transfer to
              <select value={transferTo} onChange={(e) => setTransferTo(e.target.value)} aria-label="Transfer to queue">
                <option value="">Choose a queue…</option>
                {[...props.queues.values()].filter((q) => q.id !== props.conversation?.queueId).map((q) => <option key={q.id} value={q.id}>{q.name}</option>)}
              </select>
            </label>
            <button className="secondary" type="button" disabled={!transferTo} onClick={() => void act('Could not transfer', () => api.transfer(conversationId, transferTo, 'transferred by a supervisor'))}>Transfer</button>
            <button className="danger" type="button" onClick={() => void act('Could not close the conversation', () => api.changeState(conversationId, 'closed', 'closed by a supervisor'))}>Close conversation</button>
          </div>
        </div>
      )}
    </div>
  );
}

/** Agents of a queue by presence, as one stacked bar with the numbers beside it. */
function PresenceBar({ counts }: { counts: Readonly<Record<string, number>> }) {
  const entries = Object.entries(counts).filter(([, n]) => n > 0).sort(([a], [b]) => a.localeCompare(b));
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  const text = entries.map(([p, n]) => `${n} ${(PRESENCE_LABEL[p] ?? p).toLowerCase()}`).join(', ') || 'none';
  return (
    <span className="presence-bar" title={text}>
      <span className="bar" aria-hidden="true">
        {entries.map(([p, n]) => <span key={p} className={`seg presence-${p}`} style={{ width: `${(n / Math.max(1, total)) * 100}%` }} />)}
      </span>
      <span className="small">{text}</span>
    </span>
  );
}

/** A queue's load: the capacity its members use of what they have, from the agent board. */
function QueueLoad({ memberIds, agents }: { memberIds: readonly string[]; agents: readonly AgentBoardEntry[] }) {
  const members = new Set(memberIds);
  let used = 0;
  let capacity = 0;
  for (const a of agents) {
    if (!members.has(a.agentId)) continue;
    used += a.usedCapacity;
    capacity += a.capacity;
  }
  return <LoadBar used={used} capacity={capacity} />;
}

function LoadBar({ used, capacity }: { used: number; capacity: number }) {
  const share = capacity > 0 ? Math.min(1, used / capacity) : 0;
  return (
    <span className="load-bar">
      <meter min={0} max={Math.max(1, capacity)} value={used} aria-label="Load" />
      <span className="num small">{used} / {capacity}</span>
      <span className="sr-only">{Math.round(share * 100)}%</span>
    </span>
  );
}

/** A figure over the last hour (since the board opened), as a small step chart. */
function Sparkline({ samples, now, label, value, format }: {
  samples: readonly Sample[]; now: number; label: string; value: (s: Sample) => number; format: (v: number) => string;
}) {
  const width = 110;
  const height = 28;
  const peak = Math.max(1, ...samples.map(value));
  // The span shown grows with what was seen, from five minutes up to the hour.
  const span = Math.min(HISTORY_MS, Math.max(5 * 60 * 1000, now - (samples[0]?.at ?? now)));
  const x = (at: number) => width - ((now - at) / span) * width;
  const y = (v: number) => height - 2 - (v / peak) * (height - 4);
  // A step line: the figure holds until the next sample, and the last one holds until now.
  let path = '';
  samples.forEach((s, i) => {
    const nextAt = samples[i + 1]?.at ?? now;
    path += `${i === 0 ? 'M' : 'L'}${Math.max(0, x(s.at)).toFixed(1)},${y(value(s)).toFixed(1)} H${Math.max(0, x(nextAt)).toFixed(1)} `;
  });
  const last = samples.at(-1);
  return (
    <svg className="spark" width={width} height={height} role="img" aria-label={`${label}: peak ${format(samples.length ? peak : 0)}, now ${format(last ? value(last) : 0)}`}>
      <line x1={0} y1={height - 2} x2={width} y2={height - 2} className="axis" />
      {path && <path d={path} />}
    </svg>
  );
}

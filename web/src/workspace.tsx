import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { AssistBotsPanel } from './assist-bots.js';
import {
  tenantApi, type Agent, type AgentStatus, type TenantApi, type Channel, type Contact, type Conversation, type Message, type Offer, type Queue,
  type SessionInfo, type SwitchboardEvent,
} from './api.js';
import { ContextPanel } from './context-panel.js';
import { WrapUpPanel } from './wrap-up-panel.js';
import { duration, errorText } from './format.js';
import { signOutAndLeave } from './nav.js';
import { EventStream, type StreamState } from './stream.js';
import { isMessageRevision, withRevision } from './message-revisions.js';
import { Transcript } from './transcript.js';

/** The presences an agent picks from here (the API knows a few more, set by calendars and phones). */
const PRESENCE_CHOICES: readonly { value: string; label: string }[] = [
  { value: 'available', label: 'Available' },
  { value: 'busy', label: 'Busy' },
  { value: 'busy-dnd', label: 'Do not disturb' },
  { value: 'away', label: 'Away' },
  { value: 'offline', label: 'Offline' },
];

const REJECT_REASONS = ['Busy with another customer', 'Not my skill', 'Going on a break'] as const;

/** How long "is typing" shows after the customer's last typing signal. */
const TYPING_SHOWN_MS = 5_000;
/** At most one typing signal to the customer per this many milliseconds. */
const TYPING_SIGNAL_MS = 3_000;

interface ConversationInfo {
  readonly conversation: Conversation;
  readonly contact: Contact | undefined;
}

/** The agent workspace: presence and load, live offers, the agent's conversations and the open one's transcript. */
export function Workspace({ session, nav }: { session: SessionInfo; nav?: ReactNode }) {
  const tenantId = session.tenant.id;
  const agentId = session.user.agentId;
  const api = useMemo(() => tenantApi(tenantId), [tenantId]);

  const [status, setStatus] = useState<AgentStatus>();
  const [queues, setQueues] = useState<ReadonlyMap<string, Queue>>(new Map());
  const [colleagues, setColleagues] = useState<readonly Agent[]>([]);
  const [channels, setChannels] = useState<ReadonlyMap<string, Channel>>(new Map());
  const [infos, setInfos] = useState<ReadonlyMap<string, ConversationInfo>>(new Map());
  const [messages, setMessages] = useState<ReadonlyMap<string, readonly Message[]>>(new Map());
  const [unread, setUnread] = useState<ReadonlyMap<string, number>>(new Map());
  const [typingUntil, setTypingUntil] = useState<ReadonlyMap<string, number>>(new Map());
  const [rejectReasons, setRejectReasons] = useState<ReadonlyMap<string, string>>(new Map());
  const [openId, setOpenId] = useState<string>();
  const [streamState, setStreamState] = useState<StreamState>('connecting');
  const [problem, setProblem] = useState<string>();
  const [now, setNow] = useState(() => Date.now());
  const stream = useRef<EventStream>(undefined);
  const openRef = useRef<string>(undefined);
  openRef.current = openId;
  const loading = useRef(new Set<string>());

  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(tick);
  }, []);

  const loadInfo = useCallback(async (conversationId: string) => {
    if (loading.current.has(`info:${conversationId}`)) return;
    loading.current.add(`info:${conversationId}`);
    try {
      const conversation = await api.conversation(conversationId);
      const contact = await api.contact(conversation.contactId).catch(() => undefined);
      setInfos((m) => new Map(m).set(conversationId, { conversation, contact }));
    } finally {
      loading.current.delete(`info:${conversationId}`);
    }
  }, [api]);

  /** Adds messages in seq order, each once (the stream and a command's answer may both bring one). */
  const addMessages = useCallback((conversationId: string, incoming: readonly Message[]) => {
    setMessages((m) => {
      const known = m.get(conversationId) ?? [];
      const seen = new Set(known.map((x) => x.seq));
      const fresh = incoming.filter((x) => !seen.has(x.seq));
      if (fresh.length === 0) return m;
      return new Map(m).set(conversationId, [...known, ...fresh].sort((a, b) => a.seq - b.seq));
    });
  }, []);

  const loadMessages = useCallback(async (conversationId: string) => {
    if (loading.current.has(`msg:${conversationId}`)) return;
    loading.current.add(`msg:${conversationId}`);
    try {
      let after = 0;
      for (;;) {
        const page = await api.messages(conversationId, after);
        addMessages(conversationId, page.items);
        if (page.items.length < 500) break;
        after = page.items[page.items.length - 1]!.seq;
      }
    } finally {
      loading.current.delete(`msg:${conversationId}`);
    }
  }, [api, addMessages]);

  const refresh = useCallback(async () => {
    if (!agentId) return;
    try {
      const next = await api.agentStatus(agentId);
      setStatus(next);
      for (const offer of next.pendingOffers) {
        void loadInfo(offer.conversationId).catch(() => undefined);
        // The offered agent may read the conversation: the bot's escalation summary shows on the offer.
        void loadMessages(offer.conversationId).catch(() => undefined);
      }
      for (const c of next.conversations) {
        if (c.status !== 'assigned') continue;
        void loadInfo(c.conversationId).catch(() => undefined);
        void loadMessages(c.conversationId).catch(() => undefined);
      }
    } catch (error) {
      setProblem(`Could not load your status: ${errorText(error)}`);
    }
  }, [api, agentId, loadInfo, loadMessages]);

  // Many events can arrive at once (a burst of routing changes): one status read for them.
  const refreshTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const scheduleRefresh = useCallback(() => {
    if (refreshTimer.current) return;
    refreshTimer.current = setTimeout(() => {
      refreshTimer.current = undefined;
      void refresh();
    }, 50);
  }, [refresh]);

  const onEvent = useCallback((event: SwitchboardEvent) => {
    const p = event.payload;
    if (isMessageRevision(event.type)) {
      const message = p.message as Message | undefined;
      if (message) setMessages((m) => (m.has(message.conversationId) ? new Map(m).set(message.conversationId, withRevision(m.get(message.conversationId)!, message)) : m));
      return;
    }
    if (event.type === 'message.created') {
      const message = p.message as Message | undefined;
      if (!message || !event.conversationId) return;
      addMessages(message.conversationId, [message]);
      if (message.senderRole === 'customer') {
        setTypingUntil((m) => {
          if (!m.has(message.conversationId)) return m;
          const next = new Map(m);
          next.delete(message.conversationId);
          return next;
        });
      }
      if (openRef.current !== message.conversationId && message.senderRole !== 'agent') {
        setUnread((u) => new Map(u).set(message.conversationId, (u.get(message.conversationId) ?? 0) + 1));
      }
      return;
    }
    const offer = p.offer as Offer | undefined;
    const mine = p.agentId === agentId || offer?.agentId === agentId;
    if (event.type.startsWith('routing.') || event.type === 'agent.presence_changed' || event.type === 'conversation.state_changed' || event.type.startsWith('participant.')) {
      if (mine || event.type === 'conversation.state_changed') scheduleRefresh();
    }
    if (event.type === 'conversation.state_changed' && event.conversationId) {
      const id = event.conversationId;
      setInfos((m) => {
        const info = m.get(id);
        const to = p.to as string | undefined;
        if (!info || !to) return m;
        return new Map(m).set(id, { ...info, conversation: { ...info.conversation, state: to } });
      });
    }
  }, [agentId, addMessages, scheduleRefresh]);

  useEffect(() => {
    if (!agentId) return undefined;
    api.queues().then((items) => setQueues(new Map(items.map((q) => [q.id, q]))), () => undefined);
    api.channels().then((items) => setChannels(new Map(items.map((c) => [c.id, c]))), () => undefined);
    api.agents().then((items) => setColleagues(items.filter((a) => a.kind === 'human' && a.id !== agentId)), () => undefined);
    const s = new EventStream(tenantId, agentId, {
      onState: setStreamState,
      onEvent: (e) => onEventRef.current(e),
      onSubscribed: () => void refreshRef.current(),
      onTyping: (conversationId) => setTypingUntil((m) => new Map(m).set(conversationId, Date.now() + TYPING_SHOWN_MS)),
    });
    stream.current = s;
    return () => s.close();
  }, [api, tenantId, agentId]);
  const onEventRef = useRef(onEvent);
  onEventRef.current = onEvent;
  const refreshRef = useRef(refresh);
  refreshRef.current = refresh;

  const run = useCallback(async (what: string, action: string, fields: Record<string, unknown>) => {
    try {
      setProblem(undefined);
      const result = await stream.current!.command(action, fields);
      return result;
    } catch (error) {
      setProblem(`${what}: ${errorText(error)}`);
      return undefined;
    }
  }, []);

  const setPresence = async (presence: string) => {
    const result = await run('Could not change your presence', 'presence', { presence });
    if (result) void refresh();
  };
  const accept = async (offer: Offer) => {
    const result = await run('Could not accept the offer', 'accept', { offerId: offer.id });
    if (result) {
      open(offer.conversationId);
      void refresh();
    }
  };
  const reject = async (offer: Offer, reason: string) => {
    const result = await run('Could not reject the offer', 'reject', { offerId: offer.id, ...(reason ? { reason } : {}) });
    if (result) void refresh();
  };
  const send = async (conversationId: string, text: string): Promise<boolean> => {
    const result = (await run('Your message was not sent', 'message', { conversationId, text, idempotencyKey: crypto.randomUUID() })) as Message | undefined;
    if (result) addMessages(conversationId, [result]);
    return result !== undefined;
  };
  /** Work on the open conversation through the REST API; a transfer's note goes first, as an internal message the next agent reads. */
  const act = async (what: string, work: () => Promise<unknown>): Promise<boolean> => {
    try {
      setProblem(undefined);
      await work();
      void refresh();
      return true;
    } catch (error) {
      setProblem(`${what}: ${errorText(error)}`);
      return false;
    }
  };
  const actions: ConversationActions = {
    transfer: (conversationId, target, note) => act('Could not transfer', async () => {
      if (note) await stream.current!.command('message', { conversationId, text: `Transfer note: ${note}`, visibility: 'internal', idempotencyKey: crypto.randomUUID() });
      if (target.kind === 'queue') await api.transfer(conversationId, target.id, note || undefined);
      else await api.transferToAgent(conversationId, target.id, note || undefined);
    }),
    consult: (conversationId, colleagueId) => act('Could not invite the colleague', () => api.consult(conversationId, colleagueId)),
    wrapUp: (conversationId) => act('Could not end the conversation', () => stream.current!.command('wrap-up', { conversationId })),
    close: (conversationId, survey) => act('Could not close the conversation', async () => {
      // The channel's satisfaction survey is offered unless the agent closes without it.
      if (!survey) await api.setContext(conversationId, { 'survey.offered': { type: 'boolean', value: false } });
      await stream.current!.command('close', { conversationId });
    }),
  };

  const open = (conversationId: string) => {
    setOpenId(conversationId);
    setUnread((u) => {
      if (!u.has(conversationId)) return u;
      const next = new Map(u);
      next.delete(conversationId);
      return next;
    });
  };

  const doSignOut = async () => {
    stream.current?.close();
    await signOutAndLeave(tenantId);
  };

  if (!agentId) {
    return (
      <main className="card">
        <h1>Hello, {session.user.displayName}</h1>
        <p>Your account is not linked to an agent, so there is no workspace to show yet. An administrator links it (<code>agentId</code> on the user).</p>
        <button className="secondary" type="button" onClick={() => void doSignOut()}>Sign out</button>
      </main>
    );
  }

  const assigned = (status?.conversations ?? []).filter((c) => c.status === 'assigned');
  const offers = status?.pendingOffers ?? [];
  const openInfo = openId ? infos.get(openId) : undefined;
  const channelLabel = (info: ConversationInfo | undefined) => {
    const ch = info ? channels.get(info.conversation.channelId) : undefined;
    return ch ? `${ch.name} (${ch.type})` : '…';
  };
  const customerName = (info: ConversationInfo | undefined) => info?.contact?.displayName ?? 'Customer';

  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Switchboard</span>
        <span className="muted">{session.tenant.name ?? tenantId}</span>
        {nav}
        <span className="spacer" />
        <label className="presence">
          <span>Presence</span>
          <select aria-label="Presence" value={status?.presence ?? ''} onChange={(e) => void setPresence(e.target.value)} disabled={!status || streamState !== 'open'}>
            {!PRESENCE_CHOICES.some((c) => c.value === status?.presence) && <option value={status?.presence ?? ''}>{status?.presence ?? '…'}</option>}
            {PRESENCE_CHOICES.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
          </select>
        </label>
        <span className="load" aria-label="Load">Load <strong data-testid="load">{status ? `${status.usedCapacity} / ${status.capacity}` : '…'}</strong></span>
        <span className={`conn conn-${streamState}`} role="status">{streamState === 'open' ? 'Live' : streamState === 'connecting' ? 'Connecting…' : 'Reconnecting…'}</span>
        <span className="who">{session.user.displayName}</span>
        <button className="secondary small" type="button" onClick={() => void doSignOut()}>Sign out</button>
      </header>
      {problem && <p className="banner error" role="alert">{problem} <button className="link" type="button" onClick={() => setProblem(undefined)}>Dismiss</button></p>}
      <div className="columns">
        <nav className="side" aria-label="Work">
          <section aria-labelledby="offers-h" className="offers" aria-live="polite">
            <h2 id="offers-h">Offers <span className="count">{offers.length}</span>
              {(status?.missedOffers ?? 0) > 0 && <span className="missed" data-testid="missed">{status!.missedOffers} missed</span>}</h2>
            {offers.length === 0 && <p className="muted empty">{status?.presence === 'available' ? 'Waiting for work.' : 'Set yourself available to get offers.'}</p>}
            {offers.map((offer) => {
              const info = infos.get(offer.conversationId);
              const summary = [...(messages.get(offer.conversationId) ?? [])].reverse().find((m) => m.channelData?.switchboard?.kind === 'escalation-summary');
              const left = (Date.parse(offer.expiresAt) - now) / 1000;
              const total = (Date.parse(offer.expiresAt) - Date.parse(offer.createdAt)) / 1000;
              return (
                <article key={offer.id} className="offer" aria-label={`Offer from ${customerName(info)}`}>
                  <h3>{customerName(info)}</h3>
                  <dl>
                    <dt>Channel</dt><dd>{channelLabel(info)}</dd>
                    <dt>Queue</dt><dd>{queues.get(offer.queueId)?.name ?? offer.queueId}</dd>
                    <dt>Waiting</dt><dd>{info ? duration((now - Date.parse(info.conversation.createdAt)) / 1000) : '…'}</dd>
                  </dl>
                  {summary && <p className="summary"><span className="badge">Bot summary</span> {summary.text}</p>}
                  <div className="countdown" role="timer" aria-label="Time left to answer">
                    <progress max={Math.max(1, total)} value={Math.max(0, left)} />
                    <span>{left > 0 ? `${Math.min(Math.ceil(left), Math.round(total))} s left` : 'Expiring…'}</span>
                  </div>
                  <div className="actions">
                    <button className="primary" type="button" onClick={() => void accept(offer)}>Accept</button>
                    <button className="secondary" type="button" onClick={() => void reject(offer, rejectReasons.get(offer.id) ?? '')}>Reject</button>
                    <select aria-label="Reason for rejecting" className="reason" value={rejectReasons.get(offer.id) ?? ''}
                      onChange={(e) => setRejectReasons((m) => new Map(m).set(offer.id, e.target.value))}>
                      <option value="">Reason (optional)</option>
                      {REJECT_REASONS.map((r) => <option key={r} value={r}>{r}</option>)}
                    </select>
                  </div>
                </article>
              );
            })}
          </section>
          <section aria-labelledby="convs-h">
            <h2 id="convs-h">Conversations <span className="count">{assigned.length}</span></h2>
            {assigned.length === 0 && <p className="muted empty">No conversations yet.</p>}
            <ul className="convs">
              {assigned.map((c) => {
                const info = infos.get(c.conversationId);
                const list = messages.get(c.conversationId) ?? [];
                const last = [...list].reverse().find((m) => m.visibility === 'public');
                const count = unread.get(c.conversationId) ?? 0;
                return (
                  <li key={c.conversationId}>
                    <button type="button" className={`conv${openId === c.conversationId ? ' selected' : ''}`} aria-current={openId === c.conversationId ? 'true' : undefined} onClick={() => open(c.conversationId)}>
                      <span className="conv-top">
                        <strong>{customerName(info)}</strong>
                        {count > 0 && <span className="unread" aria-label={`${count} unread`}>{count}</span>}
                      </span>
                      <span className="muted small">{queues.get(c.queueId)?.name ?? ''} · {channelLabel(info)}</span>
                      <span className="preview">{last ? last.text : ' '}</span>
                    </button>
                  </li>
                );
              })}
            </ul>
          </section>
        </nav>
        <main className="main">
          {openId && openInfo
            ? <ConversationView key={openId} info={openInfo} title={customerName(openInfo)} customer={openInfo.contact?.displayName ?? 'Customer'} channel={channelLabel(openInfo)} messages={messages.get(openId) ?? []} agentId={agentId} onSend={(text) => send(openId, text)}
              wrapUp={openInfo.conversation.state === 'wrap_up'
                ? <WrapUpPanel api={api} conversationId={openId} now={now} onProblem={setProblem} onFinished={() => { void refresh(); void loadInfo(openId); }} />
                : null}
              api={api}
              customerTyping={(typingUntil.get(openId) ?? 0) > now} onTyping={() => void stream.current?.command('typing', { conversationId: openId }).catch(() => undefined)}
              queues={[...queues.values()]} colleagues={colleagues} actions={actions} context={<ContextPanel api={api} conversation={openInfo.conversation} agentId={agentId} queues={queues} />} />
            : <div className="placeholder muted"><p>{assigned.length > 0 ? 'Choose a conversation.' : 'Accepted conversations open here.'}</p></div>}
        </main>
      </div>
    </div>
  );
}

type TransferTarget = { kind: 'queue' | 'agent'; id: string };

interface ConversationActions {
  transfer(conversationId: string, target: TransferTarget, note: string): Promise<boolean>;
  consult(conversationId: string, colleagueId: string): Promise<boolean>;
  wrapUp(conversationId: string): Promise<boolean>;
  close(conversationId: string, survey: boolean): Promise<boolean>;
}

function ConversationView(props: {
  info: ConversationInfo; title: string; customer: string; channel: string; messages: readonly Message[]; agentId: string; onSend: (text: string) => Promise<boolean>;
  queues: readonly Queue[]; colleagues: readonly Agent[]; actions: ConversationActions; context: ReactNode;
  customerTyping: boolean; onTyping: () => void; wrapUp: ReactNode; api: TenantApi;
}) {
  const [replies, setReplies] = useState<readonly { id: string; title: string; text: string; missing: string[] }[]>();
  const typingSent = useRef(0);
  const [draft, setDraft] = useState('');
  const [sending, setSending] = useState(false);
  const log = useRef<HTMLOListElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const closed = ['wrap_up', 'closed', 'abandoned'].includes(props.info.conversation.state);

  useEffect(() => {
    input.current?.focus();
  }, []);
  // A new message scrolls the transcript to the end; an edit (the text grows in place) does too
  // when the agent was reading the end, not when they had scrolled up to read something older.
  const atEnd = useRef(true);
  const shown = useRef(0);
  /** Where this code last scrolled to: a scroll event arriving after the content grew is not the agent scrolling up. */
  const pinned = useRef(0);
  useEffect(() => {
    const el = log.current;
    if (!el) return;
    const onScroll = () => {
      atEnd.current = el.scrollTop >= pinned.current - 2 || el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    };
    el.addEventListener('scroll', onScroll);
    return () => el.removeEventListener('scroll', onScroll);
  }, []);
  useEffect(() => {
    const el = log.current;
    if (!el) return;
    if (props.messages.length !== shown.current || atEnd.current) {
      el.scrollTop = el.scrollHeight;
      pinned.current = el.scrollTop;
    }
    shown.current = props.messages.length;
  }, [props.messages]);

  const submit = async () => {
    const text = draft.trim();
    if (!text || sending) return;
    setSending(true);
    const ok = await props.onSend(text);
    setSending(false);
    if (ok) setDraft('');
    input.current?.focus();
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  };

  return (
    <>
    <section className="conversation" aria-labelledby="conv-title">
      <header className="conv-head">
        <h2 id="conv-title">{props.title}</h2>
        <span className="muted small">{props.channel} · {props.info.conversation.state}</span>
        <span className="spacer" />
        <ConversationToolbar conversationId={props.info.conversation.id} state={props.info.conversation.state} queues={props.queues} colleagues={props.colleagues} actions={props.actions} api={props.api} />
      </header>
      <Transcript ref={log} messages={props.messages} customer={props.customer} selfAgentId={props.agentId} />
      {props.wrapUp}
      <p className="typing" aria-live="polite">{props.customerTyping ? `${props.customer} is typing…` : ''}</p>
      {!closed && (
        <div className="quick-replies">
          <button className="link small" type="button" aria-expanded={replies !== undefined} onClick={() => {
            if (replies) setReplies(undefined);
            else props.api.quickRepliesFor(props.info.conversation.id).then(setReplies, () => setReplies([]));
          }}>Quick replies</button>
          {replies && (
            <ul aria-label="Quick replies">
              {replies.length === 0 && <li className="muted small">This queue has no quick replies.</li>}
              {replies.map((r) => (
                <li key={r.id}>
                  {/* Inserted as text for the agent to read and edit; sending is still the agent's decision. */}
                  <button type="button" className="secondary small" title={r.text} onClick={() => {
                    setDraft((d) => (d.trim() ? `${d.trimEnd()} ${r.text}` : r.text));
                    setReplies(undefined);
                    input.current?.focus();
                  }}>{r.title}</button>
                  {r.missing.length > 0 && <span className="muted small"> (no value for {r.missing.join(', ')})</span>}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <form className="composer" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
        <label htmlFor="reply" className="sr-only">Reply</label>
        <textarea id="reply" ref={input} rows={3} value={draft} placeholder={closed ? 'This conversation has ended.' : 'Write a reply (Enter sends, Shift+Enter for a new line)'}
          onChange={(e) => {
            setDraft(e.target.value);
            // The customer sees "typing" for a few seconds per signal: one every few seconds is enough.
            if (Date.now() - typingSent.current > TYPING_SIGNAL_MS) {
              typingSent.current = Date.now();
              props.onTyping();
            }
          }} onKeyDown={onKey} disabled={closed} aria-label="Reply" />
        <button className="primary" type="submit" disabled={closed || sending || draft.trim().length === 0}>Send</button>
      </form>
    </section>
    {props.context}
    </>
  );
}

/**
 * The agent's actions on the open conversation: transfer to a queue or a colleague with a note,
 * invite a colleague to consult or an assist bot to advise, end it (wrap-up) and close it. One
 * panel opens at a time.
 */
function ConversationToolbar(props: { conversationId: string; state: string; queues: readonly Queue[]; colleagues: readonly Agent[]; actions: ConversationActions; api: TenantApi }) {
  const [panel, setPanel] = useState<'transfer' | 'consult' | 'assist'>();
  const [target, setTarget] = useState('');
  const [note, setNote] = useState('');
  const [colleague, setColleague] = useState('');
  const { conversationId, actions } = props;
  const active = props.state === 'active';
  const toggle = (next: 'transfer' | 'consult' | 'assist') => setPanel((p) => (p === next ? undefined : next));
  const [kind, id] = target.split(':') as ['queue' | 'agent' | '', string];

  return (
    <div className="toolbar">
      <div className="actions">
        {active && <button className="secondary small" type="button" aria-expanded={panel === 'transfer'} onClick={() => toggle('transfer')}>Transfer…</button>}
        {active && <button className="secondary small" type="button" aria-expanded={panel === 'consult'} onClick={() => toggle('consult')}>Consult…</button>}
        {active && <button className="secondary small" type="button" aria-expanded={panel === 'assist'} onClick={() => toggle('assist')}>Assist bots…</button>}
        {active && <button className="secondary small" type="button" onClick={() => void actions.wrapUp(conversationId)}>Wrap up</button>}
        {(active || props.state === 'wrap_up') && <button className="danger small" type="button" onClick={() => void actions.close(conversationId, true)}>Close</button>}
        {(active || props.state === 'wrap_up') && <button className="secondary small" type="button" onClick={() => void actions.close(conversationId, false)}>Close without survey</button>}
      </div>
      {panel === 'transfer' && (
        <form className="popover" aria-label="Transfer" onSubmit={(e) => {
          e.preventDefault();
          if (kind && id) void actions.transfer(conversationId, { kind, id }, note.trim()).then((ok) => ok && setPanel(undefined));
        }}>
          <label>To
            <select value={target} onChange={(e) => setTarget(e.target.value)} autoFocus aria-label="Transfer to">
              <option value="">Choose…</option>
              <optgroup label="Queues">{props.queues.map((q) => <option key={q.id} value={`queue:${q.id}`}>{q.name}</option>)}</optgroup>
              <optgroup label="Colleagues">{props.colleagues.map((a) => <option key={a.id} value={`agent:${a.id}`}>{a.displayName}</option>)}</optgroup>
            </select>
          </label>
          <label>Note for the next agent
            <textarea rows={2} value={note} onChange={(e) => setNote(e.target.value)} maxLength={500} aria-label="Transfer note" />
          </label>
          <button className="primary small" type="submit" disabled={!kind || !id}>Transfer</button>
        </form>
      )}
      {panel === 'assist' && <AssistBotsPanel api={props.api} conversationId={conversationId} />}
      {panel === 'consult' && (
        <form className="popover" aria-label="Consult" onSubmit={(e) => {
          e.preventDefault();
          if (colleague) void actions.consult(conversationId, colleague).then((ok) => ok && setPanel(undefined));
        }}>
          <label>Colleague
            <select value={colleague} onChange={(e) => setColleague(e.target.value)} autoFocus aria-label="Consult colleague">
              <option value="">Choose…</option>
              {props.colleagues.map((a) => <option key={a.id} value={a.id}>{a.displayName}</option>)}
            </select>
          </label>
          <button className="primary small" type="submit" disabled={!colleague}>Invite</button>
        </form>
      )}
    </div>
  );
}

import { useEffect, useState } from 'react';
import type { Conversation, Queue, TenantApi } from './api.js';
import { ApiError } from './api.js';
import { errorText, time } from './format.js';

interface ContextVariable {
  readonly name: string;
  readonly type: string;
  readonly value: unknown;
}

interface Decision {
  readonly kind: string;
  readonly at: string;
  readonly explanation: Record<string, unknown>;
}

interface Loaded {
  readonly variables: readonly ContextVariable[];
  readonly decisions: readonly Decision[];
  readonly previous: readonly Conversation[];
}

/** A context value as text: lists joined, everything else as its JSON form's text (never markup). */
function show(value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

const REASON: Record<string, string> = { presence: 'presence', capacity: 'no free capacity', skills: 'skills', excluded: 'just declined it' };

/**
 * What an agent knows about the open conversation besides its messages: the context variables
 * (what the pre-chat form, the page and a bot gathered), why it came to this agent (the routing
 * rule that picked the queue, the assignment method, who was passed over and why), and the
 * customer's earlier conversations. Everything is shown as text.
 */
export function ContextPanel(props: { api: TenantApi; conversation: Conversation; agentId: string; queues: ReadonlyMap<string, Queue> }) {
  const { api, conversation, agentId } = props;
  const [loaded, setLoaded] = useState<Loaded>();
  const [problem, setProblem] = useState<string>();

  useEffect(() => {
    let live = true;
    Promise.all([
      api.context(conversation.id),
      api.routing(conversation.id).catch(() => ({ decisions: [] as Decision[] })),
      api.conversations({ contactId: conversation.contactId }).catch(() => [] as Conversation[]),
    ]).then(([variables, routing, history]) => {
      if (live) setLoaded({ variables, decisions: routing.decisions, previous: history.filter((c) => c.id !== conversation.id) });
    }, (error: unknown) => live && setProblem(errorText(error)));
    return () => {
      live = false;
    };
  }, [api, conversation.id, conversation.contactId]);

  if (problem) return <aside className="context" aria-label="Context"><p className="muted">Context unavailable: {problem}</p></aside>;
  if (!loaded) return <aside className="context" aria-label="Context"><p className="muted">Loading context…</p></aside>;

  const routed = [...loaded.decisions].reverse().find((d) => d.kind === 'queued' || d.kind === 'overflow');
  const chosen = [...loaded.decisions].reverse().find((d) => (d.kind === 'offered' || d.kind === 'assigned') && d.explanation.agentId === agentId && d.explanation.why !== undefined);
  const passedOver = (chosen?.explanation.passedOver as { agentId: string; reason: string }[] | undefined) ?? [];
  const skills = (chosen?.explanation.appliedSkills as { skill: string; minProficiency: number }[] | undefined) ?? [];
  const queueName = (id: unknown) => (typeof id === 'string' ? props.queues.get(id)?.name ?? id : '–');

  return (
    <aside className="context" aria-label="Context">
      <section aria-labelledby="ctx-vars">
        <h3 id="ctx-vars">Context</h3>
        {loaded.variables.length === 0
          ? <p className="muted small">No context variables.</p>
          : <dl className="kv">{loaded.variables.map((v) => [<dt key={`${v.name}-k`}>{v.name}</dt>, <dd key={`${v.name}-v`}>{show(v.value)}</dd>])}</dl>}
      </section>
      <section aria-labelledby="ctx-why">
        <h3 id="ctx-why">Why me</h3>
        {chosen
          ? (
            <ul className="why small">
              <li>Queue <strong>{queueName(chosen.explanation.queueId)}</strong>{routed?.explanation.matchedRule ? <> by rule <code>{String(routed.explanation.matchedRule)}</code></> : routed ? ' (the fallback queue)' : ''}</li>
              <li>{String(chosen.explanation.why)}</li>
              {skills.length > 0 && <li>Skills: {skills.map((s) => `${s.skill} ≥ ${s.minProficiency}`).join(', ')}</li>}
              <li>{passedOver.length === 0 ? 'Nobody was passed over.' : `Passed over first: ${passedOver.map((p) => REASON[p.reason] ?? p.reason).join(', ')}`}</li>
            </ul>
          )
          : <p className="muted small">{conversation.queueId ? `Routed through ${queueName(conversation.queueId)}.` : 'Not routed by the engine.'}</p>}
      </section>
      <CrmPanel api={api} conversationId={conversation.id} />
      <section aria-labelledby="ctx-prev">
        <h3 id="ctx-prev">Previous conversations</h3>
        {loaded.previous.length === 0
          ? <p className="muted small">None.</p>
          : (
            <ul className="previous small">
              {loaded.previous.slice(0, 10).map((c) => (
                <li key={c.id}><time dateTime={c.createdAt}>{new Date(c.createdAt).toLocaleDateString()} {time(c.createdAt)}</time> · {c.subject ?? 'No subject'} · {c.state}</li>
              ))}
            </ul>
          )}
      </section>
    </aside>
  );
}

type CrmState = { kind: 'loading' } | { kind: 'none' } | { kind: 'failed'; message: string } | { kind: 'ok'; fields: readonly { label: string; value: string; url?: string }[] };

/** An http(s) address from the CRM becomes a link; anything else stays text. */
function crmLink(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The screen pop: what the tenant's CRM says about this customer, asked for when the conversation
 * opens (the server posts the customer and context to the configured endpoint). Hidden when no
 * CRM is configured; a failing CRM shows its short reason, never its body.
 */
function CrmPanel({ api, conversationId }: { api: TenantApi; conversationId: string }) {
  const [state, setState] = useState<CrmState>({ kind: 'loading' });
  const load = () => {
    setState({ kind: 'loading' });
    api.crm(conversationId).then((r) => setState({ kind: 'ok', fields: r.fields }), (error: unknown) => {
      if (error instanceof ApiError && error.code === 'SB_ERR_CRM_LOOKUP_NOT_CONFIGURED') setState({ kind: 'none' });
      else setState({ kind: 'failed', message: errorText(error) });
    });
  };
  useEffect(load, [api, conversationId]);
  if (state.kind === 'none') return null;
  return (
    <section aria-labelledby="ctx-crm">
      <h3 id="ctx-crm">Customer record <button className="link small" type="button" onClick={load}>Refresh</button></h3>
      {state.kind === 'loading' && <p className="muted small">Asking the CRM…</p>}
      {state.kind === 'failed' && <p className="muted small">The CRM did not answer: {state.message}</p>}
      {state.kind === 'ok' && (state.fields.length === 0
        ? <p className="muted small">The CRM knows nothing about this customer.</p>
        : (
          <dl className="kv">
            {state.fields.map((f, i) => [
              <dt key={`k${i}`}>{f.label}</dt>,
              <dd key={`v${i}`}>{crmLink(f.url) ? <a href={crmLink(f.url)} target="_blank" rel="noopener noreferrer">{f.value}</a> : f.value}</dd>,
            ])}
          </dl>
        ))}
    </section>
  );
}

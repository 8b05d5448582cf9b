import { forwardRef } from 'react';
import type { Message } from './api.js';
import { time } from './format.js';

const ROLE_LABEL: Record<Message['senderRole'], string> = { customer: 'Customer', bot: 'Bot', agent: 'Agent', supervisor: 'Supervisor', system: 'System' };

/**
 * A conversation's messages as the agent side sees them: customer, bot, agent and supervisor turns
 * distinct, notes and whispers marked as agent-only. Text is rendered as text, never as HTML
 * (React escapes it; CSS keeps the line breaks), whoever wrote it.
 */
export const Transcript = forwardRef<HTMLOListElement, {
  messages: readonly Message[];
  customer: string;
  /** The viewer's own agent id, shown as "You". */
  selfAgentId?: string | null;
  /** Display names of agents and supervisors by sender id, where known. */
  names?: ReadonlyMap<string, string>;
  label?: string;
}>(function Transcript(props, ref) {
  return (
    <ol className="transcript" ref={ref} role="log" aria-label={props.label ?? 'Transcript'} tabIndex={0}>
      {props.messages.map((m) => {
        const agentSide = m.visibility !== 'public';
        const named = m.senderId ? props.names?.get(m.senderId) : undefined;
        const who = m.senderRole === 'agent' && props.selfAgentId && m.senderId === props.selfAgentId ? 'You'
          : m.senderRole === 'customer' ? `${props.customer} (customer)`
            : named ? `${named} (${ROLE_LABEL[m.senderRole].toLowerCase()})` : ROLE_LABEL[m.senderRole] ?? m.senderRole;
        return (
          <li key={m.seq} className={`msg from-${m.senderRole}${agentSide ? ' agent-only' : ''}`} data-seq={m.seq}>
            <span className="meta">
              <span className="who">{who}</span>
              <time dateTime={m.createdAt}>{time(m.createdAt)}</time>
              {agentSide && <span className="badge">{m.visibility === 'whisper' ? 'Whisper · ' : 'Note · '}only agents see this</span>}
            </span>
            <span className="text">{m.text}</span>
          </li>
        );
      })}
    </ol>
  );
});

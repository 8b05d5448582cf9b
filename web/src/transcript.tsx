import { forwardRef } from 'react';
import type { Message } from './api.js';
import { time } from './format.js';

/** Only this server's attachment paths and web addresses become links; anything else (javascript:, data:) stays text. */
function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  if (url.startsWith('/attachments/')) return url;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} B`;
}

/** What kind of agent-only turn it is: a supervisor's whisper, an assist bot's suggestion, a bot's handoff summary, a note. */
function badgeOf(m: Message): string {
  if (m.visibility === 'whisper') return 'Whisper';
  const kind = m.channelData?.switchboard?.kind;
  return kind === 'suggestion' ? 'Suggestion' : kind === 'escalation-summary' ? 'Summary' : 'Note';
}

const ROLE_LABEL: Record<Message['senderRole'], string> = { customer: 'Customer', bot: 'Bot', agent: 'Agent', supervisor: 'Supervisor', system: 'System' };

/**
 * A conversation's messages as the agent side sees them: customer, bot, agent and supervisor turns
 * distinct, notes and whispers marked as agent-only, attachments as download links. Text is
 * rendered as text, never as HTML (React escapes it; CSS keeps the line breaks), whoever wrote it.
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
              {agentSide && <span className="badge">{badgeOf(m)} · only agents see this</span>}
            </span>
            {m.deletedAt ? <span className="text muted deleted">message deleted</span> : m.text && <span className="text">{m.text}</span>}
            {m.editedAt && !m.deletedAt && <span className="muted small edited">edited</span>}
            {(m.attachments ?? []).length > 0 && (
              <ul className="attachments">
                {m.attachments!.map((a, i) => (
                  <li key={i}>
                    {safeUrl(a.url)
                      ? <a href={safeUrl(a.url)} target="_blank" rel="noopener noreferrer" download={a.name}>{a.name}</a>
                      : <span>{a.name}</span>}
                    <span className="muted small"> {a.contentType}{a.size !== undefined ? `, ${formatSize(a.size)}` : ''}</span>
                  </li>
                ))}
              </ul>
            )}
          </li>
        );
      })}
    </ol>
  );
});

import { useEffect, useState } from 'react';
import type { AssistBot, TenantApi } from './api.js';
import { errorText } from './format.js';

/**
 * The assist bots of the open conversation: who advises in it now (by its queue or invited) and
 * who could be asked in. An invited bot hears the transcript so far and then the conversation;
 * what it sends shows in the transcript as a suggestion only agents see.
 */
export function AssistBotsPanel(props: { api: TenantApi; conversationId: string }) {
  const [bots, setBots] = useState<readonly AssistBot[]>();
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const { api, conversationId } = props;

  const load = () => api.assistBots(conversationId).then(setBots, (e: unknown) => setProblem(errorText(e)));
  useEffect(() => {
    void load();
  }, [conversationId]);

  const act = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setProblem(undefined);
    try {
      await work();
      await load();
    } catch (e) {
      setProblem(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="popover" role="group" aria-label="Assist bots">
      {problem && <p className="error small" role="alert">{problem}</p>}
      {bots === undefined && !problem && <p className="muted small">Loading…</p>}
      {bots?.length === 0 && <p className="muted small">This tenant has no assist bot.</p>}
      {bots && bots.length > 0 && (
        <ul className="assist-bots">
          {bots.map((b) => (
            <li key={b.botId}>
              <span>{b.displayName}</span>
              <span className="muted small">{b.active ? ' advising' : ''}</span>
              {b.active
                ? <button type="button" className="secondary small" disabled={busy} onClick={() => void act(() => api.dismissAssistBot(conversationId, b.botId))} aria-label={`Send ${b.displayName} away`}>Send away</button>
                : <button type="button" className="primary small" disabled={busy} onClick={() => void act(() => api.inviteAssistBot(conversationId, b.botId))} aria-label={`Invite ${b.displayName}`}>Invite</button>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

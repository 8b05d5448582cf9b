import { useEffect, useState } from 'react';
import type { ConversationWrapUp, TenantApi } from './api.js';
import { duration, errorText } from './format.js';

/**
 * Wrap-up of a conversation the agent has ended: the queue's codes (one required when the queue
 * has any), notes, and the time left before the conversation closes by itself. Finishing records
 * the outcome and closes the conversation, which releases the agent's capacity.
 */
export function WrapUpPanel(props: { api: TenantApi; conversationId: string; now: number; onFinished: () => void; onProblem: (text: string) => void }) {
  const { api, conversationId } = props;
  const [info, setInfo] = useState<ConversationWrapUp>();
  const [code, setCode] = useState('');
  const [notes, setNotes] = useState('');
  const [busy, setBusy] = useState(false);

  const { onProblem } = props;
  useEffect(() => {
    api.wrapUp(conversationId).then(setInfo, (error: unknown) => onProblem(`Could not load the wrap-up: ${errorText(error)}`));
  }, [api, conversationId, onProblem]);

  if (!info) return <section className="wrap-up" aria-label="Wrap-up"><p className="muted small">Loading wrap-up…</p></section>;
  const due = info.wrapUp?.dueAt ? Date.parse(info.wrapUp.dueAt) : undefined;
  const ready = !info.codeRequired || code !== '';
  const finish = async () => {
    setBusy(true);
    try {
      await api.finishWrapUp(conversationId, { ...(code ? { code } : {}), ...(notes.trim() ? { notes: notes.trim() } : {}) });
      props.onFinished();
    } catch (error) {
      props.onProblem(`Could not finish the wrap-up: ${errorText(error)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="wrap-up" aria-label="Wrap-up">
      <form onSubmit={(e) => { e.preventDefault(); if (ready) void finish(); }}>
        <h3>Wrap-up{due !== undefined && <span className="muted small" role="timer"> · closes by itself in {duration((due - props.now) / 1000)}</span>}</h3>
        {info.codes.length > 0 && (
          <label>Outcome{info.codeRequired ? '' : ' (optional)'}
            <select value={code} onChange={(e) => setCode(e.target.value)} required={info.codeRequired} aria-label="Wrap-up code">
              <option value="">Choose…</option>
              {info.codes.map((c) => <option key={c.code} value={c.code}>{c.label}</option>)}
            </select>
          </label>
        )}
        <label>Notes<textarea rows={2} value={notes} onChange={(e) => setNotes(e.target.value)} maxLength={4000} aria-label="Wrap-up notes" /></label>
        <button className="primary" type="submit" disabled={!ready || busy}>Finish wrap-up</button>
      </form>
    </section>
  );
}

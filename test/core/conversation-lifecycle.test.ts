import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CONVERSATION_STATES, isTerminal, transition, type ConversationState } from '../../src/core/conversation-lifecycle.js';

// The whole lifecycle as a specification: every pair not listed here must be rejected.
const LEGAL: ReadonlyArray<[ConversationState, ConversationState, string]> = [
  ['open', 'bot', 'a bot-first queue takes a new conversation'],
  ['open', 'queued', 'a conversation without a bot waits for an agent'],
  ['open', 'active', 'an agent starts an outbound conversation directly'],
  ['open', 'closed', 'a conversation can be closed before routing'],
  ['open', 'abandoned', 'the customer leaves before routing'],
  ['bot', 'queued', 'the bot escalates to a human'],
  ['bot', 'closed', 'the bot resolves the conversation'],
  ['bot', 'abandoned', 'the customer leaves the bot'],
  ['queued', 'offered', 'routing offers the conversation to an agent'],
  ['queued', 'active', 'an agent picks the conversation from a queue'],
  ['queued', 'bot', 'overflow sends a waiting conversation to a bot queue'],
  ['queued', 'closed', 'a supervisor closes a waiting conversation'],
  ['queued', 'abandoned', 'the customer gives up waiting'],
  ['offered', 'active', 'the agent accepts the offer'],
  ['offered', 'queued', 'the agent rejects or the offer times out'],
  ['offered', 'abandoned', 'the customer leaves during the offer'],
  ['active', 'wrap_up', 'the conversation ends and the agent wraps up'],
  ['active', 'queued', 'the agent transfers to a queue'],
  ['active', 'bot', 'the agent transfers to a bot queue'],
  ['active', 'closed', 'the conversation ends without wrap-up'],
  ['wrap_up', 'closed', 'wrap-up finishes'],
];

describe('conversation lifecycle', () => {
  for (const [from, to, why] of LEGAL) {
    it(`allows ${from} -> ${to}: ${why}`, () => {
      assert.deepEqual(transition(from, to), { ok: true, from, to });
    });
  }

  const legal = new Set(LEGAL.map(([f, t]) => `${f}->${t}`));
  for (const from of CONVERSATION_STATES) {
    for (const to of CONVERSATION_STATES) {
      if (legal.has(`${from}->${to}`)) continue;
      it(`rejects ${from} -> ${to}`, () => {
        const result = transition(from, to);
        assert.equal(result.ok, false);
        if (!result.ok) {
          const expected = from === to ? 'same_state' : isTerminal(from) ? 'terminal_state' : 'illegal_transition';
          assert.equal(result.reason, expected);
        }
      });
    }
  }

  it('has exactly two terminal states: closed and abandoned', () => {
    assert.deepEqual(CONVERSATION_STATES.filter(isTerminal), ['closed', 'abandoned']);
  });

  it('can reach a terminal state from every state (no dead ends)', () => {
    for (const start of CONVERSATION_STATES) {
      const seen = new Set<ConversationState>([start]);
      const frontier = [start];
      while (frontier.length > 0) {
        const s = frontier.pop()!;
        for (const next of CONVERSATION_STATES) {
          if (transition(s, next).ok && !seen.has(next)) {
            seen.add(next);
            frontier.push(next);
          }
        }
      }
      assert.ok([...seen].some(isTerminal), `${start} cannot reach an end`);
    }
  });

  it('never leaves a terminal state, whatever sequence of requests arrives (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...CONVERSATION_STATES), { maxLength: 40 }), (requests) => {
        let state: ConversationState = 'open';
        let ended = false;
        for (const to of requests) {
          const step = transition(state, to);
          if (step.ok) {
            assert.equal(ended, false, 'moved after reaching a terminal state');
            state = step.to;
            ended = isTerminal(state);
          }
        }
      }),
    );
  });
});

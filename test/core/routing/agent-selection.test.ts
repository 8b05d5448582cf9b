import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  PRESENCES, selectAgent, type AgentSnapshot, type AssignmentMethod, type QueueSnapshot, type WorkRequest,
} from '../../../src/core/routing/agent-selection.js';

const agent = (id: string, over: Partial<AgentSnapshot> = {}): AgentSnapshot => ({
  id, presence: 'available', capacity: 3, used: 0, skills: {}, lastAssignedAt: null, attributes: {}, ...over,
});
const queue = (method: AssignmentMethod, memberIds: string[], over: Partial<QueueSnapshot> = {}): QueueSnapshot => ({
  id: 'q', method, memberIds, lastRoundRobinId: null, ...over,
});
const work = (over: Partial<WorkRequest> = {}): WorkRequest => ({
  cost: 1, requiredSkills: [], match: 'exact', relaxations: [], waitedSeconds: 0, allowedPresences: ['available', 'busy'], excluded: new Set(), ...over,
});
const pool = (...agents: AgentSnapshot[]) => new Map(agents.map((a) => [a.id, a]));

describe('agent selection: eligibility', () => {
  const agents = pool(
    agent('ok'),
    agent('away', { presence: 'away' }),
    agent('meeting', { presence: 'in-a-meeting' }),
    agent('full', { used: 3 }),
    agent('rejected'),
    agent('noskill'),
  );
  const chosen = selectAgent(queue('round-robin', ['ok', 'away', 'meeting', 'full', 'rejected', 'noskill', 'ghost']), agents, work({ excluded: new Set(['rejected']) }));

  it('offers only to an eligible member', () => assert.deepEqual(chosen.ranked, ['ok', 'noskill']));
  it('names the reason each other member was passed over', () => {
    assert.deepEqual(chosen.ineligible, [
      { agentId: 'away', reason: 'presence' },
      { agentId: 'meeting', reason: 'presence' },
      { agentId: 'full', reason: 'capacity' },
      { agentId: 'rejected', reason: 'excluded' },
      { agentId: 'ghost', reason: 'not_a_member_snapshot' },
    ]);
  });
  it('lets a busy agent receive work while capacity remains, when busy is allowed', () => {
    assert.equal(selectAgent(queue('round-robin', ['b']), pool(agent('b', { presence: 'busy', used: 2 })), work()).agentId, 'b');
    assert.equal(selectAgent(queue('round-robin', ['b']), pool(agent('b', { presence: 'busy' })), work({ allowedPresences: ['available'] })).agentId, null);
  });
  it('never offers work that would put an agent over capacity', () => {
    assert.equal(selectAgent(queue('round-robin', ['a']), pool(agent('a', { capacity: 3, used: 1 })), work({ cost: 3 })).agentId, null);
  });
});

describe('agent selection: skills', () => {
  const agents = pool(agent('novice', { skills: { fr: 3 } }), agent('expert', { skills: { fr: 9 } }), agent('none'));
  const q = queue('round-robin', ['novice', 'expert', 'none']);
  it('exact match requires the minimum proficiency', () => {
    assert.deepEqual(selectAgent(q, agents, work({ requiredSkills: [{ skill: 'fr', minProficiency: 5 }] })).ranked, ['expert']);
  });
  it('closest match accepts the nearest proficiency when nobody meets the minimum', () => {
    const agents2 = pool(agent('a', { skills: { fr: 2 } }), agent('b', { skills: { fr: 4 } }));
    const s = selectAgent(queue('round-robin', ['a', 'b']), agents2, work({ match: 'closest', requiredSkills: [{ skill: 'fr', minProficiency: 6 }] }));
    assert.deepEqual(s.ranked, ['b', 'a']);
  });
  it('drops a requirement after the relaxation time, like an outer bullseye ring', () => {
    const w = { requiredSkills: [{ skill: 'fr', minProficiency: 5 }], relaxations: [{ afterSeconds: 60, dropSkills: ['fr'] }] };
    assert.deepEqual(selectAgent(q, agents, work({ ...w, waitedSeconds: 59 })).ranked, ['expert']);
    const relaxed = selectAgent(q, agents, work({ ...w, waitedSeconds: 60 }));
    assert.deepEqual(relaxed.ranked, ['novice', 'expert', 'none']);
    assert.deepEqual(relaxed.appliedSkills, []);
  });
  it('best-skill prefers the agent closest to the requirement, keeping experts free', () => {
    const s = selectAgent(queue('best-skill', ['expert', 'mid']), pool(agent('expert', { skills: { fr: 10 } }), agent('mid', { skills: { fr: 6 } })), work({ requiredSkills: [{ skill: 'fr', minProficiency: 5 }] }));
    assert.deepEqual(s.ranked, ['mid', 'expert']);
  });
});

describe('agent selection: assignment methods', () => {
  it('highest-capacity picks the most free capacity, ties by round robin', () => {
    const agents = pool(agent('a', { used: 1 }), agent('b', { used: 0 }), agent('c', { used: 0 }));
    assert.deepEqual(selectAgent(queue('highest-capacity', ['a', 'b', 'c']), agents, work()).ranked, ['b', 'c', 'a']);
    assert.deepEqual(selectAgent(queue('highest-capacity', ['a', 'b', 'c'], { lastRoundRobinId: 'b' }), agents, work()).ranked, ['c', 'b', 'a']);
  });
  it('round-robin continues after the member chosen last, wrapping around', () => {
    const agents = pool(agent('a'), agent('b'), agent('c'));
    assert.deepEqual(selectAgent(queue('round-robin', ['a', 'b', 'c'], { lastRoundRobinId: 'b' }), agents, work()).ranked, ['c', 'a', 'b']);
    assert.deepEqual(selectAgent(queue('round-robin', ['a', 'b', 'c'], { lastRoundRobinId: 'c' }), agents, work()).ranked, ['a', 'b', 'c']);
  });
  it('longest-idle picks the agent assigned longest ago, never-assigned first', () => {
    const agents = pool(agent('a', { lastAssignedAt: 300 }), agent('b', { lastAssignedAt: 100 }), agent('c'));
    assert.deepEqual(selectAgent(queue('longest-idle', ['a', 'b', 'c']), agents, work()).ranked, ['c', 'b', 'a']);
  });
  it('custom orders by the given keys, like order_by, with missing attributes last', () => {
    const agents = pool(
      agent('a', { attributes: { seniority: 3 }, used: 2 }),
      agent('b', { attributes: { seniority: 5 }, used: 1 }),
      agent('c', { attributes: { seniority: 5 }, used: 0 }),
      agent('d'),
    );
    const q = queue('custom', ['a', 'b', 'c', 'd'], { customOrder: [{ key: 'seniority', direction: 'desc' }, { key: 'freeCapacity', direction: 'desc' }] });
    assert.deepEqual(selectAgent(q, agents, work()).ranked, ['c', 'b', 'a', 'd']);
  });
});

describe('agent selection: invariants (property)', () => {
  const agentArb = fc.record({
    presence: fc.constantFrom(...PRESENCES),
    capacity: fc.integer({ min: 0, max: 5 }),
    used: fc.integer({ min: 0, max: 5 }),
    fr: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
    lastAssignedAt: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }),
  });
  it('chooses an eligible agent whenever one exists, and never an ineligible one', () => {
    fc.assert(fc.property(
      fc.array(agentArb, { minLength: 1, maxLength: 12 }),
      fc.constantFrom<AssignmentMethod>('highest-capacity', 'round-robin', 'longest-idle', 'best-skill'),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 0, max: 10 }),
      (specs, method, cost, minFr) => {
        const agents = specs.map((s, i) => agent(`a${i}`, { presence: s.presence, capacity: s.capacity, used: Math.min(s.used, s.capacity), skills: s.fr === undefined ? {} : { fr: s.fr }, lastAssignedAt: s.lastAssignedAt }));
        const w = work({ cost, requiredSkills: minFr > 0 ? [{ skill: 'fr', minProficiency: minFr }] : [] });
        const fits = (a: AgentSnapshot) => w.allowedPresences.includes(a.presence) && a.capacity - a.used >= cost && (minFr === 0 || (a.skills.fr ?? 0) >= minFr);
        const s = selectAgent(queue(method, agents.map((a) => a.id)), pool(...agents), w);
        assert.equal(s.agentId === null, !agents.some(fits));
        for (const id of s.ranked) assert.ok(fits(agents.find((a) => a.id === id)!), `${id} is not eligible`);
        assert.equal(s.ranked.length + s.ineligible.length, agents.length);
      },
    ));
  });
});

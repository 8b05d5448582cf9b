import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowsOn, combineRoles } from '../../../src/core/identity/grants.js';
import { QUEUE_SCOPED } from '../../../src/core/identity/permissions.js';
import { BUILT_IN_ROLE_DEFINITIONS } from '../../../src/core/identity/roles.js';

describe('built-in roles and conversations.supervise', () => {
  const holders = Object.values(BUILT_IN_ROLE_DEFINITIONS).filter((r) => r.permissions.includes('conversations.supervise')).map((r) => r.name);

  it('is held by supervisors and administrators only: agents, bots and reporting readers cannot monitor, whisper or barge', () => {
    assert.deepEqual(holders.sort(), ['administrator', 'supervisor']);
  });

  it('is queue-scoped: a supervisor of queue A supervises conversations of A, not of B', () => {
    assert.ok(QUEUE_SCOPED.has('conversations.supervise'));
    const grants = combineRoles([{ permissions: BUILT_IN_ROLE_DEFINITIONS.supervisor.permissions, queueIds: ['que_a'] }]);
    assert.equal(allowsOn(grants, 'conversations.supervise', 'que_a'), true);
    assert.equal(allowsOn(grants, 'conversations.supervise', 'que_b'), false);
    assert.equal(allowsOn(grants, 'conversations.supervise', null), false, 'a conversation in no queue needs a tenant-wide scope');
  });
});

import type { Skill } from '../../core/routing/routing-model.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

export async function createSkill(deps: AppDeps, caller: Caller, tenantId: string, input: { name: string; description?: string | null | undefined }): Promise<Skill> {
  await requireTenant(deps, caller, tenantId, 'routing.write');
  return commit(deps, caller, async (tx, emit, now) => {
    const skill: Skill = { tenantId, name: input.name, description: input.description ?? null, createdAt: now };
    if (!(await tx.routing.insertSkill(skill))) throw new SwitchboardError('SB_ERR_SKILL_EXISTS', `Skill ${input.name} already exists.`);
    await emit('skill.created', tenantId, null, { skill });
    return skill;
  });
}

import { checkContextVariable, type ContextVariable } from '../../core/context-variable.js';
import { SwitchboardError } from '../errors.js';

export type ContextPatch = Readonly<Record<string, { readonly type: string; readonly value: unknown } | null>>;

export interface CheckedPatch {
  readonly set: ContextVariable[];
  readonly remove: string[];
}

/** Validates every variable of a patch and reports all problems at once, or none. */
export function checkContextPatch(patch: ContextPatch): CheckedPatch {
  const set: ContextVariable[] = [];
  const remove: string[] = [];
  const problems: string[] = [];
  for (const [name, entry] of Object.entries(patch)) {
    if (entry === null) {
      const check = checkContextVariable(name, 'string', '');
      if (check.ok) remove.push(name);
      else problems.push(check.problem);
      continue;
    }
    const check = checkContextVariable(name, entry.type, entry.value);
    if (check.ok) set.push(check.variable);
    else problems.push(check.problem);
  }
  if (problems.length > 0) {
    throw new SwitchboardError('SB_ERR_INVALID_CONTEXT', problems.join('; '), { problems });
  }
  return { set, remove };
}

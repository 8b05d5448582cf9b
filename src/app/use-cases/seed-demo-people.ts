import { randomBytes } from 'node:crypto';
import { SYSTEM_CALLER } from '../caller.js';
import type { IdentityDeps } from '../identity/identity-deps.js';
import { inviteUser, setUserPassword } from '../identity/user-admin.js';

const DEMO_PASSWORD_NAME = 'demo-password';

export interface DemoPerson {
  readonly email: string;
  readonly displayName: string;
  /** What they sign in to see first. */
  readonly role: 'agent' | 'supervisor' | 'administrator';
}

export interface DemoPeople {
  readonly people: readonly DemoPerson[];
  readonly password: string;
  /** True when the configuration fixed it (`SWITCHBOARD_DEMO_PASSWORD`). */
  readonly fixed: boolean;
}

/**
 * The demo tenant's people, so a newcomer can sign in to the web app as each kind of user: the two
 * demo agents (linked to their agent records), a supervisor of every queue and an administrator.
 * They share one password: the configured one (`SWITCHBOARD_DEMO_PASSWORD`, set again on every
 * start so changing it takes effect), or one generated on the first start and kept with the
 * server's own secrets, so `npm start` can print it every time. Running it again creates nobody
 * twice. The demo is for trying things out; real users set their own passwords.
 */
export async function ensureDemoPeople(deps: IdentityDeps, tenantId: string, fixed: string | null): Promise<DemoPeople> {
  const password = fixed ?? (await deps.storage.read.identity.getServerSecret(DEMO_PASSWORD_NAME))
    ?? (await deps.storage.transaction((tx) => tx.identity.ensureServerSecret(DEMO_PASSWORD_NAME, randomBytes(12).toString('base64url'))));
  const agents = await deps.storage.read.listAgents(tenantId);
  const agentByEmail = new Map(agents.filter((a) => a.kind === 'human' && a.email).map((a) => [a.email!.toLowerCase(), a]));
  const people: DemoPerson[] = [
    ...[...agentByEmail.values()].map((a) => ({ email: a.email!.toLowerCase(), displayName: a.displayName, role: 'agent' as const })),
    { email: 'sam@demo.example', displayName: 'Sam Supervisor', role: 'supervisor' },
    { email: 'ada@demo.example', displayName: 'Ada Admin', role: 'administrator' },
  ];
  for (const person of people) {
    const existing = await deps.storage.read.identity.findUserByEmail(tenantId, person.email);
    if (existing) {
      if (fixed !== null) await setUserPassword(deps, SYSTEM_CALLER, tenantId, existing.id, password);
      continue;
    }
    await inviteUser(deps, SYSTEM_CALLER, tenantId, {
      email: person.email, displayName: person.displayName, password, agentId: agentByEmail.get(person.email)?.id ?? null, roles: [{ role: person.role }],
    });
  }
  return { people, password, fixed: fixed !== null };
}

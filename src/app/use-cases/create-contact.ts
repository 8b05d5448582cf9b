import type { Contact, ContactIdentity } from '../../core/model.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import type { Emit } from '../unit-of-work.js';
import type { StoreTx } from '../ports/storage.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

export interface CreateContactInput {
  readonly displayName?: string | null | undefined;
  readonly attributes?: Record<string, string> | undefined;
  readonly identities?: readonly ContactIdentity[] | undefined;
}

export async function createContact(deps: AppDeps, caller: Caller, tenantId: string, input: CreateContactInput): Promise<Contact> {
  await requireTenant(deps, caller, tenantId, 'contacts.write');
  return commit(deps, caller, (tx, emit, now) => insertNewContact(deps, tx, emit, now, tenantId, input));
}

/** Shared with conversation creation, which may bring a customer we have not met yet. */
export async function insertNewContact(
  deps: AppDeps, tx: StoreTx, emit: Emit, now: string, tenantId: string, input: CreateContactInput,
): Promise<Contact> {
  const contact: Contact = {
    id: deps.ids.next('con'),
    tenantId,
    displayName: input.displayName ?? null,
    attributes: input.attributes ?? {},
    identities: dedupe(input.identities ?? []),
    createdAt: now,
  };
  if (!(await tx.insertContact(contact))) {
    throw new SwitchboardError('SB_ERR_CONTACT_IDENTITY_TAKEN');
  }
  await emit('contact.created', tenantId, null, { contact });
  return contact;
}

function dedupe(identities: readonly ContactIdentity[]): ContactIdentity[] {
  const seen = new Set<string>();
  return identities.filter((i) => {
    const key = `${i.channelType}\u0000${i.address}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

import type { Contact, ContactIdentity, Conversation, Participant } from '../../core/model.js';
import { defaultAudience } from '../../core/message-visibility.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';
import { checkContextPatch, type ContextPatch } from './check-context.js';
import { insertNewContact } from './create-contact.js';

export interface CreateConversationInput {
  /** For channels that hand the id out before the conversation starts (a Direct Line token); not on the API. */
  readonly id?: string | undefined;
  readonly channelId: string;
  /** An existing contact, or ... */
  readonly contactId?: string | undefined;
  /** ... the customer's address on this channel: found, or created as a new contact. */
  readonly customer?: { readonly address: string; readonly displayName?: string | undefined } | undefined;
  readonly subject?: string | undefined;
  readonly priority?: number | undefined;
  readonly queueId?: string | undefined;
  readonly context?: ContextPatch | undefined;
}

export interface ConversationCreated {
  readonly conversation: Conversation;
  readonly participants: Participant[];
}

export async function createConversation(
  deps: AppDeps, caller: Caller, tenantId: string, input: CreateConversationInput,
): Promise<ConversationCreated> {
  await requireTenant(deps, caller, tenantId, 'conversations.write');
  if ((input.contactId === undefined) === (input.customer === undefined)) {
    throw new SwitchboardError('SB_ERR_VALIDATION', 'Give exactly one of contactId or customer.');
  }
  // Validate before opening the transaction: bad input must change nothing.
  const context = checkContextPatch(input.context ?? {});
  if (context.remove.length > 0) throw new SwitchboardError('SB_ERR_INVALID_CONTEXT', 'A new conversation has no variables to remove.');

  return commit(deps, caller, async (tx, emit, now) => {
    const channel = await tx.getChannel(tenantId, input.channelId);
    if (!channel) throw new SwitchboardError('SB_ERR_CHANNEL_NOT_FOUND');
    if (input.queueId !== undefined && !(await tx.getQueue(tenantId, input.queueId))) {
      throw new SwitchboardError('SB_ERR_QUEUE_NOT_FOUND');
    }

    let contact: Contact | undefined;
    if (input.contactId !== undefined) {
      contact = await tx.getContact(tenantId, input.contactId);
      if (!contact) throw new SwitchboardError('SB_ERR_CONTACT_NOT_FOUND');
    } else {
      const identity: ContactIdentity = { channelType: channel.type, address: input.customer!.address };
      contact = (await tx.findContactByIdentity(tenantId, identity)) ??
        (await insertNewContact(deps, tx, emit, now, tenantId, { displayName: input.customer!.displayName, identities: [identity] }));
    }

    const conversation: Conversation = {
      id: input.id ?? deps.ids.next('conv'),
      tenantId,
      channelId: channel.id,
      contactId: contact.id,
      state: 'open',
      queueId: input.queueId ?? null,
      subject: input.subject ?? null,
      priority: input.priority ?? 0,
      lastSeq: 0,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
    };
    await tx.insertConversation(conversation);
    await emit('conversation.created', tenantId, conversation.id, { conversation });

    const customer: Participant = {
      id: deps.ids.next('par'),
      tenantId,
      conversationId: conversation.id,
      role: 'customer',
      refId: contact.id,
      displayName: contact.displayName,
      audience: defaultAudience('customer'),
      joinedAt: now,
      leftAt: null,
    };
    await tx.insertParticipant(customer);
    await emit('participant.added', tenantId, conversation.id, { participant: customer });

    for (const variable of context.set) await tx.setContextVariable(tenantId, conversation.id, variable, now);
    if (context.set.length > 0) {
      await emit('context.updated', tenantId, conversation.id, { set: context.set, removed: [] });
    }
    return { conversation, participants: [customer] };
  });
}

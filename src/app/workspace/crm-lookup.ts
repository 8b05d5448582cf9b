import { crmRequest, readCrmAnswer, type CrmField } from '../../core/workspace/crm-exchange.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import type { CrmCallResult, CrmEndpoint } from '../ports/crm-endpoint.js';
import { readableConversation } from '../queries/conversation-queries.js';
import { requirePermission } from '../tenant-access.js';

export interface CrmLookupDeps extends AppDeps {
  readonly crmEndpoint: CrmEndpoint;
}

export interface CrmPanel {
  readonly fields: CrmField[];
  readonly fetchedAt: string;
}

/** Fifty fields of 2,000 characters fit many times over; more is not an answer for a panel. */
export const MAX_CRM_ANSWER_BYTES = 256 * 1024;

type FailureReason = 'timeout' | 'unreachable' | 'too-large' | 'redirect' | 'status' | 'invalid-answer';

function failed(reason: FailureReason, message: string, extra: Record<string, unknown> = {}): SwitchboardError {
  return new SwitchboardError('SB_ERR_CRM_LOOKUP_FAILED', message, { reason, ...extra });
}

/**
 * What an answer means. A failure names its kind and at most the status: never the remote body,
 * which may hold anything (another customer's record, a stack trace, markup).
 */
function fieldsOf(result: CrmCallResult, timeoutMs: number): CrmField[] {
  switch (result.kind) {
    case 'timeout': throw failed('timeout', `The CRM did not answer within ${timeoutMs} ms.`);
    case 'unreachable': throw failed('unreachable', `The CRM could not be reached (${result.detail}).`);
    case 'too-large': throw failed('too-large', `The CRM's answer is larger than ${MAX_CRM_ANSWER_BYTES / 1024} KiB.`);
    case 'answered': {
      const { status } = result;
      if (status >= 300 && status < 400) {
        throw failed('redirect', `The CRM answered with a redirect (${status}), which is not followed: configure the final URL.`, { status });
      }
      if (status < 200 || status >= 300) throw failed('status', `The CRM answered ${status}.`, { status });
      let body: unknown;
      try {
        body = JSON.parse(result.body);
      } catch {
        throw failed('invalid-answer', "The CRM's answer is not JSON.");
      }
      const answer = readCrmAnswer(body);
      if (!answer.ok) throw failed('invalid-answer', `The CRM's answer is invalid: ${answer.problem}.`);
      return [...answer.fields];
    }
  }
}

/**
 * The screen pop of a conversation: asks the tenant's CRM lookup about its customer (the contact,
 * their identity on this channel, the conversation's context) and returns the fields to show.
 * Nothing is cached: the panel is asked for when an agent opens the conversation or refreshes it,
 * and should show the CRM as it is then (an agent may just have edited the record there, and the
 * context the request carries changes as the conversation goes on); a cache would also have to be
 * dropped on every settings change and kept per node. The caller must be able to read the
 * conversation and its customer.
 */
export async function lookUpCrm(deps: CrmLookupDeps, caller: Caller, tenantId: string, conversationId: string): Promise<CrmPanel> {
  const conversation = await readableConversation(deps, caller, tenantId, conversationId);
  await requirePermission(deps, caller, tenantId, 'contacts.read');
  const reads = deps.storage.read;
  const lookup = await reads.workspace.getCrmLookup(tenantId);
  if (!lookup) throw new SwitchboardError('SB_ERR_CRM_LOOKUP_NOT_CONFIGURED');
  const [contact, channel, context] = [
    await reads.getContact(tenantId, conversation.contactId), await reads.getChannel(tenantId, conversation.channelId), await reads.getContext(tenantId, conversationId),
  ];
  if (!contact || !channel) throw new Error(`conversation ${conversationId} names a contact or channel that does not exist`);
  const body = JSON.stringify(crmRequest(tenantId, conversationId, contact, channel.type, context));
  const result = await deps.crmEndpoint.post({ url: lookup.url, headers: lookup.headers, body, timeoutMs: lookup.timeoutMs, maxBytes: MAX_CRM_ANSWER_BYTES });
  const fields = fieldsOf(result, lookup.timeoutMs);
  return { fields, fetchedAt: new Date(deps.clock.now()).toISOString() };
}

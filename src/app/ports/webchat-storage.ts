import type { Channel } from '../../core/model.js';
import type { DirectLineSecret, SatisfactionSurvey } from '../../core/webchat/webchat-model.js';
import type { PageRequest } from './storage.js';

/**
 * Web chat storage (`storage.read.webchat`, `tx.webchat`): Direct Line secrets and satisfaction
 * surveys. Two reads are not tenant-scoped, by design: a secret is presented alone (found by its
 * keyed hash), and the widget names only its channel's public id.
 */
export interface WebchatReads {
  /** The web chat channel with this id in whichever tenant has it (the widget's public id). */
  findWebchatChannel(channelId: string): Promise<Channel | undefined>;
  findDirectLineSecret(secretHash: string): Promise<DirectLineSecret | undefined>;
  getDirectLineSecret(tenantId: string, id: string): Promise<DirectLineSecret | undefined>;
  /** Oldest first, revoked ones included. */
  listDirectLineSecrets(tenantId: string, channelId: string): Promise<DirectLineSecret[]>;
  getSurvey(tenantId: string, conversationId: string): Promise<SatisfactionSurvey | undefined>;
  /** Newest conversation first; `page.beforeId` is the last conversation id of the previous page. */
  listSurveys(tenantId: string, filter: { readonly channelId?: string | undefined }, page: PageRequest): Promise<SatisfactionSurvey[]>;
}

export interface WebchatTx extends WebchatReads {
  insertDirectLineSecret(secret: DirectLineSecret): Promise<void>;
  /** Sets `revokedAt` if the secret was live. */
  revokeDirectLineSecret(tenantId: string, id: string, at: string): Promise<boolean>;
  /** False when the conversation already has a survey. */
  insertSurvey(survey: SatisfactionSurvey): Promise<boolean>;
}

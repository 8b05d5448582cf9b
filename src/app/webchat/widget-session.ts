import type { Channel } from '../../core/model.js';
import type { SatisfactionSurvey } from '../../core/webchat/webchat-model.js';
import { checkPrechatAnswers, readWebchatSettings, type PrechatField, type WebchatSettings } from '../../core/webchat/webchat-settings.js';
import { SwitchboardError } from '../errors.js';
import { commit } from '../unit-of-work.js';
import { customerCaller, newUserId } from './directline-conversations.js';
import { DirectLineError } from './directline-error.js';
import { issueDirectLineToken, readDirectLineToken, type PendingContext } from './directline-tokens.js';
import { originAllowed } from './webchat-origins.js';
import type { WebchatDeps } from './webchat-deps.js';

/** What any page may read about a channel: the widget's look and survey, nothing else. */
export interface WidgetSettings {
  readonly channelId: string;
  readonly title: string;
  readonly accentColor: string;
  readonly prechat: { readonly fields: readonly PrechatField[] };
  readonly csat: { readonly enabled: boolean };
}

async function channelSettings(deps: WebchatDeps, channelId: string): Promise<{ channel: Channel; settings: WebchatSettings }> {
  const channel = await deps.storage.read.webchat.findWebchatChannel(channelId);
  if (!channel) throw new SwitchboardError('SB_ERR_CHANNEL_NOT_FOUND');
  const read = readWebchatSettings(channel.config, channel.name);
  // Settings are checked when saved; a channel from before that check falls back to the defaults.
  return { channel, settings: read.ok ? read.settings : (readWebchatSettings({}, channel.name) as { ok: true; settings: WebchatSettings }).settings };
}

/** A page of `origin` (absent for non-browser callers) may use the channel; else 403, as if it did not exist for it. */
function checkOrigin(channel: Channel, origin: string | undefined, ownBase: string): void {
  if (origin !== undefined && !originAllowed(channel, origin, ownBase)) throw new SwitchboardError('SB_ERR_FORBIDDEN', 'This page\'s origin is not trusted by the channel.');
}

export async function widgetSettings(deps: WebchatDeps, channelId: string, origin: string | undefined, ownBase: string): Promise<WidgetSettings> {
  const { channel, settings } = await channelSettings(deps, channelId);
  checkOrigin(channel, origin, ownBase);
  return {
    channelId: channel.id, title: settings.title, accentColor: settings.accentColor,
    prechat: { fields: settings.prechatFields }, csat: { enabled: settings.csatEnabled },
  };
}

export interface WidgetTokenRequest {
  readonly user?: { readonly name?: string | undefined } | undefined;
  readonly prechat?: Readonly<Record<string, unknown>> | undefined;
  readonly page?: { readonly url?: string | undefined; readonly locale?: string | undefined; readonly title?: string | undefined } | undefined;
}

export interface WidgetToken {
  readonly conversationId: string;
  readonly token: string;
  readonly expiresIn: number;
  readonly userId: string;
}

/**
 * A Direct Line token for a page's visitor: a fresh user and conversation, the pre-chat answers
 * checked against the channel's survey (every problem listed), carried with the page in the
 * token until the conversation starts. No secret is involved: the widget is public.
 */
export async function widgetToken(deps: WebchatDeps, channelId: string, body: WidgetTokenRequest, origin: string | undefined, ownBase: string): Promise<WidgetToken> {
  const { channel, settings } = await channelSettings(deps, channelId);
  checkOrigin(channel, origin, ownBase);
  const answers = checkPrechatAnswers(settings.prechatFields, body.prechat ?? {});
  if (!answers.ok) throw new SwitchboardError('SB_ERR_VALIDATION', `The pre-chat answers are not valid: ${answers.problems.join('; ')}`, { problems: answers.problems });
  const page = body.page;
  const context: PendingContext = {
    prechat: Object.fromEntries(answers.answers),
    page: page && { url: httpUrl(page.url), locale: page.locale, title: page.title },
    authenticated: false,
  };
  const userId = newUserId();
  const conversationId = deps.ids.next('conv');
  const name = body.user?.name?.trim() || (answers.answers.get('name') ?? null);
  const issued = await issueDirectLineToken(deps, {
    tenantId: channel.tenantId, channelId: channel.id, conversationId, userId, userName: name, secretId: null, context,
  });
  return { conversationId, token: issued.token, expiresIn: issued.expiresIn, userId };
}

/** Only http(s) page addresses become context (a `javascript:` URL is nobody's page). */
function httpUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The post-chat survey, answered with the conversation's Direct Line token (still accepted
 * after the end, until it expires). Once per conversation; stored and reported.
 */
export async function submitSurvey(
  deps: WebchatDeps, channelId: string, bearer: string | undefined, body: { readonly rating: number; readonly comment?: string | undefined },
): Promise<SatisfactionSurvey> {
  if (!bearer) throw new SwitchboardError('SB_ERR_UNAUTHENTICATED', 'Send the conversation\'s Direct Line token as "Authorization: Bearer <token>".');
  let grant;
  try {
    grant = await readDirectLineToken(deps, bearer);
  } catch (error) {
    if (error instanceof DirectLineError) throw new SwitchboardError('SB_ERR_UNAUTHENTICATED', error.message);
    throw error;
  }
  if (grant.channelId !== channelId) throw new SwitchboardError('SB_ERR_FORBIDDEN', 'The token is for another channel.');
  const { settings } = await channelSettings(deps, channelId);
  if (!settings.csatEnabled) throw new SwitchboardError('SB_ERR_FORBIDDEN', 'This channel has no satisfaction survey.');
  const comment = body.comment?.trim() || null;
  return commit(deps, customerCaller(grant.tenantId, grant.userId), async (tx, emit, now) => {
    const conversation = await tx.getConversation(grant.tenantId, grant.conversationId);
    if (!conversation) throw new SwitchboardError('SB_ERR_CONVERSATION_NOT_FOUND');
    const survey: SatisfactionSurvey = { conversationId: conversation.id, tenantId: grant.tenantId, channelId, rating: body.rating, comment, createdAt: now };
    if (!(await tx.webchat.insertSurvey(survey))) throw new SwitchboardError('SB_ERR_SURVEY_EXISTS');
    await emit('webchat.survey_submitted', grant.tenantId, conversation.id, { survey });
    return survey;
  });
}

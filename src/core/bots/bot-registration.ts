/**
 * A bot's registration with Switchboard's Bot Framework channel (docs/BOTS.md): where its
 * messaging endpoint is, how it proves who it is when it calls the Connector API, whether it
 * takes conversations (primary) or only advises agents (assist), and the phrases that make a
 * customer's message an escalation even when the bot does not escalate. The bot itself is an agent
 * of kind `bot` (routing capacity, queues, skills); this is what the channel needs beside it.
 */

export const BOT_STATES = ['active', 'disconnected'] as const;
export type BotState = (typeof BOT_STATES)[number];

/**
 * How the bot authenticates its Connector API calls:
 * - `switchboard`: an access token from Switchboard's own token endpoint (client credentials with
 *   the bot's app registration), so the bot needs an app id;
 * - `entra`: a Microsoft Entra ID token for a bot registered there, checked against a JWKS;
 * - `none`: no token, for development bots only (an unmodified `botbuilder` bot cannot fetch a
 *   token from a custom authority without internet, PROTOCOLS.md 2.6).
 * Channel -> bot requests carry a token whenever the bot has an app id, whatever the mode.
 */
export const BOT_AUTH_MODES = ['switchboard', 'entra', 'none'] as const;
export type BotAuthMode = (typeof BOT_AUTH_MODES)[number];

export const BOT_ROLES = ['primary', 'assist'] as const;
export type BotRole = (typeof BOT_ROLES)[number];

/** Where Entra ID tokens are checked; the defaults are Microsoft's public cloud. */
export interface EntraSettings {
  readonly jwksUri: string;
  /** `aud` of the bot's token: the scope it asked for. */
  readonly audience: string;
  /** Entra tenant ids whose v1 and v2 issuers are accepted; empty: any tenant. */
  readonly tenantIds: readonly string[];
}

export const DEFAULT_ENTRA: EntraSettings = Object.freeze({
  jwksUri: 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
  audience: 'https://api.botframework.com',
  tenantIds: Object.freeze([]) as readonly string[],
});

export type BotHealthStatus = 'healthy' | 'unhealthy';

export interface BotHealth {
  readonly status: BotHealthStatus;
  /** Deliveries that failed in a row (each after its retries); an answered one resets it. */
  readonly consecutiveFailures: number;
  readonly lastFailureAt: string | null;
  /** Safe to show: a status code or "timeout", never a response body. */
  readonly lastError: string | null;
}

export interface BotRegistration {
  /** The bot's agent id. */
  readonly id: string;
  readonly tenantId: string;
  readonly messagingEndpoint: string;
  readonly state: BotState;
  readonly authMode: BotAuthMode;
  readonly entra: EntraSettings | null;
  readonly role: BotRole;
  /** Locale ("en", "de", or "*" for every locale) -> phrases. */
  readonly escalatePhrases: Readonly<Record<string, readonly string[]>>;
  /**
   * The Omnichannel convention: only messages with `channelData.deliveryMode = "bridged"` reach
   * the customer; the others are shown to agents only.
   */
  readonly bridgedOnly: boolean;
  /**
   * Assist bots: the queues whose conversations the bot advises on. When a person accepts a
   * conversation of one of them, the bot hears the conversation (customer and agent messages) and
   * its messages reach the agent only, as suggestions. Empty for primary bots.
   */
  readonly assistQueueIds: readonly string[];
  readonly health: BotHealth;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const HEALTHY: BotHealth = Object.freeze({ status: 'healthy', consecutiveFailures: 0, lastFailureAt: null, lastError: null });

/** Deliveries failing in a row before a bot is marked unhealthy and its conversations overflow. */
export const UNHEALTHY_AFTER_FAILURES = 3;

export const DEFAULT_ESCALATE_PHRASES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  en: ['speak to agent', 'talk to agent', 'speak to a human', 'talk to a human', 'human', 'agent', 'operator', 'real person'],
  de: ['mitarbeiter', 'mensch', 'mit einem menschen sprechen'],
  fr: ['parler à un agent', 'conseiller', 'humain'],
  es: ['hablar con un agente', 'agente', 'humano'],
});

/** The settings an administrator gives; every field optional on update. */
export interface BotSettingsInput {
  readonly messagingEndpoint?: unknown;
  readonly state?: unknown;
  readonly authMode?: unknown;
  readonly entra?: unknown;
  readonly role?: unknown;
  readonly escalatePhrases?: unknown;
  readonly bridgedOnly?: unknown;
  readonly assistQueueIds?: unknown;
}

export type BotSettings = Pick<BotRegistration, 'messagingEndpoint' | 'state' | 'authMode' | 'entra' | 'role' | 'escalatePhrases' | 'bridgedOnly' | 'assistQueueIds'>;

export type BotSettingsResult = { readonly ok: true; readonly settings: BotSettings } | { readonly ok: false; readonly problems: string[] };

const MAX_PHRASES = 50;
const MAX_PHRASE_LENGTH = 100;
const LOCALE = /^(\*|[a-z]{2,3}(-[A-Za-z0-9]{2,8})*)$/;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * Applies `input` over `current` (or the defaults) and checks the result as a whole, listing every
 * problem: a bot without an app id can only be anonymous (`none`), Entra settings only go with
 * `entra`, the endpoint is an absolute http(s) URL without credentials.
 */
export function readBotSettings(input: BotSettingsInput, current: BotSettings | null, appId: string | null): BotSettingsResult {
  const problems: string[] = [];
  const messagingEndpoint = input.messagingEndpoint === undefined ? current?.messagingEndpoint : endpoint(input.messagingEndpoint, problems);
  if (messagingEndpoint === undefined && !problems.some((p) => p.startsWith('messagingEndpoint'))) problems.push('messagingEndpoint is required');
  const state = input.state === undefined ? current?.state ?? 'active' : oneOf(input.state, BOT_STATES, 'state', problems);
  const authMode = input.authMode === undefined ? current?.authMode ?? (appId === null ? 'none' : 'switchboard') : oneOf(input.authMode, BOT_AUTH_MODES, 'authMode', problems);
  const role = input.role === undefined ? current?.role ?? 'primary' : oneOf(input.role, BOT_ROLES, 'role', problems);
  const bridgedOnly = input.bridgedOnly === undefined ? current?.bridgedOnly ?? false : bool(input.bridgedOnly, 'bridgedOnly', problems);
  const escalatePhrases = input.escalatePhrases === undefined ? current?.escalatePhrases ?? DEFAULT_ESCALATE_PHRASES : phrases(input.escalatePhrases, problems);
  const assistQueueIds = input.assistQueueIds === undefined ? current?.assistQueueIds ?? [] : idList(input.assistQueueIds, 'assistQueueIds', problems);
  if (role === 'primary' && assistQueueIds !== undefined && assistQueueIds.length > 0) problems.push('assistQueueIds go only with role "assist"');
  let entra: EntraSettings | null = input.entra === undefined ? current?.entra ?? null : input.entra === null ? null : entraSettings(input.entra, problems) ?? null;
  if (authMode === 'entra' && entra === null) entra = DEFAULT_ENTRA;
  if (authMode !== undefined && authMode !== 'entra' && input.entra !== undefined && input.entra !== null) problems.push('entra settings go only with authMode "entra"');
  if (authMode !== 'entra') entra = null;
  if (appId === null && authMode !== undefined && authMode !== 'none') problems.push(`authMode "${authMode}" needs the bot to have an app id; a bot without one is anonymous ("none")`);
  if (problems.length > 0 || messagingEndpoint === undefined || state === undefined || authMode === undefined || role === undefined || bridgedOnly === undefined || escalatePhrases === undefined || assistQueueIds === undefined) {
    return { ok: false, problems };
  }
  return { ok: true, settings: { messagingEndpoint, state, authMode, entra, role, escalatePhrases, bridgedOnly, assistQueueIds } };
}

function endpoint(value: unknown, problems: string[]): string | undefined {
  if (typeof value !== 'string' || value.length > 2000) {
    problems.push('messagingEndpoint must be a URL of at most 2000 characters');
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`messagingEndpoint "${value.slice(0, 100)}" is not an absolute URL`);
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push('messagingEndpoint must be http or https');
  if (url.username !== '' || url.password !== '') problems.push('messagingEndpoint must not carry credentials');
  if (url.hash !== '') problems.push('messagingEndpoint must not have a fragment');
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string, problems: string[]): T | undefined {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  problems.push(`${field} must be one of ${allowed.join(', ')}`);
  return undefined;
}

function idList(value: unknown, field: string, problems: string[]): string[] | undefined {
  if (!Array.isArray(value) || value.length > 50 || value.some((v) => typeof v !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(v))) {
    problems.push(`${field} must be a list of at most 50 ids`);
    return undefined;
  }
  return [...new Set(value as string[])];
}

function bool(value: unknown, field: string, problems: string[]): boolean | undefined {
  if (typeof value === 'boolean') return value;
  problems.push(`${field} must be true or false`);
  return undefined;
}

function phrases(value: unknown, problems: string[]): Record<string, string[]> | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    problems.push('escalatePhrases must be an object of locale -> list of phrases');
    return undefined;
  }
  const out: Record<string, string[]> = {};
  let count = 0;
  for (const [locale, list] of Object.entries(value as Record<string, unknown>)) {
    if (!LOCALE.test(locale)) problems.push(`escalatePhrases: "${locale.slice(0, 20)}" is not a locale (like "en", "de-CH" or "*")`);
    if (!Array.isArray(list) || list.some((p) => typeof p !== 'string' || p.trim() === '' || p.length > MAX_PHRASE_LENGTH)) {
      problems.push(`escalatePhrases.${locale.slice(0, 20)} must be a list of phrases of 1 to ${MAX_PHRASE_LENGTH} characters`);
      continue;
    }
    count += list.length;
    out[locale.toLowerCase()] = (list as string[]).map(normalisePhrase);
  }
  if (count > MAX_PHRASES) problems.push(`escalatePhrases: at most ${MAX_PHRASES} phrases in all`);
  return out;
}

function entraSettings(value: unknown, problems: string[]): EntraSettings | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    problems.push('entra must be an object');
    return undefined;
  }
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) if (!['jwksUri', 'audience', 'tenantIds'].includes(key)) problems.push(`entra: unknown setting "${key.slice(0, 40)}"`);
  let jwksUri = DEFAULT_ENTRA.jwksUri;
  if (v.jwksUri !== undefined) {
    if (typeof v.jwksUri !== 'string' || !/^https?:\/\//.test(v.jwksUri) || !URL.canParse(v.jwksUri)) problems.push('entra.jwksUri must be an http(s) URL');
    else jwksUri = v.jwksUri;
  }
  let audience = DEFAULT_ENTRA.audience;
  if (v.audience !== undefined) {
    if (typeof v.audience !== 'string' || v.audience === '' || v.audience.length > 500) problems.push('entra.audience must be a non-empty string');
    else audience = v.audience;
  }
  let tenantIds: readonly string[] = [];
  if (v.tenantIds !== undefined) {
    if (!Array.isArray(v.tenantIds) || v.tenantIds.some((t) => typeof t !== 'string' || !GUID.test(t))) problems.push('entra.tenantIds must be a list of Entra tenant ids (GUIDs)');
    else tenantIds = (v.tenantIds as string[]).map((t) => t.toLowerCase());
  }
  return { jwksUri, audience, tenantIds };
}

/** Phrases compare case-, accent- and punctuation-insensitively, with spaces collapsed. */
export function normalisePhrase(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

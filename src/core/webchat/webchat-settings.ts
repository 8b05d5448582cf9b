/**
 * The settings of a web chat channel, read from the channel's `config` (docs/WEBCHAT.md): which
 * pages may embed it, the pre-chat survey, what customers are told while they wait, the
 * satisfaction survey and the widget's look. `readWebchatSettings` checks an administrator's
 * config and lists every problem, so a bad config is refused when saved, never met by a customer.
 */

export const PRECHAT_FIELD_TYPES = ['text', 'email', 'textarea', 'select'] as const;
export type PrechatFieldType = (typeof PRECHAT_FIELD_TYPES)[number];

export interface PrechatField {
  /** Becomes the context variable `prechat.{name}`. */
  readonly name: string;
  readonly label: string;
  readonly type: PrechatFieldType;
  readonly required: boolean;
  /** For `select`. */
  readonly options: readonly string[];
  readonly maxLength: number;
}

export interface WebchatSettings {
  /** Exact origins (`https://shop.example.com`); empty: only pages Switchboard serves itself. */
  readonly trustedOrigins: readonly string[];
  readonly prechatFields: readonly PrechatField[];
  readonly messages: {
    /** `{position}` (1-based) and `{wait}` ("about 2 minutes"). */
    readonly queued: string;
    /** `{agent}`: the agent's display name. */
    readonly assigned: string;
  };
  readonly csatEnabled: boolean;
  readonly title: string;
  readonly accentColor: string;
}

export const DEFAULT_QUEUED_MESSAGE = 'You are number {position} in line. Estimated wait: {wait}.';
export const DEFAULT_ASSIGNED_MESSAGE = '{agent} joined the conversation.';
const FIELD_NAME = /^[a-z][a-z0-9_]{0,39}$/;
const COLOR = /^#[0-9a-fA-F]{6}$/;
const MAX_FIELDS = 20;
const MAX_ORIGINS = 50;

export type SettingsResult = { readonly ok: true; readonly settings: WebchatSettings } | { readonly ok: false; readonly problems: string[] };

/** Reads and checks a web chat channel's config; unknown keys are refused so typos do not pass silently. */
export function readWebchatSettings(config: Readonly<Record<string, unknown>>, channelName: string): SettingsResult {
  const problems: string[] = [];
  const known = ['trustedOrigins', 'prechat', 'messages', 'csat', 'title', 'accentColor'];
  for (const key of Object.keys(config)) if (!known.includes(key)) problems.push(`unknown setting "${key}"`);

  const trustedOrigins = stringList(config.trustedOrigins, 'trustedOrigins', problems, MAX_ORIGINS).filter((origin) => {
    const normal = normalOrigin(origin);
    if (normal !== origin) problems.push(`trustedOrigins: "${origin}" is not an origin (scheme://host[:port], no path)`);
    return normal === origin;
  });

  const prechat = objectOf(config.prechat, 'prechat', problems);
  const rawFields = prechat.fields === undefined ? [] : Array.isArray(prechat.fields) ? prechat.fields : (problems.push('prechat.fields must be a list'), []);
  if (rawFields.length > MAX_FIELDS) problems.push(`prechat.fields: at most ${MAX_FIELDS} fields`);
  const prechatFields: PrechatField[] = [];
  const names = new Set<string>();
  rawFields.slice(0, MAX_FIELDS).forEach((raw, i) => {
    const field = readField(raw, `prechat.fields[${i}]`, problems);
    if (!field) return;
    if (names.has(field.name)) problems.push(`prechat.fields[${i}]: the name "${field.name}" is used twice`);
    names.add(field.name);
    prechatFields.push(field);
  });

  const messages = objectOf(config.messages, 'messages', problems);
  const queued = text(messages.queued, 'messages.queued', problems, 500) ?? DEFAULT_QUEUED_MESSAGE;
  const assigned = text(messages.assigned, 'messages.assigned', problems, 500) ?? DEFAULT_ASSIGNED_MESSAGE;
  const csat = objectOf(config.csat, 'csat', problems);
  if (csat.enabled !== undefined && typeof csat.enabled !== 'boolean') problems.push('csat.enabled must be true or false');
  const title = text(config.title, 'title', problems, 80) ?? channelName;
  const accentColor = text(config.accentColor, 'accentColor', problems, 7) ?? '#2455c3';
  if (!COLOR.test(accentColor)) problems.push('accentColor must look like #1a2b3c');

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    settings: { trustedOrigins, prechatFields, messages: { queued, assigned }, csatEnabled: csat.enabled !== false, title, accentColor },
  };
}

/** `scheme://host[:port]` in lower case, or undefined when the text is not an http(s) origin. */
export function normalOrigin(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return undefined;
  return url.origin;
}

export type AnswersResult = { readonly ok: true; readonly answers: ReadonlyMap<string, string> } | { readonly ok: false; readonly problems: string[] };

/** Checks a customer's pre-chat answers against the fields: required, lengths, options, e-mail shape. */
export function checkPrechatAnswers(fields: readonly PrechatField[], given: Readonly<Record<string, unknown>>): AnswersResult {
  const problems: string[] = [];
  const answers = new Map<string, string>();
  const byName = new Map(fields.map((f) => [f.name, f]));
  for (const key of Object.keys(given)) if (!byName.has(key)) problems.push(`${key}: not a field of this survey`);
  for (const field of fields) {
    const raw = given[field.name];
    if (raw !== undefined && typeof raw !== 'string') {
      problems.push(`${field.name}: must be text`);
      continue;
    }
    const value = (raw ?? '').trim();
    if (value === '') {
      if (field.required) problems.push(`${field.name}: required`);
      continue;
    }
    if (value.length > field.maxLength) problems.push(`${field.name}: at most ${field.maxLength} characters`);
    else if (field.type === 'select' && !field.options.includes(value)) problems.push(`${field.name}: not one of the options`);
    else if (field.type === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) problems.push(`${field.name}: not an e-mail address`);
    else answers.set(field.name, value);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, answers };
}

/** "about 2 minutes", "less than a minute": what `{wait}` says. */
export function describeWait(seconds: number): string {
  if (seconds < 60) return 'less than a minute';
  const minutes = Math.round(seconds / 60);
  return minutes === 1 ? 'about 1 minute' : `about ${minutes} minutes`;
}

/** Fills `{name}` placeholders; unknown ones stay as they are. */
export function fillTemplate(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{([a-z]+)\}/g, (whole, key: string) => (key in values ? String(values[key]) : whole));
}

function readField(raw: unknown, at: string, problems: string[]): PrechatField | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push(`${at} must be an object`);
    return undefined;
  }
  const f = raw as Record<string, unknown>;
  const before = problems.length;
  for (const key of Object.keys(f)) if (!['name', 'label', 'type', 'required', 'options', 'maxLength'].includes(key)) problems.push(`${at}: unknown key "${key}"`);
  const name = typeof f.name === 'string' && FIELD_NAME.test(f.name) ? f.name : (problems.push(`${at}.name must be lower-case letters, digits and _ (a letter first, at most 40)`), '');
  const label = text(f.label, `${at}.label`, problems, 200) ?? name;
  const type = (PRECHAT_FIELD_TYPES as readonly unknown[]).includes(f.type ?? 'text') ? ((f.type ?? 'text') as PrechatFieldType) : (problems.push(`${at}.type must be one of ${PRECHAT_FIELD_TYPES.join(', ')}`), 'text');
  if (f.required !== undefined && typeof f.required !== 'boolean') problems.push(`${at}.required must be true or false`);
  const options = stringList(f.options, `${at}.options`, problems, 50);
  if (type === 'select' && options.length === 0) problems.push(`${at}: a select needs options`);
  const maxLength = f.maxLength === undefined ? (type === 'textarea' ? 2000 : 200) : f.maxLength;
  if (!Number.isInteger(maxLength) || (maxLength as number) < 1 || (maxLength as number) > 4000) problems.push(`${at}.maxLength must be a whole number from 1 to 4000`);
  if (problems.length > before) return undefined;
  return { name, label, type, required: f.required === true, options, maxLength: maxLength as number };
}

function objectOf(value: unknown, at: string, problems: string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  problems.push(`${at} must be an object`);
  return {};
}

function text(value: unknown, at: string, problems: string[], max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    problems.push(`${at} must be text of 1 to ${max} characters`);
    return undefined;
  }
  return value;
}

function stringList(value: unknown, at: string, problems: string[], max: number): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > max || !value.every((v) => typeof v === 'string' && v.length > 0 && v.length <= 300)) {
    problems.push(`${at} must be a list of at most ${max} texts`);
    return [];
  }
  return value as string[];
}

import type { PrechatField } from './webchat-api.js';

/**
 * The pre-chat answers checked in the page, so a customer learns of a missing or malformed answer
 * before anything is sent. The server checks again and is the authority; these are the same
 * rules (required, length, options, e-mail shape) so that it rarely has to say so.
 */
export function validatePrechat(fields: readonly PrechatField[], values: Readonly<Record<string, string>>): Map<string, string> {
  const problems = new Map<string, string>();
  for (const field of fields) {
    const value = (values[field.name] ?? '').trim();
    if (value === '') {
      if (field.required) problems.set(field.name, `${field.label} is required.`);
    } else if (field.maxLength !== undefined && value.length > field.maxLength) {
      problems.set(field.name, `${field.label} can be at most ${field.maxLength} characters.`);
    } else if (field.type === 'select' && !field.options.includes(value)) {
      problems.set(field.name, `Choose one of the options for ${field.label}.`);
    } else if (field.type === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
      problems.set(field.name, `${field.label} must be an e-mail address, like name@example.com.`);
    }
  }
  return problems;
}

/** The answers to send: trimmed, the empty ones left out. */
export function prechatAnswers(fields: readonly PrechatField[], values: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of fields) {
    const value = (values[field.name] ?? '').trim();
    if (value !== '') out[field.name] = value;
  }
  return out;
}

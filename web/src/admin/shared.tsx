/** What the admin console's sections share: the API client type, the action runner, the panel frame, refusals as text. */
import { useEffect, type ReactNode } from 'react';
import { ApiError, tenantApi } from '../api.js';
import { errorText } from '../format.js';

export type Api = ReturnType<typeof tenantApi>;

export type Act = (what: string, work: () => Promise<unknown>) => Promise<boolean>;

/** A server refusal as the administrator should read it: the message and each listed problem. */
export function refusal(error: unknown): string {
  if (error instanceof ApiError && error.problems.length > 0) return `${error.message} ${error.problems.join('; ')}`;
  return errorText(error);
}

export function Panel({ title, children }: { title: string; children: ReactNode }) {
  const id = `panel-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return <section className="panel" aria-labelledby={id}><h2 id={id}>{title}</h2>{children}</section>;
}

export const METHODS = ['longest-idle', 'round-robin', 'highest-capacity', 'best-skill', 'custom'] as const;

export const CONTEXT_TYPES = ['string', 'number', 'boolean'] as const;

export const ROLES = ['agent', 'supervisor', 'administrator', 'reporting-reader'] as const;

/** Runs a section's loader when it mounts (and when the loader changes); a failed load leaves the section as it was. */
export function useLoad(load: () => Promise<unknown>): void {
  useEffect(() => {
    void load().catch(() => undefined);
  }, [load]);
}

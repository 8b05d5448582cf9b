import { SwitchboardError } from './errors.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface Page<T> {
  readonly items: T[];
  /** Pass back as `cursor` to get the next page; null on the last page. */
  readonly nextCursor: string | null;
}

// Cursors are opaque to clients (so the keyset can change) but carry only the last id seen.
export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ b: lastId }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && typeof (parsed as { b?: unknown }).b === 'string') {
      return (parsed as { b: string }).b;
    }
  } catch {
    // fall through to the error below
  }
  throw new SwitchboardError('SB_ERR_INVALID_CURSOR');
}

/** Fetches one more row than asked to know whether a next page exists. */
export async function keysetPage<T extends { id: string }>(
  limit: number | undefined,
  cursor: string | undefined,
  fetch: (beforeId: string | undefined, limit: number) => Promise<T[]>,
): Promise<Page<T>> {
  const size = Math.min(Math.max(limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
  const rows = await fetch(decodeCursor(cursor), size + 1);
  const items = rows.slice(0, size);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > size && last ? encodeCursor(last.id) : null };
}

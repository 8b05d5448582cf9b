/**
 * Values between the ports and the SQL columns: times are RFC 3339 text in the ports and epoch
 * milliseconds (BIGINT) in the tables, which both databases sort and compare alike; drivers may
 * hand BIGINTs back as strings (pg) or numbers (better-sqlite3), hence `Number()`.
 */
export const ms = (iso: string): number => Date.parse(iso);
export const msOrNull = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));
export const iso = (value: unknown): string => new Date(Number(value)).toISOString();
export const isoOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : iso(value));
export const str = (value: unknown): string => value as string;
export const strOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : (value as string));

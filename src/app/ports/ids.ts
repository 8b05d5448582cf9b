/**
 * Identifier source. Ids are prefixed by kind (`conv_...`) and sort by creation time, which is what
 * keyset pagination relies on. Example: `ids.next('conv')` -> `conv_01JD3W6Q4Z8M2C5R0V7T9K1X3B`.
 */
export interface Ids {
  next(prefix: string): string;
  /** Random bytes for secrets, hex encoded. */
  secret(bytes: number): string;
}

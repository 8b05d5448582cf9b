import type { Ids } from '../ids.js';

/** Predictable, sortable ids for tests: `conv_0000000001`, `conv_0000000002`, ... */
export class SequentialIds implements Ids {
  private counter = 0;
  next(prefix: string): string {
    this.counter += 1;
    return `${prefix}_${String(this.counter).padStart(10, '0')}`;
  }
  secret(bytes: number): string {
    this.counter += 1;
    return String(this.counter).padStart(bytes * 2, '0');
  }
}

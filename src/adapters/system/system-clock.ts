import type { Clock } from '../../app/ports/clock.js';

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
}

import type { Bus } from './ports/bus.js';
import type { Clock } from './ports/clock.js';
import type { Ids } from './ports/ids.js';
import type { Storage } from './ports/storage.js';

/** What every use case may use; the composition root builds it once. */
export interface AppDeps {
  readonly storage: Storage;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly ids: Ids;
}

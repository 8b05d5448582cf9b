/**
 * What the storage contract suites do before and after: open a store, migrate it, and give it the
 * fakes the use cases need (a recording bus, a manual clock, sequential ids); then close it and
 * drop what the harness made.
 */
import type { AppDeps } from '../../src/app/deps.js';
import { ManualClock } from '../../src/app/ports/fakes/manual-clock.js';
import { RecordingBus } from '../../src/app/ports/fakes/recording-bus.js';
import { SequentialIds } from '../../src/app/ports/fakes/sequential-ids.js';
import type { StorageHarness } from './storage-contract.js';

export type ContractDeps = AppDeps & { clock: ManualClock; bus: RecordingBus; ids: SequentialIds };

export async function openMigrated(open: () => Promise<StorageHarness>, clockStart?: number): Promise<{ harness: StorageHarness; deps: ContractDeps }> {
  const harness = await open();
  await harness.storage.migrate();
  return { harness, deps: { storage: harness.storage, bus: new RecordingBus(), clock: new ManualClock(clockStart), ids: new SequentialIds() } };
}

export async function closeHarness(harness: StorageHarness | undefined): Promise<void> {
  await harness?.storage.close();
  await harness?.cleanup();
}

import type { Storage, StoreTx } from '../../src/app/ports/storage.js';

/**
 * Runs `count` transactions at once. On PostgreSQL (`concurrent`) each holds its own connection
 * and `together` waits until all of them are open, so what comes after it really overlaps; SQLite
 * runs one writer at a time by design, so there `together` returns at once and they run one after
 * another. Contract suites use it to show that exactly one of several conditional writes wins.
 */
export function raceTransactions<T>(
  storage: Storage, concurrent: boolean, count: number, work: (tx: StoreTx, i: number, together: () => Promise<void>) => Promise<T>,
): Promise<T[]> {
  let arrived = 0;
  let release!: () => void;
  const allArrived = new Promise<void>((resolve) => (release = resolve));
  const arrive = (): void => {
    arrived += 1;
    if (arrived === count) release();
  };
  return Promise.all(Array.from({ length: count }, (_, i) => {
    let here = false;
    const together = async (): Promise<void> => {
      if (!concurrent || here) return;
      here = true;
      arrive();
      await allArrived;
    };
    // A racer that fails before `together` still counts as arrived, so the others never wait forever.
    return storage.transaction((tx) => work(tx, i, together).finally(() => {
      if (!here) {
        here = true;
        arrive();
      }
    }));
  }));
}

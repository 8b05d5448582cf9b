import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../../src/adapters/storage/sqlite/sqlite-storage.js';
import { storageContract } from './storage-contract.js';

storageContract('SQLite (file, WAL)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-contract-'));
  return {
    storage: openSqliteStorage({ path: join(dir, 'switchboard.db'), synchronous: 'NORMAL' }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

storageContract('SQLite (in memory)', async () => ({
  storage: openSqliteStorage({ path: ':memory:', synchronous: 'NORMAL' }),
  cleanup: async () => undefined,
}));

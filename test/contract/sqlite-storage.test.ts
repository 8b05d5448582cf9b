import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../../src/adapters/storage/sqlite/sqlite-storage.js';
import { botStorageContract } from './bot-storage-contract.js';
import { identityStorageContract } from './identity-storage-contract.js';
import { messageRevisionStorageContract } from './message-revision-storage-contract.js';
import { routingStorageContract } from './routing-storage-contract.js';
import { storageContract, type StorageHarness } from './storage-contract.js';
import { workspaceStorageContract } from './workspace-storage-contract.js';

const file = async (): Promise<StorageHarness> => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-contract-'));
  return {
    storage: openSqliteStorage({ path: join(dir, 'switchboard.db'), synchronous: 'NORMAL' }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
};

const memory = async (): Promise<StorageHarness> => ({
  storage: openSqliteStorage({ path: ':memory:', synchronous: 'NORMAL' }),
  cleanup: async () => undefined,
});

storageContract('SQLite (file, WAL)', file);
storageContract('SQLite (in memory)', memory);
routingStorageContract('SQLite (file, WAL)', file);
routingStorageContract('SQLite (in memory)', memory);
identityStorageContract('SQLite (file, WAL)', file);
identityStorageContract('SQLite (in memory)', memory);
botStorageContract('SQLite (file, WAL)', file);
botStorageContract('SQLite (in memory)', memory);
workspaceStorageContract('SQLite (file, WAL)', file);
workspaceStorageContract('SQLite (in memory)', memory);
messageRevisionStorageContract('SQLite (file, WAL)', file);
messageRevisionStorageContract('SQLite (in memory)', memory);

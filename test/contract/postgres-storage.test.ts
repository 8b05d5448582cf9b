import { openPostgresStorage } from '../../src/adapters/storage/postgres/postgres-storage.js';
import { dropSchema, freshSchema, POSTGRES_URL, postgresSkip } from '../support/postgres.js';
import { botStorageContract } from './bot-storage-contract.js';
import { identityStorageContract } from './identity-storage-contract.js';
import { messageRevisionStorageContract } from './message-revision-storage-contract.js';
import { routingStorageContract } from './routing-storage-contract.js';
import { storageContract, type StorageHarness } from './storage-contract.js';
import { workspaceStorageContract } from './workspace-storage-contract.js';

const open = async (): Promise<StorageHarness> => {
  const schema = freshSchema();
  return {
    storage: openPostgresStorage({ connectionString: POSTGRES_URL, schema, maxConnections: 8 }),
    cleanup: () => dropSchema(schema),
  };
};

const skip = await postgresSkip();
storageContract('PostgreSQL', open, skip);
routingStorageContract('PostgreSQL', open, skip);
identityStorageContract('PostgreSQL', open, skip);
botStorageContract('PostgreSQL', open, skip);
workspaceStorageContract('PostgreSQL', open, skip);
messageRevisionStorageContract('PostgreSQL', open, skip);

import { openPostgresStorage } from '../../src/adapters/storage/postgres/postgres-storage.js';
import { dropSchema, freshSchema, POSTGRES_URL, postgresSkip } from '../support/postgres.js';
import { storageContract } from './storage-contract.js';

storageContract(
  'PostgreSQL',
  async () => {
    const schema = freshSchema();
    return {
      storage: openPostgresStorage({ connectionString: POSTGRES_URL, schema, maxConnections: 8 }),
      cleanup: () => dropSchema(schema),
    };
  },
  await postgresSkip(),
);

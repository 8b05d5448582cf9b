import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * PostgreSQL for tests. Locally the PostgreSQL suites skip with a notice when no server answers;
 * with CI set they are required and fail instead.
 */
export const POSTGRES_URL = process.env.SWITCHBOARD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const POSTGRES_REQUIRED = Boolean(process.env.CI);

let reachable: Promise<string | undefined> | undefined;

/** Resolves to undefined when PostgreSQL answers, or to the reason it does not. */
export function postgresProblem(): Promise<string | undefined> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return undefined;
    } catch (error) {
      return `${POSTGRES_URL}: ${(error as Error).message}`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

/**
 * The skip option for a PostgreSQL suite: false when it can run; a visible reason when it cannot
 * and is optional; throws when it is required (CI) but unreachable.
 */
export async function postgresSkip(): Promise<false | string> {
  const problem = await postgresProblem();
  if (!problem) return false;
  if (POSTGRES_REQUIRED) throw new Error(`PostgreSQL is required when CI is set but is unreachable (${problem})`);
  const notice = `PostgreSQL unreachable, PostgreSQL suite skipped (${problem})`;
  process.stderr.write(`\n*** NOTICE: ${notice}\n`);
  return notice;
}

/** A fresh schema name per use, so suites running in parallel never share tables. */
export function freshSchema(): string {
  return `sb_test_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiKeyAuthenticator } from '../../src/app/api-key-authenticator.js';
import type { AppDeps } from '../../src/app/deps.js';
import { ManualClock } from '../../src/app/ports/fakes/manual-clock.js';
import { RecordingBus } from '../../src/app/ports/fakes/recording-bus.js';
import { createAdminApiKey, ensureBootstrapKey, hashKeySecret } from '../../src/app/use-cases/create-api-key.js';
import { TimeOrderedIds } from '../../src/adapters/system/time-ordered-ids.js';
import { openSqliteStorage } from '../../src/adapters/storage/sqlite/sqlite-storage.js';

describe('admin API keys', () => {
  let deps: AppDeps & { clock: ManualClock };
  before(async () => {
    const clock = new ManualClock();
    deps = { storage: openSqliteStorage({ path: ':memory:', synchronous: 'NORMAL' }), bus: new RecordingBus(), clock, ids: new TimeOrderedIds(() => clock.now()) };
    await deps.storage.migrate();
  });
  after(() => deps.storage.close());

  it('creates a bootstrap key only when none exists', async () => {
    const first = await ensureBootstrapKey(deps);
    assert.ok(first);
    assert.equal(await ensureBootstrapKey(deps), undefined);
  });

  it('stores only the hash of the secret, never the secret', async () => {
    const issued = await createAdminApiKey(deps, 'ops');
    const [id, secret] = issued.token.split('.') as [string, string];
    assert.match(secret, /^[0-9a-f]{64}$/, '256 bits of entropy');
    const stored = await deps.storage.read.getApiKey(id);
    assert.equal(stored?.secretHash, hashKeySecret(secret));
    assert.ok(!JSON.stringify(stored).includes(secret));
  });

  it('accepts the issued key and rejects a wrong secret, an unknown id and junk', async () => {
    const auth = new ApiKeyAuthenticator(deps);
    const issued = await createAdminApiKey(deps, 'ops');
    const caller = await auth.authenticate(issued.token);
    assert.deepEqual(caller?.actor, { kind: 'admin', id: issued.record.id });
    assert.equal(caller?.tenants, 'all');
    const [id] = issued.token.split('.');
    for (const bad of [`${id}.${'0'.repeat(64)}`, `key_unknown.${'a'.repeat(64)}`, 'nonsense', '.', `${id}.`, 'x'.repeat(500)]) {
      assert.equal(await auth.authenticate(bad), undefined, bad.slice(0, 40));
    }
  });
});

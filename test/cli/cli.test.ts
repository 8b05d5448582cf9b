import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { hashKeySecret } from '../../src/app/use-cases/create-api-key.js';
import { LATEST_VERSION } from '../../src/adapters/storage/sql/migrations.js';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'sb-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function switchboard(args: string[], env: Record<string, string> = {}, input?: string) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    ...(input === undefined ? {} : { input }),
    env: { PATH: process.env.PATH ?? '', SWITCHBOARD_DATA_DIR: dir, SWITCHBOARD_LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('switchboard CLI', () => {
  it('prints its commands with help', () => {
    const r = switchboard(['help']);
    assert.equal(r.code, 0);
    for (const command of ['start', 'serve', 'migrate', 'demo', 'admin create-key']) assert.ok(r.out.includes(command), command);
  });

  it('rejects an unknown command with exit code 2', () => {
    const r = switchboard(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown command "frobnicate"/);
  });

  it('lists every configuration problem and exits 78', () => {
    const r = switchboard(['migrate'], { SWITCHBOARD_PORT: 'x', DATABASE_URL: 'mysql://db' });
    assert.equal(r.code, 78);
    assert.match(r.err, /SB_ERR_CONFIG_INVALID/);
    assert.match(r.err, /port/);
    assert.match(r.err, /DATABASE_URL/);
  });

  it('migrates once, then has nothing to apply', () => {
    const first = switchboard(['migrate']);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /applied: 1 .*2 routing/);
    const second = switchboard(['migrate']);
    assert.match(second.out, /nothing to apply/);
    assert.match(second.out, new RegExp(`schema version ${LATEST_VERSION} \\(sqlite\\)`));
  });

  it('seeds the demo tenant once: a web chat channel, two queues, two agents', () => {
    const r = switchboard(['demo']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /web chat channel/);
    assert.equal((r.out.match(/^ {2}queue /gm) ?? []).length, 2);
    assert.equal((r.out.match(/^ {2}agent /gm) ?? []).length, 2);
    const again = switchboard(['demo']);
    assert.match(again.out, /already present/);
    const db = new Database(join(dir, 'switchboard.db'), { readonly: true });
    try {
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM tenants').get() as { n: number }).n, 1);
      assert.equal((db.prepare("SELECT COUNT(*) AS n FROM channels WHERE type = 'webchat'").get() as { n: number }).n, 1);
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM queues').get() as { n: number }).n, 2);
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM agents').get() as { n: number }).n, 2);
    } finally {
      db.close();
    }
  });

  it('scripts identity: registers an app, adds a secret printed once, consents, invites a scoped supervisor', () => {
    const db = () => new Database(join(dir, 'switchboard.db'), { readonly: true });
    let tenantId: string;
    let queueId: string;
    const read = db();
    try {
      tenantId = (read.prepare('SELECT id FROM tenants').get() as { id: string }).id;
      queueId = (read.prepare('SELECT id FROM queues ORDER BY id').get() as { id: string }).id;
    } finally {
      read.close();
    }
    const app = switchboard(['apps', 'create', '--tenant', tenantId, '--name', 'CRM sync', '--permission', 'conversations.read', '--permission', 'reports.read']);
    assert.equal(app.code, 0, app.err);
    const created = JSON.parse(app.out);
    assert.deepEqual(created.applicationPermissions, ['conversations.read', 'reports.read']);
    const secret = switchboard(['apps', 'secrets', 'add', '--tenant', tenantId, '--app', created.id, '--days', '30']);
    assert.equal(secret.code, 0, secret.err);
    const value = JSON.parse(secret.out).value as string;
    assert.match(value, /^sbs_/);
    const consent = switchboard(['apps', 'consent', '--tenant', tenantId, '--client-id', created.clientId]);
    assert.equal(consent.code, 0, consent.err);
    assert.deepEqual(JSON.parse(consent.out).applicationPermissions, ['conversations.read', 'reports.read']);
    // The app as a bot: its agent bound to the client id, once per tenant.
    const bot = switchboard(['bots', 'create', '--tenant', tenantId, '--client-id', created.clientId, '--name', 'CRM bot']);
    assert.equal(bot.code, 0, bot.err);
    assert.deepEqual([JSON.parse(bot.out).kind, JSON.parse(bot.out).appId], ['bot', created.clientId]);
    const twice = switchboard(['bots', 'create', '--tenant', tenantId, '--client-id', created.clientId, '--name', 'CRM bot 2']);
    assert.equal(twice.code, 1);
    assert.match(twice.err, /SB_ERR_BOT_APP_IN_USE/);
    const user = switchboard(['users', 'invite', '--tenant', tenantId, '--email', 'sue@example.test', '--name', 'Sue', '--role', `supervisor:${queueId}`]);
    assert.equal(user.code, 0, user.err);
    const check = db();
    try {
      const stored = JSON.stringify(check.prepare('SELECT * FROM app_secrets').all());
      assert.equal(stored.includes(value), false, 'the secret value is not stored');
      const assignment = check.prepare('SELECT role, queue_ids FROM role_assignments WHERE principal_id = ?').get(JSON.parse(user.out).id) as { role: string; queue_ids: string };
      assert.equal(assignment.role, 'supervisor');
      assert.deepEqual(JSON.parse(assignment.queue_ids), [queueId]);
    } finally {
      check.close();
    }
    const bad = switchboard(['apps', 'create', '--tenant', tenantId, '--name', 'x', '--permission', 'everything']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /SB_ERR_INVALID_PERMISSION/);
    const usage = switchboard(['apps', 'secrets', 'add', '--tenant', tenantId]);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /missing --app/);
  });

  it('configures single sign-on: the secret read from stdin, never printed; show; remove', () => {
    const read = new Database(join(dir, 'switchboard.db'), { readonly: true });
    let tenantId: string;
    try {
      tenantId = (read.prepare('SELECT id FROM tenants').get() as { id: string }).id;
    } finally {
      read.close();
    }
    const secret = 'provider-secret-0123456789';
    const env = { SWITCHBOARD_PUBLIC_URL: 'https://cc.example.com' };
    const configure = switchboard([
      'sso', 'configure', '--tenant', tenantId, '--issuer', 'https://login.example.com/tenant-1/v2.0', '--client-id', 'switchboard',
      '--client-secret-stdin', '--scope', 'openid', '--scope', 'email', '--scope', 'profile', '--claim', 'groups=memberOf',
      '--map-role', 'cc-leads=supervisor', '--map-role', 'cc-agents=agent', '--auto-provision',
    ], env, `${secret}\n`);
    assert.equal(configure.code, 0, configure.err);
    assert.ok(!configure.out.includes(secret), 'the secret is printed');
    const configured = JSON.parse(configure.out);
    assert.equal(configured.hasClientSecret, true);
    assert.equal(configured.clientSecretHint, 'pro…');
    assert.equal(configured.claims.groups, 'memberOf');
    assert.deepEqual(configured.roleMapping, { 'cc-leads': 'supervisor', 'cc-agents': 'agent' });
    assert.equal(configured.autoProvision, true);
    assert.equal(configured.redirectUri, `https://cc.example.com/login/${tenantId}/sso/callback`);
    const show = switchboard(['sso', 'show', '--tenant', tenantId], env);
    assert.equal(show.code, 0, show.err);
    assert.deepEqual(JSON.parse(show.out), configured);
    const bad = switchboard(['sso', 'configure', '--tenant', tenantId, '--issuer', 'http://login.example.com', '--client-id', 'x']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /SB_ERR_INVALID_OIDC_CONNECTION/);
    const usage = switchboard(['sso', 'configure', '--tenant', tenantId, '--issuer', 'https://login.example.com', '--client-id', 'x', '--map-role', 'supervisor']);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /--map-role takes KEY=VALUE/);
    const removed = switchboard(['sso', 'remove', '--tenant', tenantId]);
    assert.equal(removed.code, 0, removed.err);
    assert.deepEqual(JSON.parse(removed.out), { tenantId, removed: true });
    const gone = switchboard(['sso', 'show', '--tenant', tenantId]);
    assert.equal(gone.code, 1);
    assert.match(gone.err, /SB_ERR_SSO_NOT_CONFIGURED/);
  });

  it('creates an admin key, prints it once and stores only its hash', () => {
    const r = switchboard(['admin', 'create-key', '--label', 'ci']);
    assert.equal(r.code, 0, r.err);
    const token = /(key_[0-9A-Z]{26})\.([0-9a-f]{64})/.exec(r.out);
    assert.ok(token, r.out);
    const db = new Database(join(dir, 'switchboard.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT secret_hash, label FROM api_keys WHERE id = ?').get(token[1]) as { secret_hash: string; label: string };
      assert.equal(row.secret_hash, hashKeySecret(token[2]!));
      assert.equal(row.label, 'ci');
    } finally {
      db.close();
    }
  });
});

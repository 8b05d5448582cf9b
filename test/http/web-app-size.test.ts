// The web app's initial JavaScript budget (issue 7: <= 250 KB gzipped): every script index.html
// loads before the app can draw, as the production build makes it. A size, not a timing, so it is
// asserted; the figure is reported too (docs/BENCHMARKS.md).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { before, describe, it } from 'node:test';
import { build } from 'vite';

const root = new URL('../..', import.meta.url).pathname;
const dist = join(root, 'dist/web');
const BUDGET_BYTES = 250 * 1024;

describe('the web app build', () => {
  before(async () => {
    // scripts/run-tests.mjs builds it once per run; alone, this suite builds it itself.
    if (process.env.SWITCHBOARD_WEB_BUILT !== '1') await build({ configFile: join(root, 'vite.web.config.ts'), logLevel: 'silent' });
  });

  it('loads at most 250 KB of gzipped JavaScript before the app starts', (t) => {
    const html = readFileSync(join(dist, 'index.html'), 'utf8');
    // Module entry scripts and the chunks they preload: what the browser fetches up front.
    const srcs = [
      ...[...html.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]!),
      ...[...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => m[1]!),
    ];
    assert.ok(srcs.length > 0, 'index.html loads a script');
    let raw = 0;
    let gzipped = 0;
    for (const src of srcs) {
      assert.ok(src.startsWith('/app/'), `${src} is served under /app/`);
      const body = readFileSync(join(dist, src.slice('/app/'.length)));
      raw += body.length;
      gzipped += gzipSync(body).length;
    }
    t.diagnostic(`initial JavaScript: ${srcs.length} file(s), ${(raw / 1024).toFixed(1)} KB, ${(gzipped / 1024).toFixed(1)} KB gzipped (budget 250 KB)`);
    assert.ok(gzipped <= BUDGET_BYTES, `${gzipped} bytes gzipped is over the budget`);
  });
});

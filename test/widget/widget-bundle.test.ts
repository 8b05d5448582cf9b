import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { build } from 'vite';

const root = new URL('../..', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

describe('the widget bundle', () => {
  const out = mkdtempSync(join(tmpdir(), 'sb-widget-build-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  it('builds into one self-contained script that stays small', async () => {
    await build({ configFile: join(root, 'vite.widget.config.ts'), root, logLevel: 'silent', build: { outDir: out } });
    assert.deepEqual(readdirSync(out), ['widget.js']);
    const script = readFileSync(join(out, 'widget.js'), 'utf8');
    assert.match(script, /^var SwitchboardWebChat=\(function/, 'an IIFE that defines one global');
    assert.doesNotMatch(script, /\bimport\s*\(|\bimport\s*[{*"']|\brequire\(/, 'nothing loaded at run time');
    assert.ok(script.length < 48 * 1024, `${script.length} bytes`);
  });

  it('has no HTML sink in its source: messages become text nodes, never markup', () => {
    const sinks = /\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write|\beval\(|new Function\(/;
    const offenders = sources(join(root, 'src/widget')).filter((file) => sinks.test(readFileSync(file, 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '')));
    assert.deepEqual(offenders, []);
  });
});

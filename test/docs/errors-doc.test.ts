import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CODES } from '../../src/app/errors.js';
import { ERROR_STATUS } from '../../src/server/http/error-status.js';

const page = readFileSync(new URL('../../docs/ERRORS.md', import.meta.url), 'utf8');
const documented = new Map([...page.matchAll(/^\| `(SB_ERR_[A-Z_]+)` \| (\d{3}) \| (.+) \|$/gm)].map((m) => [m[1]!, { status: Number(m[2]), meaning: m[3]! }]));

describe('docs/ERRORS.md', () => {
  it('documents every code in the catalogue', () => {
    const missing = Object.keys(ERROR_CODES).filter((c) => !documented.has(c));
    assert.deepEqual(missing, [], `add these codes to docs/ERRORS.md: ${missing.join(', ')}`);
  });
  it('documents no code the catalogue lacks', () => {
    const stale = [...documented.keys()].filter((c) => !(c in ERROR_CODES));
    assert.deepEqual(stale, [], `remove or add to src/app/errors.ts: ${stale.join(', ')}`);
  });
  it('gives each code the HTTP status the server sends', () => {
    for (const [code, { status }] of documented) {
      if (code in ERROR_STATUS) assert.equal(status, ERROR_STATUS[code as keyof typeof ERROR_STATUS], code);
    }
  });
  it('describes each code', () => {
    for (const [code, { meaning }] of documented) assert.ok(meaning.trim().length > 10, code);
  });
});

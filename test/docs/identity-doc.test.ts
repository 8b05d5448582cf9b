import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { PERMISSIONS } from '../../src/core/identity/permissions.js';

const page = readFileSync(new URL('../../docs/IDENTITY.md', import.meta.url), 'utf8');
const documented = new Map([...page.matchAll(/^\| `([a-z]+(?:\.[a-z_]+)+)` \| (.+) \|$/gm)].map((m) => [m[1]!, m[2]!]));

describe('docs/IDENTITY.md', () => {
  it('lists every permission of the catalogue with its description', () => {
    for (const [name, description] of Object.entries(PERMISSIONS)) assert.equal(documented.get(name), description, name);
  });
  it('lists no permission the catalogue lacks', () => {
    assert.deepEqual([...documented.keys()].filter((n) => !(n in PERMISSIONS)), []);
  });
});

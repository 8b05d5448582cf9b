/**
 * What every ConversationTokens adapter must do, read as a specification: the tokens it signs
 * verify under the same key until `exp` by the injected clock, and nothing else does. Attack
 * tokens are built by hand (base64url + node:crypto), so the adapter under test never helps make them.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ConversationTokens } from '../../src/app/ports/conversation-tokens.js';

/** The injected "now": 2030-01-01, far from the wall clock, so an adapter that read the wall clock would fail. */
const NOW = Date.UTC(2030, 0, 1);
const NOW_S = NOW / 1000;
const ISSUER = 'switchboard/directline';
const AUDIENCE = 'directline';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A compact JWS signed by hand with HMAC-SHA-`bits`. */
function handMade(header: Record<string, unknown>, payload: Record<string, unknown>, key: Uint8Array, bits = 256): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac(`sha${bits}`, key).update(input).digest('base64url')}`;
}

const claims = (exp = NOW_S + 600) => ({ tid: 'ten_1', chn: 'chn_1', conv: 'conv_1', user: 'dl_u1', iat: NOW_S, exp });
const good = (over: Record<string, unknown> = {}) => ({ iss: ISSUER, aud: AUDIENCE, ...claims(), ...over });

export function conversationTokensContract(name: string, make: () => ConversationTokens): void {
  describe(`ConversationTokens contract: ${name}`, () => {
    const key = new Uint8Array(randomBytes(32));

    it('verifies what it signed, with the claims as given, until exp by the injected clock', async () => {
      const tokens = make();
      const token = await tokens.sign({ ...claims(), ctx: { prechat: { topic: 'billing' } } }, key);
      const checked = await tokens.verify(token, key, NOW);
      assert.equal(checked.ok, true);
      assert.ok(checked.ok);
      assert.deepEqual({ ...checked.claims, iss: undefined, aud: undefined }, { ...claims(), ctx: { prechat: { topic: 'billing' } }, iss: undefined, aud: undefined });
      // One millisecond before the expiry second it is still valid; at it, it is expired.
      assert.equal((await tokens.verify(token, key, (NOW_S + 600) * 1000 - 1)).ok, true);
      assert.deepEqual(await tokens.verify(token, key, (NOW_S + 600) * 1000), { ok: false, reason: 'expired' });
    });

    it('signs HS256 with the Direct Line issuer and audience, and iat and exp as given', async () => {
      const token = await make().sign(claims(), key);
      const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>);
      assert.equal(header!.alg, 'HS256');
      assert.equal(payload!.iss, ISSUER);
      assert.equal(payload!.aud, AUDIENCE);
      assert.equal(payload!.iat, NOW_S);
      assert.equal(payload!.exp, NOW_S + 600);
      // Without iat in the claims there is none in the token: none from this machine's wall clock.
      const { iat: _iat, ...untimed } = claims();
      const bare = JSON.parse(Buffer.from((await make().sign(untimed, key)).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      assert.equal(bare.iat, undefined);
    });

    it('accepts a standard HS256 token of our issuer and audience made by any library (a token issued before an upgrade)', async () => {
      const checked = await make().verify(handMade({ alg: 'HS256', typ: 'JWT' }, good(), key), key, NOW);
      assert.ok(checked.ok);
      assert.equal(checked.claims.conv, 'conv_1');
    });

    it('refuses another key, a changed payload or signature as a bad signature', async () => {
      const tokens = make();
      const token = await tokens.sign(claims(), key);
      assert.deepEqual(await tokens.verify(token, new Uint8Array(randomBytes(32)), NOW), { ok: false, reason: 'bad_signature' });
      const [h, , s] = token.split('.');
      const forged = `${h}.${b64({ ...good(), conv: 'conv_2' })}.${s}`;
      assert.deepEqual(await tokens.verify(forged, key, NOW), { ok: false, reason: 'bad_signature' });
      const flipped = `${token.slice(0, -2)}${token.endsWith('AA') ? 'AB' : 'AA'}`;
      assert.equal((await tokens.verify(flipped, key, NOW)).ok, false);
    });

    it('refuses other algorithms whatever the header says: none, HS512, RS256', async () => {
      const tokens = make();
      const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(good())}.`;
      assert.equal((await tokens.verify(none, key, NOW)).ok, false);
      assert.equal((await tokens.verify(handMade({ alg: 'HS512' }, good(), key, 512), key, NOW)).ok, false);
      // RS256 "signed" with the HMAC key as if it were a public key (the classic confusion attack).
      assert.equal((await tokens.verify(handMade({ alg: 'RS256' }, good(), key), key, NOW)).ok, false);
    });

    it('refuses another issuer or audience, and a token without exp', async () => {
      const tokens = make();
      assert.equal((await tokens.verify(handMade({ alg: 'HS256' }, good({ iss: 'someone/else' }), key), key, NOW)).ok, false);
      assert.equal((await tokens.verify(handMade({ alg: 'HS256' }, good({ aud: 'api' }), key), key, NOW)).ok, false);
      const { exp: _exp, ...noExp } = good();
      assert.equal((await tokens.verify(handMade({ alg: 'HS256' }, noExp, key), key, NOW)).ok, false);
      assert.equal((await tokens.verify(handMade({ alg: 'HS256' }, good({ exp: 'soon' }), key), key, NOW)).ok, false);
    });

    it('refuses a token not valid before a later time, by the injected clock', async () => {
      const tokens = make();
      assert.equal((await tokens.verify(handMade({ alg: 'HS256' }, good({ nbf: NOW_S + 60 }), key), key, NOW)).ok, false);
      assert.equal((await tokens.verify(handMade({ alg: 'HS256' }, good({ nbf: NOW_S - 60 }), key), key, NOW)).ok, true);
    });

    it('answers malformed for what is not a compact JWT, an oversized one included, without throwing', async () => {
      const tokens = make();
      for (const junk of ['', 'abc', 'a.b', 'a.b.c.d', '...', `${b64('{')}.${b64(good())}.x`, `${b64({ alg: 'HS256' })}.${'A'.repeat(9000)}.x`]) {
        const checked = await tokens.verify(junk, key, NOW);
        assert.deepEqual(checked, { ok: false, reason: 'malformed' }, junk.slice(0, 40));
      }
    });
  });
}

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/server/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

describe('logs', () => {
  it('redact credentials, message bodies and personal data', () => {
    const { lines, stream } = capture();
    const log = createLogger('info', stream);
    log.info({
      req: { id: 'r1', method: 'GET', url: '/v1/stream?access_token=key_ABC.secret&x=1', ip: '127.0.0.1', headers: { authorization: 'Bearer key_ABC.secret' } },
      message: { text: 'my card is 4111 1111 1111 1111' },
      contact: { email: 'dana@example.com', phone: '+441234567890' },
      issued: { token: 'key_ABC.secret' },
    }, 'something happened');
    const out = lines.join('');
    for (const secret of ['key_ABC.secret', '4111', 'dana@example.com', '+441234567890']) assert.ok(!out.includes(secret), `leaked ${secret}: ${out}`);
    assert.match(out, /access_token=\[redacted\]&x=1/);
    assert.match(out, /something happened/);
  });

  it('redact the credentials of OAuth and OpenID Connect query strings, keeping the rest', () => {
    const { lines, stream } = capture();
    createLogger('info', stream).info({ req: { id: 'r2', method: 'GET', url: '/login/t/sso/callback?code=c0de&state=st4te&iss=https%3A%2F%2Fidp#frag' } }, 'callback');
    const out = lines.join('');
    for (const secret of ['c0de', 'st4te']) assert.ok(!out.includes(secret), `leaked ${secret}: ${out}`);
    assert.match(out, /code=\[redacted\]&state=\[redacted\]&iss=https%3A%2F%2Fidp/);
  });
});

import { Test } from '@nestjs/testing';
import { createAuthTestKit } from '../src/testing/index.js';
import { LogCapture } from './support/log-capture.js';
import type { Rs256AuthModuleOptions } from '../src/index.js';

const kit = createAuthTestKit();

async function policyLines(options: Rs256AuthModuleOptions): Promise<string[]> {
  const logs = new LogCapture();
  const app = (await Test.createTestingModule({ imports: [kit.module(options)] }).compile()).createNestApplication({ logger: logs });
  try {
    await app.init();
  } finally {
    await app.close();
  }
  return logs.matching(/Policy:/);
}

describe('the start-up policy line', () => {
  it('says the clock tolerance, the cache, sessions off and refusals not logged, by default', async () => {
    expect(await policyLines({})).toEqual(['LOG Policy: clock tolerance 5 s; verified-token cache of 5000; sessions off; refusals not logged.']);
  });

  it('says what is configured: sessions and their store, refusal logging, the metadata routes', async () => {
    expect(
      await policyLines({
        verification: { cacheSize: 0, logRefusals: 'debug' },
        sessions: true,
        publishing: { jwks: true, discovery: true, resourceMetadata: { resource: 'http://127.0.0.1:3000/api' } },
        tokens: { clockTolerance: 0, issuer: 'http://127.0.0.1:3000/auth' },
      }),
    ).toEqual([
      'LOG Policy: clock tolerance 0 s; verified-token cache off; sessions on, stored in memory (this process only); refusals logged at debug; ' +
        'discovery metadata served at /auth/.well-known/openid-configuration and /.well-known/oauth-authorization-server/auth; ' +
        'protected-resource metadata served at /.well-known/oauth-protected-resource/api.',
    ]);
  });

  it('says DPoP is on, with its algorithms, where proofs are remembered and whether nonces are asked for', async () => {
    expect(await policyLines({ dpop: { mode: 'required', algorithms: ['ES256', 'EdDSA'], nonce: true } })).toEqual([
      'LOG Policy: clock tolerance 5 s; verified-token cache of 5000; sessions off; refusals not logged; ' +
        'DPoP required (ES256, EdDSA), proofs remembered in memory (this process only), server nonces.',
    ]);
  });
});

import { createPrivateKey, createPublicKey, sign as signWithKey, type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import type { JwtService } from '@nestjs/jwt';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { KeyReloader, SessionService, type Rs256Signer } from '../src/index.js';
import { createApp } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { rsaPair } from './support/keys.js';
import { LogCapture } from './support/log-capture.js';
import { DIST } from './support/paths.js';
import { createSoftHsm, SOFTHSM_LIBRARY, type SoftHsm } from './support/softhsm.js';
import * as pkcs11js from 'pkcs11js';
import { errorText, startupError } from './support/startup.js';

const PIN = '482917';
const TOKEN = 'jwt-custody';
const RELOGIN_TOKEN = 'jwt-relogin';
let hsm: SoftHsm;
let pinPath: string;
let slot: number;

beforeAll(() => {
  hsm = createSoftHsm();
  slot = hsm.initToken(TOKEN, PIN, [
    { label: 'signing', id: '01', bits: 2048 },
    // Below the accepted minimum: the size check must catch it in an HSM as in a file.
    { label: 'small', id: '02', bits: 1024 },
  ]);
  // A token of its own for the test that changes its PIN.
  hsm.initToken(RELOGIN_TOKEN, PIN, [{ label: 'signing', id: '01', bits: 2048 }]);
  pinPath = join(hsm.dir, 'pin');
  writeFileSync(pinPath, `${PIN}\n`, { mode: 0o600 });
}, 120_000);
afterAll(() => hsm?.cleanup());

const hsmEnv = (overrides: Record<string, string> = {}): Record<string, string> => ({
  JWT_PKCS11_MODULE: SOFTHSM_LIBRARY,
  JWT_PKCS11_TOKEN_LABEL: TOKEN,
  JWT_PKCS11_KEY_LABEL: 'signing',
  JWT_PKCS11_PIN_PATH: pinPath,
  JWT_JWKS_ENABLED: 'true',
  ...overrides,
});

async function jwksOf(url: string): Promise<ReturnType<typeof createLocalJWKSet>> {
  const response = await request(url, '/.well-known/jwks.json');
  expect(response.status).toBe(200);
  return createLocalJWKSet(response.body);
}

/** pkcs11js, as the test drives the token from outside the module (CommonJS: its exports under `default` from ESM). */
const { PKCS11, CKF_SERIAL_SESSION, CKF_RW_SESSION, CKU_SO } = (pkcs11js as typeof pkcs11js & { default?: typeof pkcs11js }).default ?? pkcs11js;

/**
 * Runs `step` on a second handle of the same library, which shares its process-wide state (sessions, logins):
 * closing every session there logs the application out of the token, as a token or HSM restart does.
 */
function fromOutside(label: string, step: (outside: InstanceType<typeof PKCS11>, slot: Buffer) => void): void {
  const outside = new PKCS11();
  outside.load(SOFTHSM_LIBRARY);
  try {
    const [found] = outside.C_GetSlotList(true).filter((candidate) => outside.C_GetTokenInfo(candidate).label.trim() === label);
    step(outside, found);
  } finally {
    outside.close();
  }
}

describe('signing in an HSM over PKCS#11 (SoftHSM)', () => {
  let app: INestApplication;
  let jwt: JwtService;
  let url: string;
  const logs = new LogCapture();

  beforeAll(async () => {
    ({ app, jwt } = await createApp({ env: hsmEnv(), logger: logs }));
    url = await listen(app);
  }, 120_000);
  afterAll(() => app?.close());

  it('signs with signAsync in the token: the token passes the guard over HTTP and verifies against the JWK Set', async () => {
    const token = await jwt.signAsync({ sub: 'alice' });
    const profile = await request(url, '/profile', { token });
    expect(profile.status).toBe(200);
    expect(profile.body.subject).toBe('alice');
    const { payload, protectedHeader } = await jwtVerify(token, await jwksOf(url), { algorithms: ['RS256'] });
    expect(payload.sub).toBe('alice');
    expect(typeof protectedHeader.kid).toBe('string');
  });

  it('signs with sync sign too, per-call options and payloads jsonwebtoken shapes included', async () => {
    const keys = await jwksOf(url);
    const plain = jwt.sign({ sub: 'bob' });
    const shaped = jwt.sign({ sub: 'carol', iat: Math.floor(Date.now() / 1000) - 5 }, { jwtid: 'id-1', notBefore: 0 });
    expect((await request(url, '/profile', { token: plain })).status).toBe(200);
    const { payload } = await jwtVerify(shaped, keys, { algorithms: ['RS256'] });
    expect(payload).toMatchObject({ sub: 'carol', jti: 'id-1' });
    expect((await request(url, '/profile', { token: shaped })).status).toBe(200);
  });

  it('signs concurrent calls safely: every token of a burst of signAsync and sign calls verifies', async () => {
    const keys = await jwksOf(url);
    const tokens = await Promise.all(
      Array.from({ length: 24 }, (_, at) => (at % 3 === 0 ? Promise.resolve(jwt.sign({ sub: `u${at}` })) : jwt.signAsync({ sub: `u${at}` }))),
    );
    for (const [at, token] of tokens.entries()) {
      const { payload } = await jwtVerify(token, keys, { algorithms: ['RS256'] });
      expect(payload.sub).toBe(`u${at}`);
    }
  });

  it('keeps signing in the token after a key reload (SIGHUP): the set is rebuilt around the same HSM key', async () => {
    const before = await jwt.signAsync({ sub: 'grace' });
    expect(await app.get(KeyReloader).reload()).toBe(true);
    const after = await jwt.signAsync({ sub: 'grace' });
    expect(after.split('.')[0]).toBe(before.split('.')[0]);
    expect((await request(url, '/profile', { token: after })).status).toBe(200);
  });

  it('refuses a per-call algorithm, keyid or header that the HSM key does not sign with, issuing no token', async () => {
    for (const options of [{ algorithm: 'PS256' as const }, { keyid: 'attacker' }, { header: { alg: 'PS256', kid: 'attacker' } }]) {
      await expect(jwt.signAsync({ sub: 'mallory' }, options)).rejects.toMatchObject({ code: 'RS256_SIGNING_FAILED' });
      expect(() => jwt.sign({ sub: 'mallory' }, options)).toThrow(expect.objectContaining({ code: 'RS256_SIGNING_FAILED' }));
    }
    // Restating the key's own algorithm and kid is accepted.
    const kid = JSON.parse(Buffer.from((await jwt.signAsync({ sub: 'x' })).split('.')[0], 'base64url').toString()).kid as string;
    expect(jwt.verify(await jwt.signAsync({ sub: 'oscar' }, { algorithm: 'RS256', keyid: kid }))).toMatchObject({ sub: 'oscar' });
  });

  it('reopens its sessions and logs in again after they were all closed from outside (an HSM restart), then signs', async () => {
    fromOutside(TOKEN, (outside, found) => outside.C_CloseAllSessions(found));
    const token = await jwt.signAsync({ sub: 'peggy' });
    expect((await request(url, '/profile', { token })).status).toBe(200);
    expect(jwt.verify(jwt.sign({ sub: 'sync' }))).toMatchObject({ sub: 'sync' });
    expect(logs.lines.join('\n')).not.toContain(PIN);
  });

  it("publishes the token's public half, and the start-up line names the token and key label, never the PIN", async () => {
    const { body } = await request(url, '/.well-known/jwks.json');
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatchObject({ kty: 'RSA', e: 'AQAB', alg: 'RS256' });
    expect(Buffer.from(body.keys[0].n, 'base64url')).toHaveLength(256);
    const line = logs.matching(/Signing mode/);
    expect(line).toHaveLength(1);
    expect(line[0]).toContain(`held in the HSM's PKCS#11 token "${TOKEN}" (key label "signing")`);
    expect(logs.lines.join('\n')).not.toContain(PIN);
  });
});

it('closes its sessions when the application closes, leaving another application on the same token signing', async () => {
  const first = await createApp({ env: hsmEnv() });
  const second = await createApp({ env: hsmEnv() });
  try {
    await first.jwt.signAsync({ sub: 'before' });
    await first.app.close();
    await expect(first.jwt.signAsync({ sub: 'after' })).rejects.toMatchObject({
      code: 'RS256_SIGNING_FAILED',
      message: expect.stringContaining('closed'),
    });
    expect(() => first.jwt.sign({ sub: 'after' })).toThrow(expect.objectContaining({ code: 'RS256_SIGNING_FAILED' }));
    // Still logged in: the first application's closing did not log the process out of the token.
    const token = await second.jwt.signAsync({ sub: 'still' });
    expect(second.jwt.verify(token)).toMatchObject({ sub: 'still' });
    expect(second.jwt.verify(second.jwt.sign({ sub: 'sync' }))).toMatchObject({ sub: 'sync' });
  } finally {
    await first.app.close();
    await second.app.close();
  }
});

it('fails a sign with RS256_PKCS11_FAILED, without the PIN, when the login after a lost session is refused', async () => {
  const { app, jwt } = await createApp({ env: hsmEnv({ JWT_PKCS11_TOKEN_LABEL: RELOGIN_TOKEN }) });
  try {
    await jwt.signAsync({ sub: 'before' });
    // The sessions are lost, and meanwhile the user PIN was changed: logging in again with the old one fails.
    fromOutside(RELOGIN_TOKEN, (outside, found) => {
      outside.C_CloseAllSessions(found);
      const session = outside.C_OpenSession(found, CKF_SERIAL_SESSION | CKF_RW_SESSION);
      outside.C_Login(session, CKU_SO, `so-${PIN}`);
      outside.C_InitPIN(session, '135790');
      outside.C_Logout(session);
      outside.C_CloseSession(session);
    });
    const refused = await jwt.signAsync({ sub: 'after' }).catch((error: unknown) => error as Error & { code: string });
    expect(refused).toMatchObject({ code: 'RS256_PKCS11_FAILED', message: expect.stringContaining('CKR_PIN_INCORRECT') });
    expect(errorText(refused as Error)).not.toContain(PIN);
    expect(() => jwt.sign({ sub: 'after' })).toThrow(expect.objectContaining({ code: 'RS256_PKCS11_FAILED' }));
  } finally {
    await app.close();
  }
});

it('loads pkcs11js and signs in the token from the CommonJS build too (dist/cjs, require)', () => {
  const script = `
    const { openCustody } = require(${JSON.stringify(join(DIST, 'cjs/custody/open-custody.js'))});
    const { verify } = require('node:crypto');
    const settings = {
      module: { setting: 'JWT_PKCS11_MODULE', path: ${JSON.stringify(SOFTHSM_LIBRARY)} },
      token: { setting: 'JWT_PKCS11_TOKEN_LABEL', label: ${JSON.stringify(TOKEN)} },
      key: { setting: 'JWT_PKCS11_KEY_LABEL', label: 'signing' },
      pin: { setting: 'JWT_PKCS11_PIN', value: ${JSON.stringify(PIN)} },
    };
    openCustody({ pkcs11: settings }).then(async (custody) => {
      const input = Buffer.from('a.b');
      const ok = verify('sha256', input, custody.publicKey, await custody.sign(input)) && verify('sha256', input, custody.publicKey, custody.signSync(input));
      await custody.close();
      console.log(ok ? 'signed' : 'bad signature');
    });`;
  const output = execFileSync(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH, SOFTHSM2_CONF: join(hsm.dir, 'softhsm2.conf') },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(output.trim()).toBe('signed');
});

it('finds the token by slot and the key by id, the PIN from the environment', async () => {
  const { app, jwt } = await createApp({
    env: hsmEnv({
      JWT_PKCS11_TOKEN_LABEL: '',
      JWT_PKCS11_SLOT: String(slot),
      JWT_PKCS11_KEY_LABEL: '',
      JWT_PKCS11_KEY_ID: '01',
      JWT_PKCS11_PIN_PATH: '',
      JWT_PKCS11_PIN: PIN,
    }),
  });
  try {
    const token = await jwt.signAsync({ sub: 'heidi' });
    expect(jwt.verify(token)).toMatchObject({ sub: 'heidi' });
  } finally {
    await app.close();
  }
});

it('names the pkcs11js package when it is not installed (JWT_PKCS11_MODULE set without it)', () => {
  // A resolve hook that answers for pkcs11js as Node does for a package that is not installed.
  const hooks = `export async function resolve(specifier, context, next) {
    if (specifier === 'pkcs11js') throw Object.assign(new Error("Cannot find package 'pkcs11js'"), { code: 'ERR_MODULE_NOT_FOUND' });
    return next(specifier, context);
  }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  const script = `
    const { loadPkcs11js } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'custody/pkcs11.peer.js')).href)});
    await loadPkcs11js('JWT_PKCS11_MODULE').then(() => console.log('loaded'), (error) => console.log(error.code, error.message));`;
  const output = execFileSync(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '-e', script],
    {
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
    },
  );
  expect(output.trim()).toMatch(/^RS256_CONFIG_INVALID JWT_PKCS11_MODULE is set, which needs the pkcs11js package .*npm install pkcs11js\.$/);
});

describe('an HSM that cannot sign stops start-up, naming the setting and never the PIN', () => {
  it.each([
    [
      'a wrong PIN',
      { JWT_PKCS11_PIN_PATH: '', JWT_PKCS11_PIN: '000000' },
      'RS256_PKCS11_FAILED',
      /^JWT_PKCS11_TOKEN_LABEL: the token refused the login \(CKR_PIN_INCORRECT\); check JWT_PKCS11_PIN\.$/,
    ],
    [
      'a missing token label',
      { JWT_PKCS11_TOKEN_LABEL: 'no-such-token' },
      'RS256_PKCS11_FAILED',
      /^JWT_PKCS11_TOKEN_LABEL: no token is labelled "no-such-token"/,
    ],
    [
      'a missing key label',
      { JWT_PKCS11_KEY_LABEL: 'no-such-key' },
      'RS256_KEY_NOT_FOUND',
      /^JWT_PKCS11_KEY_LABEL: .*no private key labelled "no-such-key"/,
    ],
    ['a 1024-bit key', { JWT_PKCS11_KEY_LABEL: 'small' }, 'RS256_KEY_TOO_SMALL', /^JWT_PKCS11_KEY_LABEL: the RSA modulus is 1024 bits/],
    [
      'a PIN file that is not there',
      { JWT_PKCS11_PIN_PATH: '/nonexistent/pin' },
      'RS256_CONFIG_INVALID',
      /^JWT_PKCS11_PIN_PATH \("\/nonexistent\/pin"\): the PIN file cannot be read \(ENOENT\)\.$/,
    ],
    [
      'a slot that holds no token',
      { JWT_PKCS11_TOKEN_LABEL: '', JWT_PKCS11_SLOT: '4242' },
      'RS256_PKCS11_FAILED',
      /^JWT_PKCS11_SLOT: no slot 4242 holds a token \(tokens present: .*"jwt-custody"/,
    ],
  ])('%s', async (_, overrides, code, message) => {
    const error = await startupError('forRoot', { env: hsmEnv(overrides) });
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(errorText(error)).not.toContain(PIN);
  });

  it('takes the same settings as nested options (pkcs11: { module, tokenLabel, keyId, pin }), named as options', async () => {
    const error = await startupError('forRootAsync', {
      options: { keys: { pkcs11: { module: SOFTHSM_LIBRARY, tokenLabel: TOKEN, keyId: '02', pin: PIN } } },
    });
    expect(error.code).toBe('RS256_KEY_TOO_SMALL');
    expect(error.message).toMatch(/^keys\.pkcs11\.keyId option: /);
    const wrong = await startupError('forRoot', {
      options: { keys: { pkcs11: { module: SOFTHSM_LIBRARY, tokenLabel: TOKEN, keyId: '01', pin: 'nope-pin' } } },
    });
    expect(wrong.message).toContain('keys.pkcs11.pin option');
    expect(errorText(wrong)).not.toContain('nope-pin');
  });

  it('refuses a private key setting beside the HSM', async () => {
    const error = await startupError('forRoot', { env: hsmEnv({ JWT_PRIVATE_KEY: 'x' }) });
    expect(error.message).toMatch(/^JWT_PKCS11_MODULE is set together with JWT_PRIVATE_KEY/);
  });

  it('refuses automatic key rotation beside the HSM: the key is rotated in the HSM', async () => {
    const error = await startupError('forRoot', { env: hsmEnv({ JWT_KEY_ROTATION: '30d' }) });
    expect(error.message).toMatch(/^JWT_PKCS11_MODULE is set together with JWT_KEY_ROTATION: automatic rotation creates its own keys/);
  });
});

/** A signer backed by node:crypto, as a KMS client would be: asynchronous, the private key out of the module's reach. */
function cryptoSigner(privateKey: KeyObject, publicKey: KeyObject | string, kid?: string): Rs256Signer {
  return {
    publicKey,
    kid,
    sign: async (signingInput) => {
      await new Promise((done) => setImmediate(done));
      // A Uint8Array, as KMS SDKs answer.
      return new Uint8Array(signWithKey('sha256', signingInput, privateKey)) as Buffer;
    },
  };
}

describe('the keys.signer option (any KMS)', () => {
  const pair = rsaPair();
  let app: INestApplication;
  let jwt: JwtService;
  let url: string;
  const logs = new LogCapture();

  beforeAll(async () => {
    const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    ({ app, jwt } = await createApp({
      options: { keys: { signer: cryptoSigner(pair.privateKey, pem, 'kms-2026') }, publishing: { jwks: true } },
      logger: logs,
    }));
    url = await listen(app);
  }, 120_000);
  afterAll(() => app?.close());

  it('signs with signAsync: the token passes the guard and verifies against the JWK Set under the given kid', async () => {
    const token = await jwt.signAsync({ sub: 'dave' }, { expiresIn: 60 });
    expect((await request(url, '/profile', { token })).status).toBe(200);
    const { protectedHeader } = await jwtVerify(token, await jwksOf(url), { algorithms: ['RS256'] });
    expect(protectedHeader.kid).toBe('kms-2026');
  });

  it('issues sessions through it: the session service signs with signAsync, and its access token passes the guard', async () => {
    const started = await createApp({ options: { keys: { signer: cryptoSigner(pair.privateKey, pair.publicKey) }, sessions: true } });
    try {
      const session = await started.app.get(SessionService).issue('ivan');
      const served = await listen(started.app);
      expect((await request(served, '/profile', { token: session.accessToken })).status).toBe(200);
    } finally {
      await started.app.close();
    }
  });

  it('refuses a per-call algorithm, keyid or header that the signer key does not sign with, issuing no token', async () => {
    for (const options of [{ algorithm: 'PS256' as const }, { keyid: 'attacker' }, { header: { alg: 'RS256', kid: 'attacker' } }]) {
      await expect(jwt.signAsync({ sub: 'mallory' }, options)).rejects.toMatchObject({
        code: 'RS256_SIGNING_FAILED',
        message: expect.stringContaining('no token was issued'),
      });
    }
    const token = await jwt.signAsync({ sub: 'oscar' }, { algorithm: 'RS256', keyid: 'kms-2026' });
    expect((await request(url, '/profile', { token })).status).toBe(200);
  });

  it('refuses sync sign with RS256_SIGNER_ASYNC, saying to use signAsync', () => {
    expect(() => jwt.sign({ sub: 'erin' })).toThrow(
      expect.objectContaining({ code: 'RS256_SIGNER_ASYNC', message: expect.stringContaining('signAsync') }),
    );
  });

  it('names the signer on the start-up line', () => {
    expect(logs.matching(/Signing mode/)[0]).toContain('with kid kms-2026 held in the KMS behind the keys.signer option');
  });

  it('stops start-up when the public key given is not the signer key’s (a probe is signed and verified)', async () => {
    const other = rsaPair();
    const error = await startupError('forRoot', { options: { keys: { signer: cryptoSigner(pair.privateKey, other.publicKey) } } });
    expect(error.code).toBe('RS256_KEY_MISMATCH');
    expect(error.message).toMatch(/^keys.signer option: a start-up probe signed by the KMS behind the keys.signer option does not verify/);
  });

  it('refuses a public key under 2048 bits before asking the signer for anything', async () => {
    const small = rsaPair(1024);
    let asked = false;
    const signer = { publicKey: small.publicKey, sign: async (): Promise<Buffer> => ((asked = true), Buffer.alloc(0)) };
    const error = await startupError('forRoot', { options: { keys: { signer } } });
    expect(error.code).toBe('RS256_KEY_TOO_SMALL');
    expect(asked).toBe(false);
  });

  it('fails a sign whose signer answers with another key, issuing no token', async () => {
    const other = createPrivateKey(rsaPair().privateKey.export({ type: 'pkcs8', format: 'pem' }));
    let answerWith = pair.privateKey;
    const signer = { publicKey: createPublicKey(pair.privateKey), sign: async (input: Buffer) => signWithKey('sha256', input, answerWith) };
    const started = await createApp({ options: { keys: { signer } } });
    try {
      answerWith = other;
      await expect(started.jwt.signAsync({ sub: 'frank' })).rejects.toMatchObject({ code: 'RS256_SIGNING_FAILED' });
    } finally {
      await started.app.close();
    }
  });
});

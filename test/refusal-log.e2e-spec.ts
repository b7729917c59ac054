import { Controller, Get, UseGuards, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { JwtAuthGuard, Rs256AuthError, type Rs256AuthModuleOptions } from '../src/index.js';
import { createAuthTestKit } from '../src/testing/index.js';
import { listen, request } from './support/http.js';
import { LogCapture } from './support/log-capture.js';

@Controller()
@UseGuards(JwtAuthGuard)
class ProfileController {
  @Get('profile')
  profile(): { ok: true } {
    return { ok: true };
  }
}

/** Every line, debug included, with its level. */
class Lines extends LogCapture {
  override debug(message?: unknown): void {
    this.lines.push(`DEBUG ${String(message)}`);
  }
  refusals(): string[] {
    return this.matching(/Refused a token/);
  }
}

const kit = createAuthTestKit();

async function start(options: Rs256AuthModuleOptions): Promise<{ app: INestApplication; url: string; logs: Lines }> {
  const logs = new Lines();
  const moduleRef = await Test.createTestingModule({ imports: [kit.module(options)], controllers: [ProfileController] }).compile();
  const app = moduleRef.createNestApplication({ logger: logs });
  try {
    return { app, url: await listen(app), logs };
  } catch (error) {
    await app.close();
    throw error;
  }
}

describe('JWT_LOG_REFUSALS: refused tokens logged with expected and actual iss, aud and kid', () => {
  const apps: INestApplication[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  it('logs nothing by default: the refusal is in the response only', async () => {
    const { app, url, logs } = await start({});
    apps.push(app);
    const response = await request(url, '/profile', { token: kit.signTestToken({}, { iss: 'https://wrong.test' }) });
    expect(response.body).toMatchObject({ statusCode: 401, code: 'RS256_TOKEN_ISSUER', message: 'issuer not accepted' });
    expect(logs.refusals()).toEqual([]);
  });

  it('at warn, names the code, the token’s iss, aud and kid and the expected ones, and never the token', async () => {
    const { app, url, logs } = await start({ verification: { logRefusals: 'warn' } });
    apps.push(app);
    const token = kit.signTestToken({}, { iss: 'https://wrong.test', aud: ['https://other.test'] });
    await request(url, '/profile', { token });
    expect(logs.refusals()).toEqual([
      `WARN Refused a token: RS256_TOKEN_ISSUER (issuer not accepted); iss "https://wrong.test", expected "https://issuer.test"; ` +
        `aud ["https://other.test"], expected "https://api.test"; kid "${kit.keys.kid}", known "${kit.keys.kid}"`,
    ]);
    const [header, payload, signature] = token.split('.');
    for (const part of [token, header, payload, signature]) expect(logs.lines.join('\n')).not.toContain(part);
  });

  it('shows an expected issuer as every configured URL is shown: query values masked', async () => {
    const { app, url, logs } = await start({
      verification: { logRefusals: 'warn' },
      tokens: { issuer: 'https://issuer.test/?tenant=acme&key=s3cret' },
    });
    apps.push(app);
    await request(url, '/profile', { token: kit.signTestToken({}) });
    expect(logs.refusals()).toEqual([expect.stringContaining('expected "https://issuer.test/?tenant=***&key=***"; ')]);
    expect(logs.lines.join('\n')).not.toMatch(/s3cret|acme/);
  });

  it('at debug, logs each refusal at debug; a request without a token is not logged', async () => {
    const { app, url, logs } = await start({ verification: { logRefusals: 'debug' } });
    apps.push(app);
    await request(url, '/profile');
    await request(url, '/profile', { token: kit.signTestToken({}, { aud: 'https://other.test' }) });
    await request(url, '/profile', { token: 'not-a-token' });
    expect(logs.refusals()).toEqual([
      expect.stringMatching(
        /^DEBUG Refused a token: RS256_TOKEN_AUDIENCE \(audience not accepted\); iss "https:\/\/issuer.test", expected "https:\/\/issuer.test"; aud "https:\/\/other.test", expected "https:\/\/api.test"; /,
      ),
      'DEBUG Refused a token: RS256_TOKEN_MALFORMED (malformed token: expected three dot-separated segments); iss none, expected "https://issuer.test"; ' +
        `aud none, expected "https://api.test"; kid none, known "${kit.keys.kid}"`,
    ]);
  });

  it('escapes and shortens what the token says: one line, whatever it carries', async () => {
    const { app, url, logs } = await start({ verification: { logRefusals: 'warn' } });
    apps.push(app);
    await request(url, '/profile', { token: kit.signTestToken({}, { iss: `evil\n${'x'.repeat(500)}`, kid: 'k\r\nFAKE LOG LINE' }) });
    const [line] = logs.refusals();
    expect(line).not.toMatch(/[\r\n]/);
    expect(line).toContain('iss "evil\\nxxxx');
    expect(line).toContain('…');
    expect(line).toContain('kid "k\\r\\nFAKE LOG LINE"');
    expect(line.length).toBeLessThan(600);
  });

  it.each([['verbose'], ['true'], [42]])('stops start-up on JWT_LOG_REFUSALS=%p, naming the setting', async (value) => {
    const saved = process.env.JWT_LOG_REFUSALS;
    process.env.JWT_LOG_REFUSALS = String(value);
    try {
      const failure = await Test.createTestingModule({ imports: [kit.module()] })
        .compile()
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failure).toBeInstanceOf(Rs256AuthError);
      expect(failure).toMatchObject({
        code: 'RS256_CONFIG_INVALID',
        message: expect.stringContaining(`JWT_LOG_REFUSALS is "${value}"; expected 'debug' or 'warn'`),
      });
    } finally {
      if (saved === undefined) delete process.env.JWT_LOG_REFUSALS;
      else process.env.JWT_LOG_REFUSALS = saved;
    }
  });

  it.each([['off'], ['false'], ['WARN']])('reads JWT_LOG_REFUSALS=%s from the environment', async (value) => {
    const saved = process.env.JWT_LOG_REFUSALS;
    process.env.JWT_LOG_REFUSALS = value;
    try {
      const { app, url, logs } = await start({});
      apps.push(app);
      await request(url, '/profile', { token: kit.signTestToken({}, { iss: 'https://wrong.test' }) });
      expect(logs.refusals()).toHaveLength(value === 'WARN' ? 1 : 0);
    } finally {
      if (saved === undefined) delete process.env.JWT_LOG_REFUSALS;
      else process.env.JWT_LOG_REFUSALS = saved;
    }
  });
});

import { Test } from '@nestjs/testing';
import { type Rs256AuthModuleOptions } from '../src/index.js';
import { appModule, WIRINGS } from './fixtures/app.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { errorText, startupError } from './support/startup.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

/** What a URL in a setting may carry that no message may show: its password and a query value. */
const PASSWORD = 'pw-s3cret';
const QUERY_VALUE = 'q-s3cret';

describe.each(WIRINGS)('resource servers at start-up (%s)', (wiring) => {
  describe('no audience, no start: keys from an identity provider need an audience, or the explicit opt-out', () => {
    it.each<[string, () => Rs256AuthModuleOptions, string[]]>([
      ['a JWKS URI', () => ({ keys: { jwksUri: 'https://id.example.com/jwks.json' } }), ['keys.jwksUri option is set but JWT_AUDIENCE is not']],
      ['an issuer URL', () => ({ keys: { issuerUrl: 'https://id.example.com' } }), ['keys.issuerUrl option is set but JWT_AUDIENCE is not']],
      [
        'trusted issuers',
        () => ({ keys: { trustedIssuers: ['https://a.example.com'] } }),
        ['keys.trustedIssuers option (issuer "https://a.example.com") has no audience'],
      ],
      [
        'a trusted issuer of several without an audience of its own',
        () => ({
          keys: {
            trustedIssuers: [
              { issuer: 'https://a.example.com', audience: 'a-api' },
              { issuer: 'internal', publicKeyPath: keys.publicPath },
            ],
          },
        }),
        ['(issuer "internal") has no audience'],
      ],
      [
        'an issuer resolver',
        () => ({ keys: { issuerResolver: () => undefined } }),
        ['the keys.issuerResolver option is set but JWT_AUDIENCE is not'],
      ],
    ])('%s without an audience stops start-up, naming the audience and the opt-out', async (_name, options, mustMention) => {
      const error = await startupError(wiring, { options: options() });
      expect(error.code).toBe('RS256_CONFIG_INVALID');
      for (const fragment of [
        ...mustMention,
        'JWT_AUDIENCE (tokens.audience option)',
        'JWT_ACCEPT_ANY_AUDIENCE=true (tokens.acceptAnyAudience option)',
        'another API',
      ]) {
        expect(error.message).toContain(fragment);
      }
    });

    it.each<[string, Record<string, string>]>([
      ['JWT_JWKS_URI', { JWT_JWKS_URI: 'https://id.example.com/jwks.json' }],
      ['JWT_ISSUER_URL', { JWT_ISSUER_URL: 'https://id.example.com' }],
      ['JWT_TRUSTED_ISSUERS', { JWT_TRUSTED_ISSUERS: 'https://a.example.com,https://b.example.com' }],
    ])('%s without JWT_AUDIENCE stops start-up, naming both settings', async (setting, env) => {
      const error = await startupError(wiring, { env });
      expect(error.code).toBe('RS256_CONFIG_INVALID');
      expect(error.message).toContain(setting);
      expect(error.message).toContain('JWT_AUDIENCE');
      expect(error.message).toContain('JWT_ACCEPT_ANY_AUDIENCE=true');
    });

    it.each<[string, () => Rs256AuthModuleOptions]>([
      ['a JWKS URI and an audience', () => ({ keys: { jwksUri: 'https://id.example.com/jwks.json' }, tokens: { audience: 'api' } })],
      ['a JWKS URI and the opt-out', () => ({ keys: { jwksUri: 'https://id.example.com/jwks.json' }, tokens: { acceptAnyAudience: true } })],
      [
        'trusted issuers, each with its own audience',
        () => ({
          keys: {
            trustedIssuers: [
              { issuer: 'https://a.example.com', audience: 'a-api' },
              { issuer: 'https://b.example.com', audience: 'b-api' },
            ],
          },
        }),
      ],
      ['trusted issuers and the opt-out', () => ({ keys: { trustedIssuers: ['https://a.example.com'] }, tokens: { acceptAnyAudience: true } })],
      ['a resolver and the opt-out', () => ({ keys: { issuerResolver: () => undefined }, tokens: { acceptAnyAudience: true } })],
      ['local keys without an audience', () => ({ keys: { publicKeyPath: keys.publicPath } })],
    ])('%s starts', async (_name, options) => {
      const moduleRef = await Test.createTestingModule({ imports: [appModule({ wiring, options: options() })] }).compile();
      await moduleRef.close();
    });

    it.each<[string, () => Record<string, string>, string[]]>([
      [
        'with local keys',
        () => ({ JWT_PUBLIC_KEY_PATH: keys.publicPath, JWT_ACCEPT_ANY_AUDIENCE: 'true' }),
        ['JWT_ACCEPT_ANY_AUDIENCE is true, but the keys are local', 'unset JWT_ACCEPT_ANY_AUDIENCE'],
      ],
      [
        'together with an audience',
        () => ({ JWT_JWKS_URI: 'https://id.example.com/jwks.json', JWT_AUDIENCE: 'api', JWT_ACCEPT_ANY_AUDIENCE: 'true' }),
        ['JWT_ACCEPT_ANY_AUDIENCE is true and JWT_AUDIENCE is set'],
      ],
      [
        'not a boolean',
        () => ({ JWT_JWKS_URI: 'https://id.example.com/jwks.json', JWT_ACCEPT_ANY_AUDIENCE: 'sure' }),
        ['JWT_ACCEPT_ANY_AUDIENCE is "sure"'],
      ],
    ])('the opt-out %s stops start-up', async (_name, env, mustMention) => {
      const error = await startupError(wiring, { env: env() });
      expect(error.code).toBe('RS256_CONFIG_INVALID');
      for (const fragment of mustMention) {
        expect(error.message).toContain(fragment);
      }
    });
  });

  describe('settings of the hardened resource server', () => {
    it.each<[string, () => Record<string, string>, string[]]>([
      [
        'a maximum staleness below the cache max age',
        () => ({ JWT_JWKS_URI: 'https://id.example.com/jwks.json', JWT_AUDIENCE: 'api', JWT_JWKS_CACHE_MAX_AGE: '600', JWT_JWKS_MAX_STALE: '60' }),
        ['JWT_JWKS_MAX_STALE is 60, less than JWT_JWKS_CACHE_MAX_AGE (600)'],
      ],
      [
        'a maximum staleness of zero',
        () => ({ JWT_JWKS_URI: 'https://id.example.com/jwks.json', JWT_AUDIENCE: 'api', JWT_JWKS_MAX_STALE: '0' }),
        ['JWT_JWKS_MAX_STALE is "0"', 'at least 1'],
      ],
      [
        'a maximum staleness with local keys',
        () => ({ JWT_PUBLIC_KEY_PATH: keys.publicPath, JWT_JWKS_MAX_STALE: '3600' }),
        ['JWT_JWKS_MAX_STALE is "3600", but no JWK Set is fetched'],
      ],
      [
        'a new-issuer rate without a resolver',
        () => ({ JWT_TRUSTED_ISSUERS: 'https://a.example.com', JWT_AUDIENCE: 'api', JWT_NEW_ISSUERS_PER_MINUTE: '5' }),
        ['JWT_NEW_ISSUERS_PER_MINUTE is "5", but there is no keys.issuerResolver option'],
      ],
    ])('%s stops start-up, naming the setting', async (_name, env, mustMention) => {
      const error = await startupError(wiring, { env: env() });
      expect(error.code).toBe('RS256_CONFIG_INVALID');
      for (const fragment of mustMention) {
        expect(error.message).toContain(fragment);
      }
    });

    it('a new-issuer rate of zero stops start-up', async () => {
      const error = await startupError(wiring, {
        options: { keys: { issuerResolver: () => undefined, newIssuersPerMinute: 0 }, tokens: { audience: 'api' } },
      });
      expect(error.code).toBe('RS256_CONFIG_INVALID');
      expect(error.message).toContain('keys.newIssuersPerMinute option is 0; expected a whole number of at least 1');
    });
  });

  describe('a URL in a start-up error shows neither its credentials nor its query values', () => {
    it.each<[string, () => Record<string, string>, string[]]>([
      [
        'an http: JWT_JWKS_URI on a host that is not loopback',
        () => ({ JWT_JWKS_URI: `http://user:${PASSWORD}@id.example.com/jwks.json?key=${QUERY_VALUE}`, JWT_AUDIENCE: 'api' }),
        ['JWT_JWKS_URI is "http://id.example.com/jwks.json?key=***"', 'JWT_JWKS_ALLOW_HTTP'],
      ],
      [
        'an unparsable JWT_JWKS_URI',
        () => ({ JWT_JWKS_URI: `https://user:${PASSWORD}@[::1/jwks?key=${QUERY_VALUE}`, JWT_AUDIENCE: 'api' }),
        ['JWT_JWKS_URI is "https://[::1/jwks?key=***"'],
      ],
      [
        'an unparsable JWT_ISSUER_URL',
        () => ({ JWT_ISSUER_URL: `https://:${PASSWORD}@id.example.com:port`, JWT_AUDIENCE: 'api' }),
        ['JWT_ISSUER_URL is "https://id.example.com:port"'],
      ],
      [
        'an http: issuer inside JWT_TRUSTED_ISSUERS',
        () => ({ JWT_TRUSTED_ISSUERS: `https://a.example.com,http://user:${PASSWORD}@b.example.com/?tenant=${QUERY_VALUE}`, JWT_AUDIENCE: 'api' }),
        ['JWT_TRUSTED_ISSUERS (issuer "http://b.example.com/?tenant=***")'],
      ],
      [
        'an unparsable jwksUri inside JWT_TRUSTED_ISSUERS',
        () => ({
          JWT_TRUSTED_ISSUERS: JSON.stringify([
            { issuer: 'https://a.example.com', jwksUri: `https://u:${PASSWORD}@a.example.com:x/keys?k=${QUERY_VALUE}` },
          ]),
          JWT_AUDIENCE: 'api',
        }),
        ['JWT_TRUSTED_ISSUERS (issuer "https://a.example.com") jwksUri is "https://a.example.com:x/keys?k=***"'],
      ],
      [
        'JWT_TRUSTED_ISSUERS as malformed JSON',
        () => ({ JWT_TRUSTED_ISSUERS: `[{"issuer": "https://u:${PASSWORD}@a.example.com"`, JWT_AUDIENCE: 'api' }),
        ['JWT_TRUSTED_ISSUERS is a string; expected'],
      ],
      [
        'JWT_ISSUER disagreeing with JWT_ISSUER_URL',
        () => ({
          JWT_ISSUER_URL: `https://id.example.com/?tenant=${QUERY_VALUE}`,
          JWT_ISSUER: `https://u:${PASSWORD}@id.example.com`,
          JWT_AUDIENCE: 'api',
        }),
        ['JWT_ISSUER is "https://id.example.com/" but JWT_ISSUER_URL is "https://id.example.com/?tenant=***"'],
      ],
      [
        'a malformed JWT_REDIS_URL (a port that is not a number)',
        () => ({
          JWT_PRIVATE_KEY_PATH: keys.privatePath,
          JWT_SESSIONS_ENABLED: 'true',
          JWT_SESSION_STORE: 'redis',
          JWT_REDIS_URL: `redis://:${PASSWORD}@host:notaport`,
        }),
        ['JWT_REDIS_URL is "redis://host:notaport"; expected a redis:// or rediss:// URL'],
      ],
      [
        'a malformed JWT_REDIS_URL (an unclosed IPv6 address)',
        () => ({
          JWT_PRIVATE_KEY_PATH: keys.privatePath,
          JWT_SESSIONS_ENABLED: 'true',
          JWT_SESSION_STORE: 'redis',
          JWT_REDIS_URL: `redis://u:${PASSWORD}@[::1`,
        }),
        ['JWT_REDIS_URL is "redis://[::1"'],
      ],
      [
        'a JWT_REDIS_URL of another scheme',
        () => ({
          JWT_PRIVATE_KEY_PATH: keys.privatePath,
          JWT_SESSIONS_ENABLED: 'true',
          JWT_SESSION_STORE: 'redis',
          JWT_REDIS_URL: `http://:${PASSWORD}@127.0.0.1:6379`,
        }),
        ['JWT_REDIS_URL is "http://127.0.0.1:6379/"'],
      ],
    ])('%s', async (_name, env, mustMention) => {
      const error = await startupError(wiring, { env: env() });
      expect(error.code).toBe('RS256_CONFIG_INVALID');
      for (const fragment of mustMention) {
        expect(error.message).toContain(fragment);
      }
      const shown = errorText(error);
      expect(shown).not.toContain(PASSWORD);
      expect(shown).not.toContain(QUERY_VALUE);
    });
  });
});

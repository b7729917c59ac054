import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { type Rs256AuthErrorCode, type Rs256AuthModuleOptions } from '../src/index.js';
import { appModule, createApp, WIRINGS } from './fixtures/app.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { LogCapture } from './support/log-capture.js';
import { errorText, startupError } from './support/startup.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

/** Every 24-character run of base64 in the key files: none may ever appear in a message. */
function keyMaterial(): string[] {
  const runs: string[] = [];
  for (const path of [keys.privatePath, keys.encryptedPath, keys.publicPath, keys.otherPrivatePath, keys.ecPrivatePath]) {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line.startsWith('-----') && line.length >= 24) runs.push(line.slice(0, 24));
    }
  }
  return runs;
}

type Case = [name: string, code: Rs256AuthErrorCode, config: () => Record<string, string>, mustMention: () => (string | RegExp)[]];

const cases: Case[] = [
  [
    'a missing private key file',
    'RS256_KEY_NOT_FOUND',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.missingPath }),
    () => ['JWT_PRIVATE_KEY_PATH', keys.missingPath, 'no such file'],
  ],
  [
    'a missing public key file',
    'RS256_KEY_NOT_FOUND',
    () => ({ JWT_PUBLIC_KEY_PATH: keys.missingPath }),
    () => ['JWT_PUBLIC_KEY_PATH', keys.missingPath],
  ],
  [
    'an unreadable path (a folder)',
    'RS256_KEY_UNREADABLE',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.dir }),
    () => ['JWT_PRIVATE_KEY_PATH', keys.dir, 'is a folder'],
  ],
  [
    'an HMAC secret instead of a key',
    'RS256_KEY_NOT_PEM',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.hmacSecretPath }),
    () => ['JWT_PRIVATE_KEY_PATH', keys.hmacSecretPath, 'HS256'],
  ],
  [
    'an HMAC secret as the public key',
    'RS256_KEY_NOT_PEM',
    () => ({ JWT_PUBLIC_KEY_PATH: keys.hmacSecretPath }),
    () => ['JWT_PUBLIC_KEY_PATH', keys.hmacSecretPath],
  ],
  [
    'PEM armour around something that is not a key',
    'RS256_KEY_NOT_PEM',
    () => ({ JWT_PUBLIC_KEY_PATH: keys.garbagePemPath }),
    () => ['JWT_PUBLIC_KEY_PATH', keys.garbagePemPath, 'could not be parsed'],
  ],
  [
    'an EC private key',
    'RS256_KEY_NOT_RSA',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.ecPrivatePath }),
    () => ['JWT_PRIVATE_KEY_PATH', keys.ecPrivatePath, 'ec, not RSA'],
  ],
  ['an EC public key', 'RS256_KEY_NOT_RSA', () => ({ JWT_PUBLIC_KEY_PATH: keys.ecPublicPath }), () => ['JWT_PUBLIC_KEY_PATH', 'ec, not RSA']],
  [
    'an Ed25519 public key',
    'RS256_KEY_NOT_RSA',
    () => ({ JWT_PUBLIC_KEY_PATH: keys.ed25519PublicPath }),
    () => [keys.ed25519PublicPath, 'ed25519, not RSA'],
  ],
  [
    'a 1024-bit private key',
    'RS256_KEY_TOO_SMALL',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.smallPrivatePath }),
    () => ['JWT_PRIVATE_KEY_PATH', keys.smallPrivatePath, '1024 bits', '2048'],
  ],
  ['a 1024-bit public key', 'RS256_KEY_TOO_SMALL', () => ({ JWT_PUBLIC_KEY_PATH: keys.smallPublicPath }), () => ['JWT_PUBLIC_KEY_PATH', '1024 bits']],
  [
    'a public key that does not match the private key',
    'RS256_KEY_MISMATCH',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_PUBLIC_KEY_PATH: keys.otherPublicPath }),
    () => ['JWT_PUBLIC_KEY_PATH', keys.otherPublicPath, 'JWT_PRIVATE_KEY_PATH', keys.privatePath],
  ],
  [
    'a private key where the public key belongs',
    'RS256_PRIVATE_KEY_AS_PUBLIC',
    () => ({ JWT_PUBLIC_KEY_PATH: keys.privatePath }),
    () => ['JWT_PUBLIC_KEY_PATH', keys.privatePath, 'private key'],
  ],
  [
    'a public key where the private key belongs',
    'RS256_PUBLIC_KEY_AS_PRIVATE',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.publicPath }),
    () => ['JWT_PRIVATE_KEY_PATH', keys.publicPath, 'public key'],
  ],
  [
    'an encrypted key without passphrase',
    'RS256_PASSPHRASE_REQUIRED',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.encryptedPath }),
    () => ['JWT_PRIVATE_KEY_PATH', keys.encryptedPath, 'JWT_PRIVATE_KEY_PASSPHRASE'],
  ],
  [
    'an encrypted key with the wrong passphrase',
    'RS256_PASSPHRASE_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.encryptedPath, JWT_PRIVATE_KEY_PASSPHRASE: 'wrong' }),
    () => ['JWT_PRIVATE_KEY_PATH', keys.encryptedPath, 'JWT_PRIVATE_KEY_PASSPHRASE'],
  ],
  ['no key at all', 'RS256_NO_KEY', () => ({}), () => ['JWT_PRIVATE_KEY_PATH', 'JWT_PUBLIC_KEY_PATH']],
  [
    'a JWT_SECRET in the environment',
    'RS256_SECRET_REFUSED',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_SECRET: 'shh' }),
    () => ['JWT_SECRET'],
  ],
  ['an inline PEM that is not one', 'RS256_KEY_NOT_PEM', () => ({ JWT_PUBLIC_KEY: 'not a key at all' }), () => ['JWT_PUBLIC_KEY']],
  [
    'both a key path and an inline key',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_PRIVATE_KEY: readFileSync(keys.privatePath, 'utf8') }),
    () => ['JWT_PRIVATE_KEY_PATH', 'JWT_PRIVATE_KEY', 'only one'],
  ],
  [
    'both a public key path and an inline public key',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PUBLIC_KEY_PATH: keys.publicPath, JWT_PUBLIC_KEY: readFileSync(keys.publicPath, 'utf8') }),
    () => ['JWT_PUBLIC_KEY_PATH', 'JWT_PUBLIC_KEY', 'only one'],
  ],
  [
    'a lifetime that is not one',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_EXPIRES_IN: '15 minutes' }),
    () => ['JWT_EXPIRES_IN', '"15 minutes"', '15m'],
  ],
  ['a zero lifetime', 'RS256_CONFIG_INVALID', () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_EXPIRES_IN: '0' }), () => ['JWT_EXPIRES_IN']],
  [
    'a negative clock tolerance',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_CLOCK_TOLERANCE: '-5' }),
    () => ['JWT_CLOCK_TOLERANCE', '"-5"'],
  ],
  [
    'an unknown token profile',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_TOKEN_PROFILE: 'rfc-9068' }),
    () => ['JWT_TOKEN_PROFILE', '"rfc-9068"', 'jwt, rfc9068'],
  ],
  [
    'the RFC 9068 profile without an audience',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_TOKEN_PROFILE: 'rfc9068', JWT_ISSUER: 'https://id.example.com' }),
    () => ['JWT_TOKEN_PROFILE', 'JWT_AUDIENCE'],
  ],
  [
    'a token type that is not a media type',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_TOKEN_TYPE: 'at+jwt,a b' }),
    () => ['JWT_TOKEN_TYPE', '"a b"', "'at+jwt'"],
  ],
  [
    'a size limit that is not a number',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_MAX_TOKEN_LENGTH: 'big' }),
    () => ['JWT_MAX_TOKEN_LENGTH'],
  ],
  [
    'a negative cache size',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_CACHE_SIZE: '-1' }),
    () => ['JWT_CACHE_SIZE', 'at least 0'],
  ],
  [
    'a JWKS URI that is not a URL',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_JWKS_URI: 'issuer/jwks.json' }),
    () => ['JWT_JWKS_URI', '"issuer/jwks.json"', 'https:'],
  ],
  [
    'an http: JWKS URI on a host that is not loopback',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_JWKS_URI: 'http://id.example.com/jwks.json' }),
    () => ['JWT_JWKS_URI', 'JWT_JWKS_ALLOW_HTTP'],
  ],
  [
    'a JWKS URI together with a private key',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_JWKS_URI: 'https://id.example.com/jwks.json', JWT_PRIVATE_KEY_PATH: keys.privatePath }),
    () => ['JWT_JWKS_URI', 'signs nothing'],
  ],
  [
    'a JWKS URI together with a public key',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_JWKS_URI: 'https://id.example.com/jwks.json', JWT_PUBLIC_KEY_PATH: keys.publicPath }),
    () => ['JWT_JWKS_URI', 'JWT_PUBLIC_KEY_PATH'],
  ],
  [
    'an issuer URL that is not a URL',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_ISSUER_URL: 'keycloak/realms/a' }),
    () => ['JWT_ISSUER_URL', '"keycloak/realms/a"', 'https:'],
  ],
  [
    'an http: issuer URL on a host that is not loopback',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_ISSUER_URL: 'http://id.example.com' }),
    () => ['JWT_ISSUER_URL', 'JWT_JWKS_ALLOW_HTTP'],
  ],
  [
    'an issuer URL together with a JWKS URI',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_ISSUER_URL: 'https://id.example.com', JWT_JWKS_URI: 'https://id.example.com/jwks' }),
    () => ['JWT_JWKS_URI', 'JWT_ISSUER_URL', 'only one'],
  ],
  [
    'an issuer URL together with a private key',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_ISSUER_URL: 'https://id.example.com', JWT_PRIVATE_KEY_PATH: keys.privatePath }),
    () => ['JWT_ISSUER_URL', 'signs nothing'],
  ],
  [
    'an issuer URL that disagrees with JWT_ISSUER',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_ISSUER_URL: 'https://id.example.com', JWT_ISSUER: 'https://id.example.com/' }),
    () => ['JWT_ISSUER', 'JWT_ISSUER_URL', 'one iss'],
  ],
  [
    'trusted issuers together with JWT_ISSUER',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_TRUSTED_ISSUERS: 'https://a.example.com,https://b.example.com', JWT_ISSUER: 'https://a.example.com' }),
    () => ['JWT_ISSUER', 'JWT_TRUSTED_ISSUERS', 'several issuers'],
  ],
  [
    'trusted issuers together with a public key',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_TRUSTED_ISSUERS: 'https://a.example.com', JWT_PUBLIC_KEY_PATH: keys.publicPath }),
    () => ['JWT_TRUSTED_ISSUERS', 'JWT_PUBLIC_KEY_PATH'],
  ],
  [
    'a trusted issuer listed twice',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_TRUSTED_ISSUERS: 'https://a.example.com,https://a.example.com' }),
    () => ['JWT_TRUSTED_ISSUERS', '"https://a.example.com" twice'],
  ],
  [
    'a trusted issuer over http: on a host that is not loopback',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_TRUSTED_ISSUERS: 'http://a.example.com' }),
    () => ['JWT_TRUSTED_ISSUERS (issuer "http://a.example.com")', 'https:'],
  ],
  [
    'trusted issuers as malformed JSON',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_TRUSTED_ISSUERS: '[{"issuer": ' }),
    () => ['JWT_TRUSTED_ISSUERS', 'JSON array'],
  ],
  [
    'a trusted issuer with two key sources',
    'RS256_CONFIG_INVALID',
    () => ({
      JWT_TRUSTED_ISSUERS: JSON.stringify([
        { issuer: 'https://a.example.com', jwksUri: 'https://a.example.com/keys', publicKeyPath: keys.publicPath },
      ]),
    }),
    () => ['issuer "https://a.example.com"', 'one way'],
  ],
  [
    'a trusted issuer whose key file is missing',
    'RS256_KEY_NOT_FOUND',
    () => ({ JWT_TRUSTED_ISSUERS: JSON.stringify([{ issuer: 'internal', publicKeyPath: keys.missingPath }]) }),
    () => ['JWT_TRUSTED_ISSUERS (issuer "internal") publicKeyPath', keys.missingPath],
  ],
  [
    'a JWKS cooldown of zero',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_JWKS_URI: 'https://id.example.com/jwks.json', JWT_JWKS_COOLDOWN: '0' }),
    () => ['JWT_JWKS_COOLDOWN', '"0"', 'at least 1'],
  ],
  [
    'a JWKS size cap below 1 KiB',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_JWKS_URI: 'https://id.example.com/jwks.json', JWT_JWKS_MAX_BYTES: '100' }),
    () => ['JWT_JWKS_MAX_BYTES', '"100"', 'at least 1024'],
  ],
  [
    'a JWKS key cap of zero',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_JWKS_URI: 'https://id.example.com/jwks.json', JWT_JWKS_MAX_KEYS: '0' }),
    () => ['JWT_JWKS_MAX_KEYS', '"0"', 'at least 1'],
  ],
  [
    'a JWKS switch that is not a boolean',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_JWKS_ENABLED: 'maybe' }),
    () => ['JWT_JWKS_ENABLED', '"maybe"', 'one of true, false, 1, 0, yes, no'],
  ],
  [
    'a JWKS path without a leading slash',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_JWKS_ENABLED: 'true', JWT_JWKS_PATH: 'jwks.json' }),
    () => ['JWT_JWKS_PATH', "'/'"],
  ],
  [
    'a JWKS path that the router would read as a pattern, not a raw path-to-regexp error',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_JWKS_ENABLED: 'true', JWT_JWKS_PATH: '/keys/*' }),
    () => ['JWT_JWKS_PATH', '"/keys/*"', 'routers read * : ( ) { } as patterns'],
  ],
  [
    'required claims separated by spaces (one claim called "exp iat sub" to the reader)',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_REQUIRED_CLAIMS: 'exp iat sub' }),
    () => ['JWT_REQUIRED_CLAIMS', '"exp iat sub"', 'white space', '"exp,iat,sub"'],
  ],
  [
    'a required claim with a space among comma-separated ones',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_REQUIRED_CLAIMS: 'exp, iat sub' }),
    () => ['JWT_REQUIRED_CLAIMS', '"iat sub"', '"iat,sub"'],
  ],
  [
    'an audience list of blank items',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_AUDIENCE: ' , ' }),
    () => ['JWT_AUDIENCE', '" , "', 'non-empty item'],
  ],
  [
    'a required-claims list of blank items',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_REQUIRED_CLAIMS: ',' }),
    () => ['JWT_REQUIRED_CLAIMS', '","', 'non-empty item'],
  ],
  [
    'a public key list of blank items',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_PUBLIC_KEY_PATH: ' , ' }),
    () => ['JWT_PUBLIC_KEY_PATH', '" , "', 'at least one path'],
  ],
  [
    'a JWKS path while the endpoint is off',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_JWKS_PATH: '/keys.json' }),
    () => ['JWT_JWKS_PATH', '"/keys.json"', 'endpoint is off', 'JWT_JWKS_ENABLED is not set', 'JWT_JWKS_ENABLED=true'],
  ],
  [
    'a JWKS max-age while the endpoint is switched off',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_JWKS_ENABLED: 'false', JWT_JWKS_MAX_AGE: '60' }),
    () => ['JWT_JWKS_MAX_AGE', '"60"', 'JWT_JWKS_ENABLED is "false"'],
  ],
  ...(
    [
      ['JWT_JWKS_CACHE_MAX_AGE', '600'],
      ['JWT_JWKS_COOLDOWN', '60'],
      ['JWT_JWKS_TIMEOUT', '2'],
      ['JWT_JWKS_MAX_BYTES', '4096'],
      ['JWT_JWKS_MAX_KEYS', '10'],
      ['JWT_JWKS_ALLOW_HTTP', 'false'],
    ] as const
  ).map(([name, value]): Case => [
    `${name} with local keys, where no JWK Set is fetched`,
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, [name]: value }),
    () => [
      `${name} is "${value}", but no JWK Set is fetched`,
      'none of JWT_JWKS_URI, JWT_ISSUER_URL and JWT_TRUSTED_ISSUERS is set',
      `or unset ${name}`,
    ],
  ]),
  // Without any key either, the missing JWK Set URI is the likelier mistake, and is named first.
  [
    'a JWKS cooldown and no key at all',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_JWKS_COOLDOWN: '60' }),
    () => ['JWT_JWKS_COOLDOWN', 'JWT_JWKS_URI', 'JWT_ISSUER_URL'],
  ],
  [
    'an issuer cache size without an issuerResolver',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_TRUSTED_ISSUERS: JSON.stringify([{ issuer: 'internal', publicKeyPath: keys.publicPath }]), JWT_ISSUER_CACHE_SIZE: '50' }),
    () => ['JWT_ISSUER_CACHE_SIZE is "50", but there is no keys.issuerResolver option', 'unset JWT_ISSUER_CACHE_SIZE'],
  ],
  [
    'an issuer cache size with local keys alone',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_ISSUER_CACHE_SIZE: '50' }),
    () => ['JWT_ISSUER_CACHE_SIZE is "50", but there is no keys.issuerResolver option'],
  ],
  [
    'a JWKS size cap with trusted issuers that all have local keys',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_TRUSTED_ISSUERS: JSON.stringify([{ issuer: 'internal', publicKeyPath: keys.publicPath }]), JWT_JWKS_MAX_BYTES: '4096' }),
    () => [
      'JWT_JWKS_MAX_BYTES is "4096", but no JWK Set is fetched',
      'every issuer of JWT_TRUSTED_ISSUERS has local keys',
      'jwksUri',
      'unset JWT_JWKS_MAX_BYTES',
    ],
  ],
  [
    'key-file watching with the key inline',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_PUBLIC_KEY: readFileSync(keys.publicPath, 'utf8'), JWT_WATCH_KEY_FILES: 'true' }),
    () => ['JWT_WATCH_KEY_FILES is true, but no key is read from a file', 'the keys are given inline or fetched', 'unset JWT_WATCH_KEY_FILES'],
  ],
  [
    'key-file watching with a fetched key set',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_JWKS_URI: 'https://id.example.com/jwks.json', JWT_WATCH_KEY_FILES: 'yes' }),
    () => ['JWT_WATCH_KEY_FILES is true, but no key is read from a file'],
  ],
  [
    'key-file watching with trusted issuers whose keys are all fetched',
    'RS256_CONFIG_INVALID',
    () => ({ JWT_TRUSTED_ISSUERS: 'https://a.example.com,https://b.example.com', JWT_WATCH_KEY_FILES: 'true' }),
    () => ['JWT_WATCH_KEY_FILES is true, but no key is read from a file: no issuer of JWT_TRUSTED_ISSUERS has a publicKeyPath'],
  ],
];

describe.each(WIRINGS)('start-up checks (%s)', (wiring) => {
  describe('from environment variables', () => {
    it.each(cases)('%s stops start-up with %s', async (_name, code, config, mustMention) => {
      const error = await startupError(wiring, { env: config() });
      expect(error.code).toBe(code);
      for (const fragment of mustMention()) {
        expect(error.message).toMatch(fragment);
      }
      const shown = errorText(error);
      for (const run of keyMaterial()) {
        expect(shown).not.toContain(run);
      }
    });
  });

  describe('from module options, which name the option', () => {
    it('a missing file', async () => {
      const error = await startupError(wiring, { options: { keys: { privateKeyPath: keys.missingPath } } });
      expect(error.code).toBe('RS256_KEY_NOT_FOUND');
      expect(error.message).toContain(`keys.privateKeyPath option ("${keys.missingPath}")`);
    });

    it('a private key as the public key', async () => {
      const error = await startupError(wiring, { options: { keys: { publicKeyPath: keys.otherPrivatePath } } });
      expect(error.code).toBe('RS256_PRIVATE_KEY_AS_PUBLIC');
      expect(error.message).toContain('keys.publicKeyPath option');
    });

    it.each(['secret', 'secretOrPrivateKey', 'secretOrKey', 'secretOrKeyProvider'])('a %s option', async (name) => {
      const options = { keys: { privateKeyPath: keys.privatePath }, [name]: 'shh' } as Rs256AuthModuleOptions;
      const error = await startupError(wiring, { options });
      expect(error.code).toBe('RS256_SECRET_REFUSED');
      expect(error.message).toContain(`${name} option`);
    });

    it('an option of the wrong type', async () => {
      const options = { keys: { privateKeyPath: keys.privatePath }, tokens: { clockTolerance: 1.5 } };
      const error = await startupError(wiring, { options });
      expect(error.code).toBe('RS256_CONFIG_INVALID');
      expect(error.message).toContain('tokens.clockTolerance option is 1.5;');
    });

    it.each<[string, Rs256AuthModuleOptions, string]>([
      ['a negative lifetime', { tokens: { expiresIn: -3 } }, 'tokens.expiresIn option is -3;'],
      ['a boolean where a number belongs', { verification: { cacheSize: true as unknown as number } }, 'verification.cacheSize option is true;'],
      ['a number where a boolean belongs', { keys: { watchFiles: 1 as unknown as boolean } }, 'keys.watchFiles option is 1;'],
      ['an empty audience array', { tokens: { audience: [] } }, 'tokens.audience option is an array;'],
      [
        'a required claim with a space',
        { tokens: { requiredClaims: ['sub', 'tenant id'] } },
        'tokens.requiredClaims option names the claim "tenant id"',
      ],
    ])('%s is quoted as given', async (_name, extra, message) => {
      const error = await startupError(wiring, {
        options: { ...extra, keys: { privateKeyPath: keys.privatePath, ...extra.keys } } as Rs256AuthModuleOptions,
      });
      expect(error.code).toBe('RS256_CONFIG_INVALID');
      expect(error.message).toContain(message);
    });

    it('an option of the flat shape, given without its type (JavaScript, a cast), stops start-up naming its new path', async () => {
      const flat = {
        keys: { privateKeyPath: keys.privatePath },
        issuer: 'https://issuer.test',
        redisTimeout: 500,
      } as unknown as Rs256AuthModuleOptions;
      const error = await startupError(wiring, { options: flat });
      expect(error.code).toBe('RS256_CONFIG_INVALID');
      expect(error.message).toBe(
        "Options moved when they were grouped by concern: issuer is now tokens.issuer; redisTimeout is now sessions.redis.timeout, in seconds. See the CHANGELOG's migration table.",
      );
    });

    it('a key option at the top level, where it was before the keys group, stops start-up naming its place under keys', async () => {
      const flat = {
        privateKeyPath: keys.privatePath,
        watchKeyFiles: true,
        keyRotation: { interval: '30d' },
        jwksCooldown: 60,
      } as unknown as Rs256AuthModuleOptions;
      const error = await startupError(wiring, { options: flat });
      expect(error.code).toBe('RS256_CONFIG_INVALID');
      expect(error.message).toBe(
        'Options moved when they were grouped by concern: privateKeyPath is now keys.privateKeyPath; watchKeyFiles is now keys.watchFiles; ' +
          "keyRotation is now keys.rotation; jwksCooldown is now keys.remote.cooldown. See the CHANGELOG's migration table.",
      );
    });

    it('a passphrase of the wrong type is named by its type only, never quoted', async () => {
      const options = { keys: { privateKeyPath: keys.encryptedPath, privateKeyPassphrase: 271828 as unknown as string } };
      const error = await startupError(wiring, { options });
      expect(error.code).toBe('RS256_CONFIG_INVALID');
      expect(error.message).toContain('keys.privateKeyPassphrase option is a number;');
      expect(error.message).not.toContain('271828');
    });

    it('a JWKS path in the environment while the jwks option turns the endpoint off', async () => {
      const error = await startupError(wiring, {
        options: { keys: { privateKeyPath: keys.privatePath }, publishing: { jwks: false } },
        env: { JWT_JWKS_PATH: '/keys.json' },
      });
      expect(error.code).toBe('RS256_CONFIG_INVALID');
      expect(error.message).toContain('JWT_JWKS_PATH is "/keys.json", but the JWK Set endpoint is off (publishing.jwks option is false)');
    });

    it.each<[string, () => Rs256AuthModuleOptions, string]>([
      [
        'with local keys',
        () => ({ keys: { privateKeyPath: keys.privatePath, remote: { cooldown: 60 } } }) as unknown as Rs256AuthModuleOptions,
        'keys.remote.cooldown option is 60, but no JWK Set is fetched: none of JWT_JWKS_URI',
      ],
      [
        'with trusted issuers that all have local keys',
        () => ({ keys: { trustedIssuers: [{ issuer: 'internal', publicKeyPath: keys.publicPath }], remote: { maxKeys: 10 } } }),
        'keys.remote.maxKeys option is 10, but no JWK Set is fetched: every issuer of keys.trustedIssuers option has local keys',
      ],
    ])('a JWK Set fetch setting %s', async (_name, options, message) => {
      const error = await startupError(wiring, { options: options() });
      expect(error.code).toBe('RS256_CONFIG_INVALID');
      expect(error.message).toContain(message);
    });

    it('an empty requiredClaims array still requires no claim', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [appModule({ wiring, options: { keys: { privateKeyPath: keys.privatePath }, tokens: { requiredClaims: [] } } })],
      }).compile();
      await moduleRef.close();
    });
  });

  describe('JWT_* names in the process environment, where ConfigModule also puts the .env file', () => {
    const VALUE = 'value-that-must-never-be-printed';
    const added: string[] = [];
    function setEnv(variables: Record<string, string>): void {
      for (const [name, value] of Object.entries(variables)) {
        expect(process.env[name]).toBeUndefined();
        process.env[name] = value;
        added.push(name);
      }
    }
    afterEach(() => {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- environment variables the test set.
      for (const name of added.splice(0)) delete process.env[name];
    });

    it.each([
      ['JWT_ISSUR', 'JWT_ISSUER'],
      ['JWT_PUBLIC_KEY_PAHT', 'JWT_PUBLIC_KEY_PATH'],
      ['JWT_EXPIRE_IN', 'JWT_EXPIRES_IN'],
      ['JWT_JWKS_ENABLE', 'JWT_JWKS_ENABLED'],
      ['JWT_AUDIENCES', 'JWT_AUDIENCE'],
      ['JWT_CASHE_SIZE', 'JWT_CACHE_SIZE'],
      ['jwt_issuer', 'JWT_ISSUER'],
    ])('a misspelling, %s, stops start-up: did you mean %s?', async (typo, meant) => {
      setEnv({ [typo]: VALUE });
      const error = await startupError(wiring, { env: { JWT_PRIVATE_KEY_PATH: keys.privatePath } });
      expect(error.code).toBe('RS256_CONFIG_INVALID');
      expect(error.message).toContain(`${typo} is not a setting of this module; did you mean ${meant}?`);
      expect(error.message).toContain('ignoreEnv option');
      expect(error.message).not.toContain(VALUE);
    });

    it.each([
      ['JWT_REDIS_TIMEOUT_MS', '500', 'set JWT_REDIS_TIMEOUT instead, in seconds (JWT_REDIS_TIMEOUT=0.5)'],
      ['JWT_REVOCATION_MAX_STALENESS_MS', '10000', 'set JWT_REVOCATION_MAX_STALENESS instead, in seconds (JWT_REVOCATION_MAX_STALENESS=10)'],
      ['JWT_JWKS_TIMEOUT_MS', 'soon', 'set JWT_JWKS_TIMEOUT instead, in seconds (JWT_JWKS_TIMEOUT=0.5 for 500 ms)'],
    ])('a variable once in milliseconds, %s, stops start-up naming its successor in seconds', async (old, value, advice) => {
      const error = await startupError(wiring, { env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, [old]: value } });
      expect(error.code).toBe('RS256_CONFIG_INVALID');
      expect(error.message).toBe(`${old} is no longer read: ${advice}, and remove ${old}.`);
    });

    it('a misspelling in the .env file ConfigModule loads stops start-up too', async () => {
      const envFile = join(keys.dir, '.env');
      writeFileSync(envFile, `JWT_PRIVATE_KEY_PATH=${keys.privatePath}\nJWT_ISSUR=${VALUE}\n`);
      // ConfigModule copies the file into process.env; take it out again after the test.
      added.push('JWT_PRIVATE_KEY_PATH', 'JWT_ISSUR');
      const error = await startupError(wiring, { envFile });
      expect(error.code).toBe('RS256_CONFIG_INVALID');
      expect(error.message).toContain('JWT_ISSUR is not a setting of this module; did you mean JWT_ISSUER?');
      expect(error.message).not.toContain(VALUE);
    });

    it("names other JWT_* variables, the application's own perhaps, in one warning, without their values", async () => {
      setEnv({ JWT_REFRESH_SECRET: VALUE, JWT_SIGNING_ALGORITHMS: VALUE });
      const logs = new LogCapture();
      const { app } = await createApp({ wiring, env: { JWT_PRIVATE_KEY_PATH: keys.privatePath }, logger: logs });
      await app.close();
      const warnings = logs.matching(/^(WARN|ERROR) .*JWT_/);
      expect(warnings).toEqual([
        'WARN Unknown JWT_* variables, not settings of this module: JWT_REFRESH_SECRET, JWT_SIGNING_ALGORITHMS. ' +
          "List the application's own in the ignoreEnv option to silence this warning.",
      ]);
      expect(logs.lines.join('\n')).not.toContain(VALUE);
    });

    it('JWT_PRIVATE_KEY_FILE, the Docker secrets convention: the warning and RS256_NO_KEY both point at JWT_PRIVATE_KEY_PATH', async () => {
      setEnv({ JWT_PRIVATE_KEY_FILE: keys.privatePath });
      const logs = new LogCapture();
      const error = await startupError(wiring, {}, logs);
      const hint =
        "For JWT_PRIVATE_KEY_FILE, set JWT_PRIVATE_KEY_PATH instead: it takes the key file's path, a Docker secret's /run/secrets/<name> included.";
      expect(logs.matching(/JWT_/)).toEqual([
        `WARN Unknown JWT_* variables, not settings of this module: JWT_PRIVATE_KEY_FILE. ${hint} ` +
          "List the application's own in the ignoreEnv option to silence this warning.",
      ]);
      expect(error.code).toBe('RS256_NO_KEY');
      expect(error.message).toMatch(
        /^No key is configured: .* or the keys\.privateKeyPath\/keys\.publicKeyPath options\. For JWT_PRIVATE_KEY_FILE, set JWT_PRIVATE_KEY_PATH instead/,
      );
      expect(`${error.message}\n${logs.lines.join('\n')}`).not.toContain(keys.privatePath);
    });

    it('JWT_PUBLIC_KEY_FILE beside a working private key: the warning only', async () => {
      setEnv({ JWT_PUBLIC_KEY_FILE: VALUE });
      const logs = new LogCapture();
      const { app } = await createApp({ wiring, env: { JWT_PRIVATE_KEY_PATH: keys.privatePath }, logger: logs });
      await app.close();
      expect(logs.matching(/JWT_PUBLIC_KEY_FILE/)).toEqual([expect.stringContaining('For JWT_PUBLIC_KEY_FILE, set JWT_PUBLIC_KEY_PATH instead')]);
    });

    it("ignoreEnv declares the application's own names, near-misses included: no error, no warning", async () => {
      setEnv({ JWT_ISSUERS: VALUE, JWT_REFRESH_SECRET: VALUE });
      const logs = new LogCapture();
      const options = { keys: { privateKeyPath: keys.privatePath }, ignoreEnv: ['JWT_ISSUERS', 'JWT_REFRESH_SECRET'] };
      const { app } = await createApp({ wiring, options, logger: logs });
      await app.close();
      expect(logs.matching(/^(WARN|ERROR) .*JWT_/)).toEqual([]);
    });

    it.each<[string, unknown, string]>([
      ['a setting of this module', ['JWT_ISSUER'], 'ignoreEnv option lists JWT_ISSUER, a setting of this module'],
      ['not an array', 'JWT_REFRESH_SECRET', 'ignoreEnv option is "JWT_REFRESH_SECRET"; expected an array of variable names'],
    ])('ignoreEnv listing %s stops start-up', async (_name, ignoreEnv, message) => {
      const options = { keys: { privateKeyPath: keys.privatePath }, ignoreEnv } as Rs256AuthModuleOptions;
      const error = await startupError(wiring, { options });
      expect(error.code).toBe('RS256_CONFIG_INVALID');
      expect(error.message).toContain(message);
    });
  });

  describe('JWK Set fetch settings that are accepted: some key set is fetched, or may be', () => {
    it.each<[string, () => Rs256AuthModuleOptions]>([
      [
        'a JWKS URI',
        () => ({ keys: { jwksUri: 'https://id.example.com/jwks.json', remote: { cooldown: 60, maxBytes: 4096 } }, tokens: { audience: 'api' } }),
      ],
      ['an issuer URL', () => ({ keys: { issuerUrl: 'https://id.example.com', remote: { timeout: 2 } }, tokens: { audience: 'api' } })],
      [
        'one trusted issuer of several with a fetched set',
        () => ({
          keys: { trustedIssuers: [{ issuer: 'internal', publicKeyPath: keys.publicPath }, 'https://id.example.com'], remote: { maxKeys: 10 } },
          tokens: { audience: 'api' },
        }),
      ],
      [
        'local trusted issuers and a resolver, whose answers may name a JWK Set',
        () => ({
          keys: {
            trustedIssuers: [{ issuer: 'internal', publicKeyPath: keys.publicPath }],
            issuerResolver: () => undefined,
            remote: { cacheMaxAge: 60 },
          },
          tokens: { audience: 'api' },
        }),
      ],
    ])('%s', async (_name, options) => {
      const moduleRef = await Test.createTestingModule({ imports: [appModule({ wiring, options: options() })] }).compile();
      await moduleRef.close();
    });
  });

  describe('key-file watching that is accepted: some key is read from a file, or may be', () => {
    it.each<[string, () => Rs256AuthModuleOptions]>([
      ['a key file', () => ({ keys: { privateKeyPath: keys.privatePath, watchFiles: true } })],
      [
        'one trusted issuer of several with a key file',
        () => ({
          keys: { trustedIssuers: [{ issuer: 'internal', publicKeyPath: keys.publicPath }, 'https://id.example.com'], watchFiles: true },
          tokens: { audience: 'api' },
        }),
      ],
      [
        'a resolver, whose answers may name key files',
        () => ({ keys: { issuerResolver: () => undefined, watchFiles: true }, tokens: { audience: 'api' } }),
      ],
      ['inline keys, with watching off', () => ({ keys: { publicKey: readFileSync(keys.publicPath, 'utf8'), watchFiles: false } })],
    ])('%s', async (_name, options) => {
      const moduleRef = await Test.createTestingModule({ imports: [appModule({ wiring, options: options() })] }).compile();
      await moduleRef.close();
    });
  });

  describe('JWKS URIs that are accepted (the module builds; nothing is fetched before the app starts)', () => {
    it.each([
      { JWT_JWKS_URI: 'https://id.example.com/.well-known/jwks.json' },
      { JWT_JWKS_URI: 'http://127.0.0.1:3000/.well-known/jwks.json' },
      { JWT_JWKS_URI: 'http://localhost:3000/.well-known/jwks.json' },
      { JWT_JWKS_URI: 'http://[::1]:3000/.well-known/jwks.json' },
      { JWT_JWKS_URI: 'http://issuer.internal/jwks.json', JWT_JWKS_ALLOW_HTTP: 'true' },
    ] as Record<string, string>[])('%j', async (env) => {
      const moduleRef = await Test.createTestingModule({ imports: [appModule({ wiring, env: { ...env, JWT_AUDIENCE: 'api' } })] }).compile();
      await moduleRef.close();
    });
  });
});

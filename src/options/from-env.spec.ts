import type { ConfigService } from '@nestjs/config';
import { SettingsReader } from './from-env.js';
import { SETTINGS } from './settings.js';

/** A ConfigService over a fixed environment, as ConfigModule gives one over process.env and .env files. */
function environment(env: Record<string, string>): ConfigService {
  return { get: (name: string) => env[name] } as unknown as ConfigService;
}

describe('SettingsReader', () => {
  it('reads an option before its variable, and names the setting where its value came from', () => {
    const reader = new SettingsReader({ tokens: { clockTolerance: 7 } }, environment({ JWT_CLOCK_TOLERANCE: '9', JWT_REALM: 'orders' }));
    expect(reader.read('clockTolerance')).toBe(7);
    expect(reader.label('clockTolerance')).toBe('tokens.clockTolerance option');
    expect(reader.read('realm')).toBe('orders');
    expect(reader.label('realm')).toBe('JWT_REALM');
  });

  it("gives the row's default, parsed, when neither is set; an empty variable counts as unset", () => {
    const reader = new SettingsReader({}, environment({ JWT_EXPIRES_IN: '', JWT_REQUIRED_CLAIMS: '' }));
    expect(reader.read('expiresIn')).toBe(15 * 60);
    expect(reader.read('requiredClaims')).toEqual(['exp', 'iat', 'sub']);
    expect(reader.read('issuer')).toBeUndefined();
    expect(reader.has('expiresIn')).toBe(false);
  });

  it('follows a dotted option path; an object where a switch is read turns it on', () => {
    const reader = new SettingsReader({ publishing: { jwks: { path: '/keys.json' } } }, environment({ JWT_JWKS_MAX_AGE: '60' }));
    expect(reader.read('jwksEnabled')).toBe(true);
    expect(reader.read('jwksPath')).toBe('/keys.json');
    expect(reader.label('jwksPath')).toBe('publishing.jwks.path option');
    expect(reader.read('jwksMaxAge')).toBe(60);
    expect(new SettingsReader({ publishing: { jwks: false } }).read('jwksEnabled')).toBe(false);
    const sessions = new SettingsReader({ sessions: { store: 'redis', redis: { timeout: 0.5 } } });
    expect(sessions.read('sessions')).toBe(true);
    expect(sessions.read('sessionStore')).toBe('redis');
    expect(sessions.read('redisTimeout')).toBe(0.5);
    expect(sessions.label('redisTimeout')).toBe('sessions.redis.timeout option');
  });

  it('reads durations in seconds, decimals included, and refuses anything else naming the variable', () => {
    expect(new SettingsReader({}, environment({ JWT_JWKS_TIMEOUT: '0.25' })).read('jwksTimeout')).toBe(0.25);
    expect(new SettingsReader({}, environment({})).read('revocationMaxStaleness')).toBe(10);
    expect(() => new SettingsReader({}, environment({ JWT_REDIS_TIMEOUT: '500ms' })).read('redisTimeout')).toThrow(
      'JWT_REDIS_TIMEOUT is "500ms"; expected a number of seconds of at least 0.001 (decimals allowed: 0.5).',
    );
  });

  it("refuses a value its row's parser refuses, naming the setting", () => {
    const reader = new SettingsReader({}, environment({ JWT_JWKS_COOLDOWN: '0' }));
    expect(() => reader.read('jwksCooldown')).toThrow(
      expect.objectContaining({ code: 'RS256_CONFIG_INVALID', message: 'JWT_JWKS_COOLDOWN is "0"; expected a whole number of at least 1.' }),
    );
  });

  it('has one row per variable, each name used once', () => {
    const names = Object.values(SETTINGS).map((row) => row.env);
    expect(new Set(names).size).toBe(names.length);
    // Upper case, digits and underscores, as shells and .env files spell them (JWT_PKCS11_MODULE).
    expect(names.every((name) => /^JWT_[A-Z][A-Z0-9_]*$/.test(name))).toBe(true);
  });
});

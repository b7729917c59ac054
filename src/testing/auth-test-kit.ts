import type { DynamicModule } from '@nestjs/common';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import type { Rs256AuthModuleOptions } from '../options/rs256-auth-options.interface.js';
import type { Rs256AuthModuleExtras } from '../rs256-auth.module-definition.js';
import { Rs256AuthModule } from '../rs256-auth.module.js';
import { refuseProduction } from './production-guard.js';
import { createTestKeys, type TestKeyPair } from './test-keys.js';
import { badTokensOf, lazyOtherKey, signWith, type BadToken, type TestTokenOptions, type TokenSigner } from './test-tokens.js';
import { SETTINGS } from '../options/settings.js';

/** Issuer of a kit's tokens unless told otherwise: the `.test` top-level domain is reserved (RFC 2606) and never resolves. */
export const TEST_ISSUER = 'https://issuer.test';
/** Audience of a kit's tokens unless told otherwise. */
export const TEST_AUDIENCE = 'https://api.test';

export interface AuthTestKitOptions {
  /**
   * The issuer the module checks and tokens carry; `null` for none.
   * @default 'https://issuer.test'
   */
  issuer?: string | null;
  /**
   * The audience the module checks and tokens carry; `null` for none.
   * @default 'https://api.test'
   */
  audience?: string | null;
  /** The key pair to sign with. @default a new one from `createTestKeys()` */
  keys?: TestKeyPair;
}

/** Throwaway keys, the module configured on them, and the tokens to test it with. */
export interface AuthTestKit {
  readonly keys: TestKeyPair;
  readonly issuer?: string;
  readonly audience?: string;
  /** The options `module()` passes to `Rs256AuthModule.forRoot`: the private key inline, the issuer and audience. */
  readonly moduleOptions: Rs256AuthModuleOptions;
  /**
   * `Rs256AuthModule.forRoot` on the kit's keys, for `Test.createTestingModule({ imports: [kit.module()] })`. As with
   * any `forRoot`, settings not given as options are read from the environment: a `JWT_PRIVATE_KEY_PATH` there
   * conflicts with the kit's inline key.
   * @param overrides further options (or `isGlobal` / `strategy`), applied over the kit's
   */
  module(overrides?: Rs256AuthModuleOptions & Rs256AuthModuleExtras): DynamicModule;
  /**
   * The kit's settings as environment variables (`JWT_PRIVATE_KEY`, `JWT_ISSUER`, `JWT_AUDIENCE`), for an
   * application whose own module reads them: `Object.assign(process.env, kit.env())`.
   */
  env(): Record<string, string>;
  /** A valid token for the kit's module; see {@link TestTokenOptions} for the overrides. */
  signTestToken(claims?: JwtClaims, options?: TestTokenOptions): string;
  /** One token per refusal reason, each named by the `RS256_TOKEN_*` code it must be refused with. */
  badTokens(claims?: JwtClaims): BadToken[];
}

/**
 * Makes new keys in memory and a module configured on them. Nothing is written to disk (see
 * `keys.writeKeyFiles` for an application that reads key files).
 * @throws Rs256AuthError `RS256_TESTING_IN_PRODUCTION` when `NODE_ENV` is `production`
 * @example
 * const kit = createAuthTestKit();
 * const moduleRef = await Test.createTestingModule({ imports: [kit.module()], controllers: [OrdersController] }).compile();
 * await request(app.getHttpServer()).get('/orders').auth(kit.signTestToken({ sub: 'alice' }, { scopes: ['orders:read'] }), { type: 'bearer' });
 */
export function createAuthTestKit(options: AuthTestKitOptions = {}): AuthTestKit {
  refuseProduction('createAuthTestKit()');
  const keys = options.keys ?? createTestKeys();
  const issuer = options.issuer === null ? undefined : (options.issuer ?? TEST_ISSUER);
  const audience = options.audience === null ? undefined : (options.audience ?? TEST_AUDIENCE);
  const signer: TokenSigner = { keys, issuer, audience, typ: 'JWT' };
  const otherKey = lazyOtherKey();
  const moduleOptions: Rs256AuthModuleOptions = {
    keys: { privateKey: keys.privateKey },
    tokens: { ...(issuer !== undefined && { issuer }), ...(audience !== undefined && { audience: [audience] }) },
  };
  return {
    keys,
    issuer,
    audience,
    moduleOptions,
    module: (overrides = {}) => Rs256AuthModule.forRoot(withOverrides(moduleOptions, overrides)),
    env: () => ({
      [SETTINGS.privateKey.env]: keys.privateKey,
      ...(issuer !== undefined && { [SETTINGS.issuer.env]: issuer }),
      ...(audience !== undefined && { [SETTINGS.audience.env]: audience }),
    }),
    signTestToken: (claims, tokenOptions) => signWith(signer, claims, tokenOptions),
    badTokens: (claims) => badTokensOf(signer, otherKey, claims),
  };
}

/**
 * The kit's options with the test's on top, a group at a time: `{ tokens: { clockTolerance: 0 } }` keeps the kit's
 * issuer and audience, where a plain spread would drop them.
 */
function withOverrides(base: Rs256AuthModuleOptions, overrides: Partial<Rs256AuthModuleOptions>): Rs256AuthModuleOptions {
  const merged: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(overrides)) {
    const under = merged[name];
    const group = (candidate: unknown): candidate is object => typeof candidate === 'object' && candidate !== null && !Array.isArray(candidate);
    merged[name] = group(under) && group(value) ? { ...under, ...value } : value;
  }
  return merged as Rs256AuthModuleOptions;
}

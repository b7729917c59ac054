import { JwtSecretRequestType, JwtService, type JwtSignOptions } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import type { Rs256AuthConfig } from './config/rs256-auth.config.js';
import { Rs256AuthError } from './errors/rs256-auth.error.js';
import { peekHeader } from './token/token-verifier.js';

/**
 * RFC 9068 §2.2: the claims an access token must carry that only the application knows. Checked before signing,
 * so a token that strict verifiers would refuse is never issued.
 */
function checkAccessTokenClaims(payload: unknown): void {
  const claims = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {};
  for (const name of ['sub', 'client_id']) {
    if (typeof claims[name] !== 'string') {
      throw new Rs256AuthError('RS256_ACCESS_TOKEN_CLAIMS', `JWT_TOKEN_PROFILE is rfc9068: the payload must carry '${name}' as a string (RFC 9068 §2.2).`);
    }
  }
  if (Object.hasOwn(claims, 'jti')) {
    throw new Rs256AuthError('RS256_ACCESS_TOKEN_CLAIMS', "JWT_TOKEN_PROFILE is rfc9068: 'jti' is set by the module, one per token; leave it out of the payload.");
  }
}

/**
 * RFC 9068 §2.1 and §2.2: typed at+jwt, with an identifier of its own. `jwtid` is defined as a getter on the sign
 * options themselves (a spread would read it once): @nestjs/jwt copies the options at every sign, so every token
 * gets a fresh one, as `keyid` gets the current kid.
 */
function addAccessTokenOptions(signOptions: JwtSignOptions): void {
  Object.defineProperties(signOptions, {
    header: { value: { alg: 'RS256', typ: 'at+jwt' }, enumerable: true },
    jwtid: { get: randomUUID, enumerable: true },
  });
}

/**
 * Configures `@nestjs/jwt`'s `JwtService` for RS256: the private key signs, the public key selected by the
 * token's `kid` verifies. Keys are handed over as parsed `KeyObject`s through `secretOrKeyProvider`, which also
 * wins over any `secret` a caller passes per call, so the split cannot be undone by accident.
 */
export function createJwtService(config: Rs256AuthConfig): JwtService {
  const { keyStore } = config;
  const accessTokens = config.tokenProfile === 'rfc9068';
  // jsonwebtoken refuses sign options that are present but undefined, so unset ones are left out entirely.
  const signOptions: JwtSignOptions = {
    algorithm: 'RS256',
    expiresIn: config.expiresIn,
    ...(config.issuer !== undefined && { issuer: config.issuer }),
    ...(config.audience !== undefined && { audience: config.audience[0] }),
    // Read at every sign (@nestjs/jwt spreads these options per call): after a key reload, tokens carry the new
    // signing key's kid. In verify-only mode signing fails before options are read.
    get keyid(): string | undefined {
      return keyStore.keys.signingKid;
    },
  };
  if (accessTokens) {
    addAccessTokenOptions(signOptions);
  }
  return new JwtService({
    secretOrKeyProvider: (requestType, tokenOrPayload) => {
      if (requestType !== JwtSecretRequestType.SIGN) {
        return keyStore.keys.select(typeof tokenOrPayload === 'string' ? peekHeader(tokenOrPayload)?.kid : undefined).key;
      }
      if (accessTokens) {
        checkAccessTokenClaims(tokenOrPayload);
      }
      return keyStore.keys.signingKey().key;
    },
    signOptions,
    verifyOptions: {
      algorithms: ['RS256'],
      issuer: config.issuer,
      // resolveRs256AuthConfig never leaves an empty list: no audience is `undefined`.
      audience: config.audience as [string, ...string[]] | undefined,
      clockTolerance: config.clockTolerance,
    },
  });
}

import { JwtSecretRequestType, JwtService } from '@nestjs/jwt';
import type { Rs256AuthConfig } from './config/rs256-auth.config.js';
import { peekHeader } from './token/token-verifier.js';

/**
 * Configures `@nestjs/jwt`'s `JwtService` for RS256: the private key signs, the public key selected by the
 * token's `kid` verifies. Keys are handed over as parsed `KeyObject`s through `secretOrKeyProvider`, which also
 * wins over any `secret` a caller passes per call, so the split cannot be undone by accident.
 */
export function createJwtService(config: Rs256AuthConfig): JwtService {
  const { keyStore } = config;
  return new JwtService({
    secretOrKeyProvider: (requestType, tokenOrPayload) =>
      requestType === JwtSecretRequestType.SIGN
        ? keyStore.keys.signingKey().key
        : keyStore.keys.select(typeof tokenOrPayload === 'string' ? peekHeader(tokenOrPayload)?.kid : undefined).key,
    // jsonwebtoken refuses sign options that are present but undefined, so unset ones are left out entirely.
    signOptions: {
      algorithm: 'RS256',
      expiresIn: config.expiresIn,
      ...(config.issuer !== undefined && { issuer: config.issuer }),
      ...(config.audience !== undefined && { audience: config.audience[0] }),
      // Read at every sign (@nestjs/jwt spreads these options per call): after a key reload, tokens carry the new
      // signing key's kid. In verify-only mode signing fails before options are read.
      get keyid(): string | undefined {
        return keyStore.keys.signingKid;
      },
    },
    verifyOptions: {
      algorithms: ['RS256'],
      issuer: config.issuer,
      // resolveRs256AuthConfig never leaves an empty list: no audience is `undefined`.
      audience: config.audience as [string, ...string[]] | undefined,
      clockTolerance: config.clockTolerance,
    },
  });
}

import { createHash, generateKeyPairSync, randomUUID, sign, constants, type JsonWebKey, type KeyObject } from 'node:crypto';

/** The algorithms a client's proof key is made for here. */
export type ProofAlgorithm = 'ES256' | 'ES384' | 'RS256' | 'PS256' | 'EdDSA';

/** A DPoP client's key pair made with node:crypto for this run, its public JWK and its RFC 7638 thumbprint. */
export interface DpopKey {
  alg: ProofAlgorithm;
  privateKey: KeyObject;
  jwk: JsonWebKey;
  /** The thumbprint, computed here by hand from RFC 7638 §3 rather than by the library under test. */
  jkt: string;
}

export function dpopKey(alg: ProofAlgorithm = 'ES256'): DpopKey {
  const { privateKey, publicKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'ES384'
        ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
        : alg === 'EdDSA'
          ? generateKeyPairSync('ed25519')
          : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const members =
    jwk.kty === 'RSA'
      ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
      : jwk.kty === 'EC'
        ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
        : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return { alg, privateKey, jwk, jkt: createHash('sha256').update(JSON.stringify(members)).digest('base64url') };
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export interface ProofClaims {
  htm: string;
  htu: string;
  /** The access token the proof goes with; its hash becomes `ath`. */
  accessToken?: string;
  iat?: number;
  jti?: string;
  nonce?: string;
  /** Claims to set or override as they are (`ath: 'wrong'`), after the above. */
  claims?: Record<string, unknown>;
  /** Header members to set or override (`typ`, a `jwk` with private members, `alg`). */
  header?: Record<string, unknown>;
}

/** A DPoP proof (RFC 9449 §4.2) signed with `key`, as a client makes it. */
export function dpopProof(key: DpopKey, options: ProofClaims): string {
  const header = { typ: 'dpop+jwt', alg: key.alg, jwk: key.jwk, ...options.header };
  const payload = {
    jti: options.jti ?? randomUUID(),
    htm: options.htm,
    htu: options.htu,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    ...(options.accessToken !== undefined && { ath: createHash('sha256').update(options.accessToken).digest('base64url') }),
    ...(options.nonce !== undefined && { nonce: options.nonce }),
    ...options.claims,
  };
  const signed = `${b64(header)}.${b64(payload)}`;
  const digest = key.alg === 'EdDSA' ? null : key.alg === 'ES384' ? 'sha384' : 'sha256';
  const signature =
    key.alg === 'ES256' || key.alg === 'ES384'
      ? sign(digest, Buffer.from(signed), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : key.alg === 'PS256'
        ? sign(digest, Buffer.from(signed), {
            key: key.privateKey,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
          })
        : sign(digest, Buffer.from(signed), key.privateKey);
  return `${signed}.${signature.toString('base64url')}`;
}

/** A JWT with `alg` and any signature bytes: for `none` (empty signature) and HMAC proofs. */
export function unsignedProof(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ''): string {
  return `${b64(header)}.${b64(payload)}.${signature}`;
}

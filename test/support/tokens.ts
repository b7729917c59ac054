import { constants, createHmac, sign, type KeyObject } from 'node:crypto';

export type Json = Record<string, unknown>;

export function b64url(value: Json | string): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** Seconds since the epoch, as JWT NumericDates count. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A payload that satisfies the default required claims (exp, iat, sub), valid for five minutes. */
export function validClaims(extra: Json = {}): Json {
  const now = nowSeconds();
  return { sub: 'user-1', iat: now, exp: now + 300, ...extra };
}

/** Signs `header.payload` by hand, so tests can build tokens no JWT library would produce. */
export function craftToken(header: Json, payload: Json | string, signer: (input: Buffer) => Buffer): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${signer(Buffer.from(input)).toString('base64url')}`;
}

export const signers = {
  rs256: (key: KeyObject) => (input: Buffer) => sign('sha256', input, key),
  rs384: (key: KeyObject) => (input: Buffer) => sign('sha384', input, key),
  rs512: (key: KeyObject) => (input: Buffer) => sign('sha512', input, key),
  ps256: (key: KeyObject) => (input: Buffer) => sign('sha256', input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
  es256: (key: KeyObject) => (input: Buffer) => sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' }),
  /** The algorithm-confusion attack: HMAC keyed with the verifier's public key PEM. */
  hs256: (secret: string | Buffer) => (input: Buffer) => createHmac('sha256', secret).update(input).digest(),
  none: () => () => Buffer.alloc(0),
};

/** An RS256 token signed with `key`, with the given claims and extra header parameters. */
export function rs256Token(key: KeyObject, payload: Json | string, header: Json = {}): string {
  return craftToken({ alg: 'RS256', typ: 'JWT', ...header }, payload, signers.rs256(key));
}

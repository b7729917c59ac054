import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { Rs256AuthErrorCode } from '../errors/rs256-auth.error.js';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import type { TestKeyPair } from './test-keys.js';

/**
 * Overrides for one test token. A registered claim or header member set to `null` is left out of the token; left
 * `undefined`, it takes the kit's value.
 */
export interface TestTokenOptions {
  /**
   * The clock the token's times count from, in seconds since the epoch (a test with a frozen clock passes its own).
   * @default the current time
   */
  now?: number;
  /**
   * Seconds from `now` to `exp`.
   * @default 300
   */
  expiresIn?: number;
  /** `exp` itself, in seconds since the epoch; wins over `expiresIn`. */
  exp?: number | null;
  /** `nbf`, in seconds since the epoch; not set by default. */
  nbf?: number | null;
  /** `iat`, in seconds since the epoch. @default now */
  iat?: number | null;
  /** `iss`. @default the kit's issuer */
  iss?: string | null;
  /** `aud`. @default the kit's audience */
  aud?: string | string[] | null;
  /** The header's `kid`. @default the kid of the kit's signing key */
  kid?: string | null;
  /** The header's `typ`. @default `JWT` (`at+jwt` from a fake issuer's token endpoint) */
  typ?: string | null;
  /** Scopes, written space-separated into the `scope` claim (RFC 8693 §4.2), where the module reads them by default. */
  scopes?: readonly string[];
  /** Roles, written into the `roles` claim, where the module reads them by default. */
  roles?: readonly string[];
}

/** Why a {@link BadToken} must be refused. */
export type BadTokenReason =
  | 'expired'
  | 'not yet valid'
  | 'signed by another key'
  | 'unknown kid'
  | 'alg none'
  | 'HS256 keyed with the public key'
  | 'wrong issuer'
  | 'wrong audience'
  | 'tampered payload';

/** A token that a module configured like the kit must refuse, with the code of that refusal. */
export interface BadToken {
  readonly reason: BadTokenReason;
  /**
   * The `RS256_TOKEN_*` code the guard refuses it with (the 401's JSON body carries it as `code`). An `alg: none`
   * token has no signature, and a token without one is refused as `RS256_TOKEN_SIGNATURE` before its header is read.
   */
  readonly code: Rs256AuthErrorCode;
  readonly token: string;
}

/** What signs a kit's tokens, and what it writes into them unless told otherwise. */
export interface TokenSigner {
  readonly keys: TestKeyPair;
  readonly issuer?: string;
  readonly audience?: string;
  readonly typ: string;
}

const DEFAULT_SUBJECT = 'test-user';
const DEFAULT_LIFETIME = 300;
/** How far past or ahead of now the expired and not-yet-valid tokens are: beyond any sensible clock tolerance. */
const ONE_DAY = 86_400;

function segment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function compact(header: Record<string, unknown>, payload: Record<string, unknown>, signer: (input: Buffer) => Buffer): string {
  const input = `${segment(header)}.${segment(payload)}`;
  return `${input}.${signer(Buffer.from(input)).toString('base64url')}`;
}

function rs256(key: KeyObject): (input: Buffer) => Buffer {
  return (input) => sign('sha256', input, key);
}

/** Sets `name` to the override if one is given (dropping it for `null`), else to the fallback if there is one. */
function put(target: Record<string, unknown>, name: string, override: unknown, fallback: unknown): void {
  const value = override === undefined ? fallback : override;
  if (value === null || value === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a claim or header named by the caller is left out.
    delete target[name];
  } else {
    target[name] = value;
  }
}

function header(signer: TokenSigner, options: TestTokenOptions): Record<string, unknown> {
  const result: Record<string, unknown> = { alg: 'RS256' };
  put(result, 'typ', options.typ, signer.typ);
  put(result, 'kid', options.kid, signer.keys.kid);
  return result;
}

function payload(signer: TokenSigner, claims: JwtClaims, options: TestTokenOptions): Record<string, unknown> {
  const now = Math.floor(options.now ?? Date.now() / 1000);
  const result: Record<string, unknown> = { sub: DEFAULT_SUBJECT, ...claims };
  put(result, 'iss', options.iss, claims.iss ?? signer.issuer);
  put(result, 'aud', options.aud, claims.aud ?? signer.audience);
  put(result, 'iat', options.iat, claims.iat ?? now);
  put(result, 'exp', options.exp, claims.exp ?? now + (options.expiresIn ?? DEFAULT_LIFETIME));
  put(result, 'nbf', options.nbf, claims.nbf);
  if (options.scopes !== undefined) result.scope = options.scopes.join(' ');
  if (options.roles !== undefined) result.roles = [...options.roles];
  return result;
}

/** A valid RS256 token from `signer`: `sub` `test-user`, the signer's `iss` and `aud`, valid five minutes. */
export function signWith(signer: TokenSigner, claims: JwtClaims = {}, options: TestTokenOptions = {}): string {
  return compact(header(signer, options), payload(signer, claims, options), rs256(signer.keys.signingKey));
}

/**
 * The bad tokens for `signer`, each built from `claims` so that everything but its one fault is valid. `otherKey`
 * is a second private key, made once per kit (generating one costs tens of milliseconds).
 */
export function badTokensOf(signer: TokenSigner, otherKey: () => KeyObject, claims: JwtClaims = {}): BadToken[] {
  const now = Math.floor(Date.now() / 1000);
  const good = (options: TestTokenOptions = {}): Record<string, unknown> => payload(signer, claims, options);
  const goodHeader = header(signer, {});
  const tampered = signWith(signer, claims).split('.');
  // A payload one claim different from the signed one, under the original signature.
  tampered[1] = segment({ ...good(), sub: `${String(good().sub)}-tampered` });
  const tokens: BadToken[] = [
    {
      reason: 'expired',
      code: 'RS256_TOKEN_EXPIRED',
      token: signWith(signer, claims, { iat: now - ONE_DAY - DEFAULT_LIFETIME, exp: now - ONE_DAY }),
    },
    { reason: 'not yet valid', code: 'RS256_TOKEN_NOT_YET_VALID', token: signWith(signer, claims, { nbf: now + ONE_DAY }) },
    { reason: 'signed by another key', code: 'RS256_TOKEN_SIGNATURE', token: compact(goodHeader, good(), rs256(otherKey())) },
    { reason: 'unknown kid', code: 'RS256_TOKEN_KID_UNKNOWN', token: signWith(signer, claims, { kid: `unknown-${signer.keys.kid.slice(0, 8)}` }) },
    { reason: 'alg none', code: 'RS256_TOKEN_SIGNATURE', token: `${segment({ ...goodHeader, alg: 'none' })}.${segment(good())}.` },
    {
      reason: 'HS256 keyed with the public key',
      code: 'RS256_TOKEN_ALGORITHM',
      token: compact({ ...goodHeader, alg: 'HS256' }, good(), (input) => createHmac('sha256', signer.keys.publicKey).update(input).digest()),
    },
    { reason: 'tampered payload', code: 'RS256_TOKEN_SIGNATURE', token: tampered.join('.') },
  ];
  if (signer.issuer !== undefined) {
    tokens.push({ reason: 'wrong issuer', code: 'RS256_TOKEN_ISSUER', token: signWith(signer, claims, { iss: `${signer.issuer}.wrong` }) });
  }
  if (signer.audience !== undefined) {
    tokens.push({ reason: 'wrong audience', code: 'RS256_TOKEN_AUDIENCE', token: signWith(signer, claims, { aud: `${signer.audience}.wrong` }) });
  }
  return tokens;
}

/** A private key other than the signer's, made on first use and kept. */
export function lazyOtherKey(): () => KeyObject {
  let key: KeyObject | undefined;
  return () => (key ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
}

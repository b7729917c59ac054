import { Inject, Injectable, Optional } from '@nestjs/common';
import { verify as verifySignature } from 'node:crypto';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { Rs256AuthError, type Rs256AuthErrorCode } from '../errors/rs256-auth.error.js';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import { IssuerRegistry, type IssuerContext } from '../issuers/issuer-registry.js';
import type { KeySet, VerificationKey } from '../keys/key-set.js';
import { RS256_AUTH_CONFIG } from '../rs256-auth.constants.js';
import { typMediaType } from '../options/token-type.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { AuthMetrics } from '../observability/auth-metrics.js';

/** A JOSE header as it arrives: untrusted until the signature is checked. */
export type JoseHeader = Record<string, unknown>;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Header parameters that carry or point at a key (RFC 7515 §4.1.2-4.1.6). Keys come from the configuration
 * only; a token that brings its own is an attack or a misconfigured issuer, and is refused either way.
 */
const KEY_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'];

/** Distinct accepted headers remembered; past it they are forgotten at once (only a flood of odd headers gets there). */
const MAX_REMEMBERED_HEADERS = 64;

/**
 * Deepest nesting of objects and arrays accepted in a header or a payload (the top-level object is level 1). Real
 * claims nest a few levels (`resource_access.client.roles`); the bound keeps every later walk over the value
 * (serialising a response, say) far from the stack limit. `JSON.parse` itself parses without recursion, so the
 * depth is checked on the parsed value, by the walk that freezes it.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * A claim only if the token itself carries it: `claims.toString` is `Object.prototype`'s, not a claim, and a
 * member inherited from any prototype must never satisfy a check.
 */
export function ownClaim(claims: JwtClaims, name: string): unknown {
  return Object.hasOwn(claims, name) ? claims[name] : undefined;
}

function reject(code: Rs256AuthErrorCode, description: string): never {
  throw new Rs256AuthError(code, description);
}

function decodeJson(segment: string, what: string): Record<string, unknown> {
  // Buffer's base64url decoder skips characters outside the alphabet, so check the alphabet first: otherwise
  // two different strings would decode to the same bytes.
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) {
    reject('RS256_TOKEN_MALFORMED', `malformed token: ${what} is not base64url`);
  }
  const json = Buffer.from(segment, 'base64url').toString('utf8');
  let value: unknown;
  try {
    // JSON.parse makes a `__proto__` member an own property; nothing later copies claims with assignment, which is
    // what would turn it into a prototype.
    value = JSON.parse(json);
  } catch {
    reject('RS256_TOKEN_MALFORMED', `malformed token: ${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    reject('RS256_TOKEN_MALFORMED', `malformed token: ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * The `iss` of a token, read without checking anything; `undefined` if it cannot be read. For choosing among
 * trusted issuers only: nothing in it is trusted.
 */
export function peekIssuer(token: string): unknown {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  try {
    return first > 0 && second > first ? ownClaim(decodeJson(token.slice(first + 1, second), 'payload'), 'iss') : undefined;
  } catch {
    return undefined;
  }
}

/** What a token is checked against: the keys that may have signed it and what its claims must say. */
interface Policy {
  readonly keys: KeySet;
  readonly issuer?: string;
  readonly audience?: readonly string[];
  readonly requiredClaims: readonly string[];
  /** With several issuers, the issuer chosen by the token's `iss`. */
  readonly context?: IssuerContext;
}

/** A token that passed every check before the RSA operation, with what the operation and the claim checks need. */
interface SignedToken {
  readonly key: VerificationKey;
  readonly input: Buffer;
  readonly signature: Buffer;
  readonly payload: string;
  readonly policy: Policy;
  /** The payload, already decoded to choose the issuer (several issuers only): not decoded a second time. */
  readonly decoded?: JwtClaims;
}

/**
 * Freezes a decoded header or payload all the way down (verified claims may be shared by many requests through the
 * cache), and refuses it if it nests deeper than `MAX_JSON_DEPTH`: the walk visits every object once anyway, so the
 * bound costs no pass of its own. A loop with its own stack rather than recursion, so no input can exhaust the call
 * stack; `what` names the segment in the refusal.
 */
function frozenWithinDepth<T extends object>(value: T, what: 'header' | 'payload'): T {
  const pending: object[] = [];
  const depths: number[] = [];
  let next: object | undefined = value;
  let depth = 1;
  while (next !== undefined) {
    Object.freeze(next);
    for (const child of Object.values(next)) {
      if (typeof child === 'object' && child !== null) {
        if (depth === MAX_JSON_DEPTH) {
          reject('RS256_TOKEN_MALFORMED', `malformed token: ${what} nests deeper than ${MAX_JSON_DEPTH} levels`);
        }
        pending.push(child);
        depths.push(depth + 1);
      }
    }
    next = pending.pop();
    depth = depths.pop() ?? 0;
  }
  return value;
}

/** A NumericDate claim the token carries must be a finite number of seconds. */
function checkNumericDate(claims: JwtClaims, name: 'exp' | 'nbf' | 'iat'): void {
  const value = ownClaim(claims, name);
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
    reject('RS256_TOKEN_CLAIM_INVALID', `claim '${name}' must be a NumericDate (a number of seconds)`);
  }
}

function checkString(claims: JwtClaims, name: 'iss' | 'sub' | 'jti'): void {
  const value = ownClaim(claims, name);
  if (value !== undefined && typeof value !== 'string') {
    reject('RS256_TOKEN_CLAIM_INVALID', `claim '${name}' must be a string`);
  }
}

function checkClaimTypes(claims: JwtClaims): void {
  // One call per claim with its name written out, not a loop over a list of names: every read is then of a
  // property known when the code is compiled, which costs a fraction of a read by a computed name.
  checkNumericDate(claims, 'exp');
  checkNumericDate(claims, 'nbf');
  checkNumericDate(claims, 'iat');
  checkString(claims, 'iss');
  checkString(claims, 'sub');
  checkString(claims, 'jti');
  const aud = ownClaim(claims, 'aud');
  if (aud !== undefined && typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((item) => typeof item === 'string'))) {
    reject('RS256_TOKEN_CLAIM_INVALID', "claim 'aud' must be a string or an array of strings");
  }
}

/**
 * Verifies compact RS256 JWS tokens against the configured key set. Written on `crypto.verify` with keys parsed
 * once at start-up, and strict where general-purpose JWT libraries are lenient: the algorithm is RS256 and
 * nothing else, `crit` is refused, header-supplied keys are refused, claim types are checked, and oversized
 * input is refused before any decoding.
 */
@Injectable()
export class TokenVerifier {
  private readonly cache: VerifiedTokenCache;
  /** Header segments that passed `checkedHeader`, with their decoded header. */
  private readonly headers = new Map<string, JoseHeader>();
  /**
   * The header segment accepted last and its header, tried before the Map: tokens from one issuer repeat it, and
   * comparing two strings costs less than hashing one.
   */
  private lastHeader?: { segment: string; header: JoseHeader };
  /** The key set (with several issuers, the registry's version) the cached entries were verified with. */
  private cachedWith?: KeySet | number;

  constructor(
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
    @Optional() private readonly issuers?: IssuerRegistry,
    @Optional() private readonly metrics?: AuthMetrics,
  ) {
    this.cache = new VerifiedTokenCache(config.cacheSize);
    metrics?.gauge('rs256auth.token_cache.size', '{token}', 'Verified tokens remembered by the verified-token cache.', () => this.cache.size);
  }

  /** Number of verified tokens currently remembered. */
  get cachedTokens(): number {
    return this.cache.size;
  }

  /**
   * Returns the token's claims, deeply frozen, if it is valid now.
   * @param nowSeconds the clock, in seconds since the epoch (tests pass a fixed one)
   * @throws Rs256AuthError with a `RS256_TOKEN_*` code whose message is safe to show the client
   */
  verify(token: string, nowSeconds = Date.now() / 1000): JwtClaims {
    const keys = this.currentKeys();
    const cached = this.fromCache(token, nowSeconds);
    if (cached !== undefined) {
      return cached;
    }
    const signed = this.signedToken(token);
    if (!verifySignature('sha256', signed.input, signed.key.key, signed.signature)) {
      reject('RS256_TOKEN_SIGNATURE', 'invalid signature');
    }
    return this.accepted(token, signed, keys, nowSeconds);
  }

  /**
   * What the guard calls: `verify`, except that with the `verifyOffThread` option a token not in the cache has its
   * signature checked on libuv's thread pool, and the claims (or the refusal) come in a promise. Cached tokens and
   * tokens refused before the signature check are answered synchronously, as `verify` answers them.
   * @param nowSeconds the clock, in seconds since the epoch (tests pass a fixed one)
   * @throws Rs256AuthError with a `RS256_TOKEN_*` code whose message is safe to show the client
   */
  verifyRequestToken(token: string, nowSeconds = Date.now() / 1000): JwtClaims | Promise<JwtClaims> {
    if (!this.config.verifyOffThread) {
      return this.verify(token, nowSeconds);
    }
    const keys = this.currentKeys();
    const cached = this.fromCache(token, nowSeconds);
    if (cached !== undefined) {
      return cached;
    }
    const signed = this.signedToken(token);
    return new Promise((resolve, fail) => {
      verifySignature('sha256', signed.input, signed.key.key, signed.signature, (error, valid) => {
        try {
          if (error) {
            throw error;
          }
          if (!valid) {
            reject('RS256_TOKEN_SIGNATURE', 'invalid signature');
          }
          resolve(this.accepted(token, signed, keys, nowSeconds));
        } catch (refusal) {
          fail(refusal);
        }
      });
    });
  }

  /**
   * The key set in force (with several issuers, the registry's version); the cache is emptied whenever it differs
   * from the one its entries were verified with.
   */
  private currentKeys(): KeySet | number {
    const keys = this.issuers?.enabled === true ? this.issuers.version : this.config.keyStore.keys;
    if (keys !== this.cachedWith) {
      this.cache.clear();
      this.cachedWith = keys;
    }
    return keys;
  }

  /** The cached claims of the token, if any, checked against the clock (an expired entry is dropped). */
  private fromCache(token: string, nowSeconds: number): JwtClaims | undefined {
    const cached = this.cache.get(token);
    if (cached !== undefined) {
      this.metrics?.cacheHit();
      try {
        this.checkTime(cached, nowSeconds);
      } catch (error) {
        this.cache.delete(token);
        throw error;
      }
    }
    return cached;
  }

  /**
   * Every check before the RSA operation: size, structure, header, issuer and key selection, the signature's length
   * and spelling. Returns what the RSA operation and the claim checks need.
   */
  private signedToken(token: string): SignedToken {
    const { config } = this;
    if (token.length > config.maxTokenLength) {
      reject('RS256_TOKEN_TOO_LARGE', `token exceeds ${config.maxTokenLength} bytes`);
    }
    const firstDot = token.indexOf('.');
    const secondDot = token.indexOf('.', firstDot + 1);
    if (firstDot <= 0 || secondDot < 0 || token.indexOf('.', secondDot + 1) !== -1) {
      reject('RS256_TOKEN_MALFORMED', 'malformed token: expected three dot-separated segments');
    }
    const signature = token.slice(secondDot + 1);
    if (signature.length === 0) {
      reject('RS256_TOKEN_SIGNATURE', 'token is not signed');
    }

    const header = this.checkedHeader(token.slice(0, firstDot));
    const payload = token.slice(firstDot + 1, secondDot);
    const decoded: JwtClaims | undefined = this.issuers?.enabled === true ? decodeJson(payload, 'payload') : undefined;
    const policy = decoded ? this.issuerPolicy(decoded) : this.policy();
    const key = policy.keys.select(header.kid);

    // Exactly the length the key's modulus implies, compared before decoding: Buffer would ignore a surplus
    // character, and every extra spelling of a token is another cache entry and a way around a revocation list.
    if (signature.length !== key.encodedSignatureLength) {
      reject('RS256_TOKEN_SIGNATURE', 'invalid signature');
    }
    const signatureBytes = Buffer.from(signature, 'base64url');
    // The segment must be the one encoding of its bytes: Buffer skips characters outside the alphabet, accepts the
    // base64 ones too, and ignores the unused low bits of the last character, so otherwise several strings would be
    // the same valid token, which defeats replay and revocation lists keyed by the token. Encoding back and comparing
    // checks all of that at once, for less than a pattern over the segment; only a refused one is looked at again,
    // to say why.
    if (signatureBytes.toString('base64url') !== signature) {
      if (!BASE64URL.test(signature)) {
        reject('RS256_TOKEN_MALFORMED', 'malformed token: signature is not base64url');
      }
      reject('RS256_TOKEN_SIGNATURE', 'invalid signature');
    }
    return { key, input: Buffer.from(token.slice(0, secondDot), 'latin1'), signature: signatureBytes, payload, policy, decoded };
  }

  /**
   * The claims of a token whose signature is good, once they pass the claim checks and the clock; remembered if
   * the keys are still the ones that verified them.
   */
  private accepted(token: string, signed: SignedToken, keys: KeySet | number, nowSeconds: number): JwtClaims {
    const claims = this.checkedClaims(frozenWithinDepth(signed.decoded ?? decodeJson(signed.payload, 'payload'), 'payload'), signed.policy);
    this.checkTime(claims, nowSeconds);
    const { context } = signed.policy;
    // Only a token that passed every check lets a new issuer in among the active ones (see IssuerRegistry.admit),
    // and only an active issuer's tokens are cached: the registry empties the cache when one leaves.
    const cacheable = context === undefined || this.issuers!.admit(context);
    // Off the event loop, the keys may have been replaced while the signature was checked: then the entry would
    // outlive the key that vouched for it. (An issuer on probation changes no version when its keys change, so its
    // own key set is compared too.)
    if (cacheable && keys === this.cachedWith && (context === undefined || context.keyStore.keys === signed.policy.keys)) {
      this.cache.set(token, claims);
    }
    return claims;
  }

  /** The time-independent checks of the decoded payload: claim types, required claims, iss, aud. */
  private checkedClaims(claims: JwtClaims, policy: Policy): JwtClaims {
    checkClaimTypes(claims);
    for (const name of policy.requiredClaims) {
      if (!Object.hasOwn(claims, name)) {
        reject('RS256_TOKEN_CLAIM_MISSING', `missing claim '${name}'`);
      }
    }
    if (policy.issuer !== undefined && ownClaim(claims, 'iss') !== policy.issuer) {
      reject('RS256_TOKEN_ISSUER', 'issuer not accepted');
    }
    const accepted = policy.audience;
    if (accepted !== undefined) {
      // Own members only, as checkClaimTypes read them: a string or an array of strings by now.
      const aud = ownClaim(claims, 'aud') as string | string[] | undefined;
      const audiences = Array.isArray(aud) ? aud : aud === undefined ? [] : [aud];
      if (!audiences.some((aud) => accepted.includes(aud))) {
        reject('RS256_TOKEN_AUDIENCE', 'audience not accepted');
      }
    }
    return claims;
  }

  /** One issuer: the module's own keys and settings. */
  private policy(): Policy {
    const { keyStore, issuer, audience, requiredClaims } = this.config;
    return { keys: keyStore.keys, issuer, audience, requiredClaims };
  }

  /**
   * Several issuers: the payload's `iss`, read before the signature is checked and only to choose, picks the
   * issuer whose keys and settings apply. An `iss` that is not trusted is refused here, before any key lookup.
   */
  private issuerPolicy(payload: JwtClaims): Policy {
    const context = this.issuers!.select(ownClaim(payload, 'iss'));
    if (!context) {
      reject('RS256_TOKEN_ISSUER', 'issuer not accepted');
    }
    const { issuer, audience, requiredClaims } = context.issuer;
    return { keys: context.keyStore.keys, issuer, audience, requiredClaims, context };
  }

  /**
   * Decodes a header segment and refuses what no valid token carries. Tokens from one issuer share a handful of
   * headers, so accepted ones are remembered (a few, frozen): most tokens skip a base64 decode and a JSON parse.
   */
  private checkedHeader(segment: string): JoseHeader {
    const last = this.lastHeader;
    if (last !== undefined && last.segment === segment) {
      return last.header;
    }
    const header = this.headers.get(segment) ?? this.acceptedHeader(segment);
    this.lastHeader = { segment, header };
    return header;
  }

  private acceptedHeader(segment: string): JoseHeader {
    const header = decodeJson(segment, 'header');
    if (header.alg !== 'RS256') {
      reject('RS256_TOKEN_ALGORITHM', 'algorithm not accepted; only RS256 is');
    }
    const { tokenTypes } = this.config;
    if (tokenTypes !== undefined && (typeof header.typ !== 'string' || !tokenTypes.includes(typMediaType(header.typ)))) {
      reject('RS256_TOKEN_TYPE', `token type not accepted; expected ${tokenTypes.map((type) => type.replace(/^application\//, '')).join(' or ')}`);
    }
    if (header.crit !== undefined) {
      // RFC 7515 §4.1.11: a recipient must reject a token whose critical extensions it does not understand; this
      // verifier understands none.
      reject('RS256_TOKEN_CRIT_UNSUPPORTED', 'unsupported critical header parameters');
    }
    if (KEY_HEADERS.some((name) => header[name] !== undefined)) {
      reject('RS256_TOKEN_HEADER_KEY', 'keys supplied in the token header are not accepted');
    }
    if (this.headers.size >= MAX_REMEMBERED_HEADERS) {
      this.headers.clear();
    }
    this.headers.set(segment, frozenWithinDepth(header, 'header'));
    return header;
  }

  private checkTime(claims: JwtClaims, now: number): void {
    const tolerance = this.config.clockTolerance;
    // RFC 7519 §4.1.4: the token must not be accepted on or after `exp`.
    if (claims.exp !== undefined && now >= claims.exp + tolerance) {
      reject('RS256_TOKEN_EXPIRED', 'token expired');
    }
    if (claims.nbf !== undefined && now + tolerance < claims.nbf) {
      reject('RS256_TOKEN_NOT_YET_VALID', 'token not yet valid');
    }
    if (claims.iat !== undefined && now + tolerance < claims.iat) {
      reject('RS256_TOKEN_NOT_YET_VALID', 'token issued in the future');
    }
  }
}

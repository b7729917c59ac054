import { KeyObject, verify as verifySignature } from 'node:crypto';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import { KeySet, verificationKey, type VerificationKey } from '../keys/key-set.js';
import type { ChosenKey, ClaimPolicy, KeySource, UncheckedToken } from '../keys/key-source.js';
import { KeyStore } from '../keys/key-store.js';
import { StoredKeySource } from '../keys/stored-key-source.js';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { SETTINGS } from '../options/settings.js';
import { typMediaType } from '../options/token-type.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import type { AuthMetrics } from '../observability/auth-metrics.js';
import { BASE64URL, checkClaimTypes, decodeJson, frozenWithinDepth, ownClaim, reject, type JoseHeader } from './token-json.js';

export { MAX_JSON_DEPTH, ownClaim, peekIssuer, type JoseHeader } from './token-json.js';

/**
 * Header parameters that carry or point at a key (RFC 7515 §4.1.2-4.1.6). Keys come from the configuration
 * only; a token that brings its own is an attack or a misconfigured issuer, and is refused either way.
 */
const KEY_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'];

/** Distinct accepted headers remembered; past it they are forgotten at once (only a flood of odd headers gets there). */
const MAX_REMEMBERED_HEADERS = 64;

/**
 * What a verifier checks besides the signature, as plain data: the resolved configuration is one (the module passes
 * it whole). Unset, a check is off or has its documented default.
 */
export type VerifierPolicy = Partial<
  Pick<
    Rs256AuthConfig,
    'issuer' | 'audience' | 'requiredClaims' | 'clockTolerance' | 'tokenTypes' | 'maxTokenLength' | 'cacheSize' | 'verifyOffThread'
  >
>;

/** Keys given in code: one public key, for tokens without a `kid`; or keys by `kid`. */
export type PlainKeys = KeyObject | readonly { readonly kid: string; readonly key: KeyObject }[];

/** Policy with its defaults filled in, read on every token. */
interface Policy extends ClaimPolicy {
  readonly clockTolerance: number;
  readonly tokenTypes?: readonly string[];
  readonly maxTokenLength: number;
  readonly verifyOffThread: boolean;
}

/**
 * A token read up to its signature: the header's `kid` and, decoded at most once and only if the key source asks
 * (several issuers choose by `iss`) or the signature is good, its payload.
 */
class TokenParts implements UncheckedToken {
  private decoded?: JwtClaims;

  constructor(
    readonly kid: unknown,
    private readonly segment: string,
  ) {}

  payload(): JwtClaims {
    this.decoded ??= decodeJson(this.segment, 'payload');
    return this.decoded;
  }
}

/** A token that passed every check before the RSA operation, with what the operation and the claim checks need. */
interface SignedToken {
  readonly chosen: ChosenKey;
  readonly input: Buffer;
  readonly signature: Buffer;
  readonly parts: TokenParts;
}

/** Keys given in code, as a key source whose set never changes. */
function storedKeys(keys: PlainKeys): KeySource {
  const entries: readonly VerificationKey[] =
    keys instanceof KeyObject ? [verificationKey('', keys)] : keys.map(({ kid, key }) => verificationKey(kid, key));
  return new StoredKeySource(new KeyStore(new KeySet(entries)));
}

/**
 * Verifies compact RS256 JWS tokens: a function of keys and policy alone (as fast-jwt's `createVerifier` is). The
 * keys come from a {@link KeySource}, asked by `kid` (and `iss`) whatever kind it is, or are given in code. Written
 * on `crypto.verify` with keys parsed once, and strict where general-purpose JWT libraries are lenient: the algorithm
 * is RS256 and nothing else, `crit` is refused, header-supplied keys are refused, claim types are checked, and
 * oversized input is refused before any decoding.
 */
export class TokenVerifier {
  private readonly cache: VerifiedTokenCache;
  /** Header segments that passed `checkedHeader`, with their decoded header. */
  private readonly headers = new Map<string, JoseHeader>();
  /**
   * The header segment accepted last and its header, tried before the Map: tokens from one issuer repeat it, and
   * comparing two strings costs less than hashing one.
   */
  private lastHeader?: { segment: string; header: JoseHeader };
  /** The key source's version the cached entries were verified under. */
  private cachedWith?: number;
  private readonly keys: KeySource;
  private readonly policy: Policy;

  /**
   * @param keys a key source, or public keys given in code
   * @param policy what else is checked; the module passes its resolved configuration
   * @param metrics where the cache reports its size and hits
   */
  constructor(
    keys: KeySource | PlainKeys,
    policy: VerifierPolicy = {},
    private readonly metrics?: AuthMetrics,
  ) {
    this.keys = 'keyFor' in keys ? keys : storedKeys(keys);
    this.policy = {
      issuer: policy.issuer,
      audience: policy.audience,
      requiredClaims: policy.requiredClaims ?? [],
      clockTolerance: policy.clockTolerance ?? Number(SETTINGS.clockTolerance.default),
      tokenTypes: policy.tokenTypes,
      maxTokenLength: policy.maxTokenLength ?? Number(SETTINGS.maxTokenLength.default),
      verifyOffThread: policy.verifyOffThread ?? false,
    };
    this.cache = new VerifiedTokenCache(policy.cacheSize ?? Number(SETTINGS.cacheSize.default));
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
    const version = this.currentVersion();
    const cached = this.fromCache(token, nowSeconds);
    if (cached !== undefined) {
      return cached;
    }
    const signed = this.signedToken(token);
    if (!verifySignature('sha256', signed.input, signed.chosen.key.key, signed.signature)) {
      reject('RS256_TOKEN_SIGNATURE', 'invalid signature');
    }
    return this.accepted(token, signed, version, nowSeconds);
  }

  /**
   * What the guard calls: `verify`, except that with the `verifyOffThread` option a token not in the cache has its
   * signature checked on libuv's thread pool, and the claims (or the refusal) come in a promise. Cached tokens and
   * tokens refused before the signature check are answered synchronously, as `verify` answers them.
   * @param nowSeconds the clock, in seconds since the epoch (tests pass a fixed one)
   * @throws Rs256AuthError with a `RS256_TOKEN_*` code whose message is safe to show the client
   */
  verifyRequestToken(token: string, nowSeconds = Date.now() / 1000): JwtClaims | Promise<JwtClaims> {
    if (!this.policy.verifyOffThread) {
      return this.verify(token, nowSeconds);
    }
    const version = this.currentVersion();
    const cached = this.fromCache(token, nowSeconds);
    if (cached !== undefined) {
      return cached;
    }
    const signed = this.signedToken(token);
    return new Promise((resolve, fail) => {
      verifySignature('sha256', signed.input, signed.chosen.key.key, signed.signature, (error, valid) => {
        try {
          if (error) {
            throw error;
          }
          if (!valid) {
            reject('RS256_TOKEN_SIGNATURE', 'invalid signature');
          }
          resolve(this.accepted(token, signed, version, nowSeconds));
        } catch (refusal) {
          fail(refusal);
        }
      });
    });
  }

  /** The key source's version; the cache is emptied whenever it differs from the one its entries were verified under. */
  private currentVersion(): number {
    const version = this.keys.version;
    if (version !== this.cachedWith) {
      this.cache.clear();
      this.cachedWith = version;
    }
    return version;
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
    const { maxTokenLength } = this.policy;
    if (token.length > maxTokenLength) {
      reject('RS256_TOKEN_TOO_LARGE', `token exceeds ${maxTokenLength} bytes`);
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
    const parts = new TokenParts(header.kid, token.slice(firstDot + 1, secondDot));
    const chosen = this.keys.keyFor(parts);
    const { key } = chosen;

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
    return { chosen, input: Buffer.from(token.slice(0, secondDot), 'latin1'), signature: signatureBytes, parts };
  }

  /**
   * The claims of a token whose signature is good, once they pass the claim checks and the clock; remembered if
   * the keys are still the ones that verified them.
   */
  private accepted(token: string, signed: SignedToken, version: number, nowSeconds: number): JwtClaims {
    const { chosen } = signed;
    const claims = this.checkedClaims(frozenWithinDepth(signed.parts.payload(), 'payload'), chosen.policy ?? this.policy);
    this.checkTime(claims, nowSeconds);
    // Only a token that passed every check lets a new issuer in among the active ones (see IssuerRegistry.admit),
    // and only an active issuer's tokens are cached. Off the event loop, the keys may have been replaced while the
    // signature was checked: then the entry would outlive the key that vouched for it.
    if (this.keys.admit(chosen) && version === this.cachedWith) {
      this.cache.set(token, claims);
    }
    return claims;
  }

  /** The time-independent checks of the decoded payload: claim types, required claims, iss, aud. */
  private checkedClaims(claims: JwtClaims, policy: ClaimPolicy): JwtClaims {
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
    const { tokenTypes } = this.policy;
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
    const tolerance = this.policy.clockTolerance;
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

import { verify } from 'node:crypto';
import { Rs256AuthError, messageOf } from '../errors/rs256-auth.error.js';
import type { SigningCustody } from '../keys/signing-custody.js';

/**
 * The token: its signing input (`header.payload`) and the custody's signature of it, checked first with the key's
 * public half (a fraction of the signing cost), so a KMS that answers with another key version or algorithm never
 * issues a token that no verifier accepts.
 */
function token(custody: SigningCustody, input: Buffer, signingInput: string, signature: unknown): string {
  if (!Buffer.isBuffer(signature) || !verify('sha256', input, custody.publicKey, signature)) {
    throw new Rs256AuthError(
      'RS256_SIGNING_FAILED',
      `Signing in ${custody.where} returned a signature that does not verify with its public key; no token was issued.`,
    );
  }
  return `${signingInput}.${signature.toString('base64url')}`;
}

function failed(custody: SigningCustody, error: unknown): Rs256AuthError {
  return error instanceof Rs256AuthError
    ? error
    : new Rs256AuthError('RS256_SIGNING_FAILED', `Signing in ${custody.where} failed: ${messageOf(error)}`, { cause: error });
}

/** Signs a token's signing input in custody, synchronously; refused with `RS256_SIGNER_ASYNC` where only `signAsync` can. */
export function signInCustodySync(custody: SigningCustody, signingInputOf: () => string): string {
  if (!custody.signSync) {
    throw new Rs256AuthError(
      'RS256_SIGNER_ASYNC',
      `JwtService.sign cannot sign with ${custody.where}: the signer answers asynchronously, so a synchronous call cannot wait for it. Use JwtService.signAsync.`,
    );
  }
  const signingInput = signingInputOf();
  const input = Buffer.from(signingInput);
  let signature: Buffer;
  try {
    signature = custody.signSync(input);
  } catch (error) {
    throw failed(custody, error);
  }
  return token(custody, input, signingInput, signature);
}

/** Signs a token's signing input in custody. */
export async function signInCustody(custody: SigningCustody, signingInput: string): Promise<string> {
  const input = Buffer.from(signingInput);
  let signature: Buffer;
  try {
    signature = await custody.sign(input);
  } catch (error) {
    throw failed(custody, error);
  }
  return token(custody, input, signingInput, signature);
}

/**
 * The signing input of a token jsonwebtoken signed with the custody's stand-in key: its signature cut off, and its
 * header checked. Per-call options (`algorithm`, `keyid`, `header`) shape that header, and it leaves the process
 * under the custody's signature, so it must say what that signature is: RS256, under the signing key's `kid`.
 */
export function signingInputOf(token: string, kid: string): string {
  const signingInput = token.slice(0, token.lastIndexOf('.'));
  const header = JSON.parse(Buffer.from(signingInput.slice(0, signingInput.indexOf('.')), 'base64url').toString('utf8')) as Record<string, unknown>;
  if (header.alg !== 'RS256' || header.kid !== kid) {
    throw new Rs256AuthError(
      'RS256_SIGNING_FAILED',
      `JwtService.sign cannot sign a token whose header says alg ${JSON.stringify(header.alg)} and kid ${JSON.stringify(header.kid)} ` +
        `with the key in custody, which signs RS256 under kid "${kid}"; no token was issued. Remove the per-call ` +
        "'algorithm', 'keyid' or 'header' option, or pass only values that restate them.",
    );
  }
  return signingInput;
}

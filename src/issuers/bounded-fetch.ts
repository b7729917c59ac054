/** Fetching documents from an issuer without letting the issuer decide how much work that is. */
import { SETTINGS } from '../options/settings.js';

function tooLarge(maxBytes: number): Error {
  return new Error(`the response is larger than ${maxBytes} bytes (${SETTINGS.jwksMaxBytes.option}, ${SETTINGS.jwksMaxBytes.env})`);
}

/** Reads a response body, giving up (and cancelling the download) as soon as it passes `maxBytes`. */
async function readAtMost(response: Response, maxBytes: number): Promise<Buffer> {
  const announced = Number(response.headers.get('content-length'));
  if (announced > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      size += read.value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw tooLarge(maxBytes);
      }
      chunks.push(read.value);
    }
  }
  return Buffer.concat(chunks, size);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new Error('the response is not JSON');
  }
}

/**
 * GETs a JSON document within a time and size bound. Resolves to `undefined` when the server answers with a status
 * other than 200 (the document is not there); rejects when the server cannot be reached, is too slow, or sends
 * something too large or not JSON.
 */
export async function fetchJson(url: URL, timeoutMs: number, maxBytes: number): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual', headers: { accept: 'application/json' } });
  return readJsonBody(response, maxBytes);
}

/**
 * The JSON document of a 200 response, read within `maxBytes`; `undefined` for any other status, whose body is
 * cancelled unread so the connection is not left hanging.
 */
export async function readJsonBody(response: Response, maxBytes: number): Promise<unknown> {
  if (response.status !== 200) {
    await response.body?.cancel();
    return undefined;
  }
  return parseJson(await readAtMost(response, maxBytes));
}

/** A JWK Set's entries, at most `maxKeys` of them, and how many the document listed. */
export interface JwkSetDocument {
  readonly entries: readonly Record<string, unknown>[];
  readonly received: number;
}

/** A JSON object, as a JWK Set and each of its entries must be (RFC 7517 §4, §5); an array is not one. */
function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * GETs a JWK Set within a time and size bound and keeps its first `maxKeys` entries. Rejects, so the cached keys
 * stay in use, when the server cannot be reached, is too slow, answers with a status other than 200, or sends
 * something too large, not JSON, or not a JWK Set (an object whose `keys` is an array of objects); each entry's
 * own members are checked by whoever turns it into a key.
 */
export async function fetchJwkSet(url: URL, timeoutMs: number, maxBytes: number, maxKeys: number): Promise<JwkSetDocument> {
  const response = await fetch(url, {
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'manual',
    headers: { accept: 'application/json, application/jwk-set+json' },
  });
  const status = response.status;
  const document = await readJsonBody(response, maxBytes);
  if (document === undefined) {
    throw new Error(`the response status is ${status}, not 200`);
  }
  const keys = isJsonObject(document) ? document.keys : undefined;
  if (!Array.isArray(keys)) {
    throw new Error('the response is not a JWK Set (an object with a "keys" array)');
  }
  const entries = keys.slice(0, maxKeys);
  if (!entries.every(isJsonObject)) {
    throw new Error('the JWK Set has an entry that is not an object');
  }
  return { entries, received: keys.length };
}

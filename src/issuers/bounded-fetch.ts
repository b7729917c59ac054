/** Fetching documents from an issuer without letting the issuer decide how much work that is. */

function tooLarge(maxBytes: number): Error {
  return new Error(`the response is larger than ${maxBytes} bytes (jwksMaxBytes, JWT_JWKS_MAX_BYTES)`);
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

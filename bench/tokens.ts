import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { rsaThumbprint } from '../src/keys/key-loader.js';

export interface BenchKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privatePem: string;
  publicPem: string;
  privatePath: string;
  publicPath: string;
  kid: string;
}

/** A fresh RSA-2048 pair for this run, written to a temporary folder for the servers to load. */
export function createBenchKeys(): BenchKeys {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const dir = mkdtempSync(join(tmpdir(), 'rs256-auth-bench-'));
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const privatePath = join(dir, 'private.pem');
  const publicPath = join(dir, 'public.pem');
  writeFileSync(privatePath, privatePem, { mode: 0o600 });
  writeFileSync(publicPath, publicPem);
  return { privateKey, publicKey, privatePem, publicPem, privatePath, publicPath, kid: rsaThumbprint(publicKey) };
}

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Token number `index`: distinct claims, valid for an hour, accepted by every verifier in the bench. */
export function makeToken(privateKey: KeyObject, kid: string, index: number, now: number): string {
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64({ sub: `user-${index}`, iat: now, exp: now + 3600 })}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

/** Signs `count` distinct tokens, numbered from `offset`, on one worker thread per core (an RSA-2048 signature costs about a millisecond). */
export async function signTokens(keys: BenchKeys, count: number, offset = 0): Promise<string[]> {
  const workers = Math.max(1, availableParallelism());
  const now = Math.floor(Date.now() / 1000);
  const share = Math.ceil(count / workers);
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, worker) => {
      const start = offset + worker * share;
      const end = Math.min(offset + count, start + share);
      return new Promise<string[]>((done, fail) => {
        const thread = new Worker(new URL('./sign-worker.js', import.meta.url), {
          workerData: { privatePem: keys.privatePem, kid: keys.kid, start, end, now },
        });
        thread.once('message', done);
        thread.once('error', fail);
      });
    }),
  );
  return parts.flat();
}

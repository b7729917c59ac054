import { createPrivateKey } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { makeToken } from './tokens.js';

const { privatePem, kid, start, end, now } = workerData as { privatePem: string; kid: string; start: number; end: number; now: number };
const key = createPrivateKey(privatePem);
const tokens: string[] = [];
for (let index = start; index < end; index++) {
  tokens.push(makeToken(key, kid, index, now));
}
parentPort!.postMessage(tokens);

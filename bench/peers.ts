import { cpus, totalmem } from 'node:os';
import { JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import { benchModule, httpContext } from './apps.js';
import { measure, peerSignOps, peerVerifyOps, rawSignOp, rawVerifyOp, type Row } from './micro.js';
import { createBenchKeys, signTokens } from './tokens.js';

/**
 * The peer rows alone (`npm run bench:peers`, well under a minute): the other libraries and the usual recipe beside
 * the raw RSA operation they are compared with, measured exactly as `npm run bench` measures them (same keys and
 * tokens setup, same rounds), without the library's own rows, HTTP, memory or sessions.
 */
const keys = createBenchKeys();
const tokens = await signTokens(keys, 2_000);
const recipe = await (await Test.createTestingModule({ imports: [benchModule({ ...keys, variant: 'recipe' })] }).compile()).init();
const response = { header: () => undefined };
const contexts = tokens.map((token) => httpContext({ headers: { authorization: `Bearer ${token}` } }, response));

const print = (title: string, rows: Row[]): void => {
  const width = Math.max(...rows.map((row) => row.name.length), title.length);
  process.stdout.write(`${title.padEnd(width)}  ${'µs/op'.padStart(8)}  ${'x floor'.padStart(8)}\n`);
  for (const row of rows) {
    const ratio = `${(row.microseconds / rows[0].microseconds).toFixed(2)}x`;
    process.stdout.write(`${row.name.padEnd(width)}  ${row.microseconds.toFixed(1).padStart(8)}  ${ratio.padStart(8)}\n`);
  }
  process.stdout.write('\n');
};

process.stdout.write(
  `peers: ${cpus()[0]?.model.trim()}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, RSA-2048\n\n`,
);
print(
  'Verify (distinct tokens unless said; best of 15 rounds)',
  await measure({ 'raw crypto.verify, KeyObject (the floor)': rawVerifyOp(keys, tokens), ...(await peerVerifyOps(keys, tokens, contexts)) }, 400, 15),
);
print(
  'Sign (best of 12 rounds)',
  await measure({ 'raw crypto.sign, KeyObject (the floor)': rawSignOp(keys), ...(await peerSignOps(keys, recipe.get(JwtService))) }, 40, 12),
);
await recipe.close();

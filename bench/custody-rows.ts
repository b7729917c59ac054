import { cpus, totalmem } from 'node:os';
import { custodyRows } from './custody.js';
import { createBenchKeys } from './tokens.js';

/**
 * The key custody rows alone (`npm run bench:custody`, under a minute): signing through SoftHSM beside raw
 * `crypto.sign`, measured as `npm run bench` measures them.
 */
const rows = await custodyRows(createBenchKeys());
process.stdout.write(
  `custody: ${cpus()[0]?.model.trim()}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, RSA-2048\n\n`,
);
if (!rows) {
  process.stdout.write('softhsm2 is not installed (apt-get install softhsm2): no custody rows.\n');
} else {
  const width = Math.max(...rows.map((row) => row.name.length));
  process.stdout.write(`${'Sign in an HSM (best of 12 rounds)'.padEnd(width)}  ${'µs/op'.padStart(8)}  ${'x floor'.padStart(8)}\n`);
  for (const row of rows) {
    const ratio = `${(row.microseconds / rows[0].microseconds).toFixed(2)}x`;
    process.stdout.write(`${row.name.padEnd(width)}  ${row.microseconds.toFixed(1).padStart(8)}  ${ratio.padStart(8)}\n`);
  }
}

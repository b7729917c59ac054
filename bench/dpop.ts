import { cpus, totalmem } from 'node:os';
import { DPOP_ALGS, dpopGoal, dpopRows } from './dpop-rows.js';
import { createBenchKeys } from './tokens.js';

/** The DPoP rows alone (`npm run bench:dpop`), measured as `npm run bench` measures them. */
const rows = await dpopRows(createBenchKeys());
const floor = rows[0].microseconds;
process.stdout.write(
  `dpop: ${cpus()[0]?.model.trim()}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n\n`,
);
const width = Math.max(...rows.map((row) => row.name.length));
process.stdout.write(`${'DPoP request (best of 40 rounds of 50 calls)'.padEnd(width)}  ${'µs/op'.padStart(8)}  ${'x RSA verify'.padStart(12)}\n`);
for (const row of rows) {
  process.stdout.write(
    `${row.name.padEnd(width)}  ${row.microseconds.toFixed(1).padStart(8)}  ${`${(row.microseconds / floor).toFixed(2)}x`.padStart(12)}\n`,
  );
}
process.stdout.write('\nGoal: a DPoP request costs at most its two signature checks (token + proof) plus 10 %\n');
for (const alg of DPOP_ALGS) {
  const { measured, budget } = dpopGoal(rows, alg);
  process.stdout.write(
    `${alg} proof: ${measured.toFixed(2)}x one RSA verify, budget ${budget.toFixed(2)}x: ${measured <= budget ? 'met' : 'MISSED'}\n`,
  );
}

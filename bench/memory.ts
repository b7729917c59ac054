import { resolveRs256Auth } from '../src/options/resolve.js';
import { KeyStore } from '../src/keys/key-store.js';
import { StoredKeySource } from '../src/keys/stored-key-source.js';
import { TokenVerifier } from '../src/token/token-verifier.js';
import { signTokens, type BenchKeys } from './tokens.js';

export interface MemoryResult {
  tokens: number;
  cacheSize: number;
  cachedAfter: number;
  heapGrowthMiB: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function heapUsed(): number {
  gc!();
  return process.memoryUsage().heapUsed;
}

/**
 * Runs `total` distinct valid tokens through a verifier with the default cache and reports how much heap it keeps.
 * Tokens arrive in batches that are dropped once verified, so what remains is what the verifier holds on to.
 */
export async function memoryRun(keys: BenchKeys, total: number, batch: number): Promise<MemoryResult> {
  if (!gc) throw new Error('run the bench with node --expose-gc');
  const { config, keys: loaded } = await resolveRs256Auth({ keys: { publicKeyPath: keys.publicPath } });
  const verifier = new TokenVerifier(new StoredKeySource(new KeyStore(loaded.own)), config);
  const before = heapUsed();
  let pending = signTokens(keys, batch, 0);
  for (let done = 0; done < total; done += batch) {
    const tokens = await pending;
    // Sign the next batch on the worker threads while this one is verified.
    const next = done + batch;
    pending = next < total ? signTokens(keys, Math.min(batch, total - next), next) : Promise.resolve([]);
    for (const token of tokens) verifier.verify(token);
  }
  await pending;
  return {
    tokens: total,
    cacheSize: config.cacheSize,
    cachedAfter: verifier.cachedTokens,
    heapGrowthMiB: (heapUsed() - before) / 2 ** 20,
  };
}

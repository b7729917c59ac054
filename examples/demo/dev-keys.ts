import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Run by `npm start` before the demo: creates development keys with the package's own CLI when the demo's key
 * files are missing. The library itself never generates keys.
 */
if (!existsSync('keys/private.pem') || !existsSync('keys/public.pem')) {
  // The package's own `nestjs-rs256-auth` command, found through its package.json as an installed app would find it.
  const manifest = fileURLToPath(import.meta.resolve('nestjs-rs256-auth/package.json'));
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> };
  const cli = join(dirname(manifest), bin['nestjs-rs256-auth']);
  // The CLI refuses to overwrite a lone existing key file, so a half-present pair stops here instead of being replaced.
  execFileSync(process.execPath, [cli, 'keygen', '--out', 'keys'], { stdio: ['ignore', 'ignore', 'inherit'] });
  console.log('Created development keys in keys/ (private.pem, public.pem): for this demo only, never for production.');
}

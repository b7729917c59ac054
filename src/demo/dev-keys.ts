import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Run by `npm start` before the demo: creates development keys with the package's own CLI when the demo's key
 * files are missing. The library itself never generates keys.
 */
if (!existsSync('keys/private.pem') || !existsSync('keys/public.pem')) {
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  // The CLI refuses to overwrite a lone existing key file, so a half-present pair stops here instead of being replaced.
  execFileSync(process.execPath, [cli, 'keygen', '--out', 'keys'], { stdio: ['ignore', 'ignore', 'inherit'] });
  console.log('Created development keys in keys/ (private.pem, public.pem): for this demo only, never for production.');
}

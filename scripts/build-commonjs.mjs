// Builds the CommonJS copy of the library into dist/cjs, beside the ES module build in dist/ (`tsc -p
// tsconfig.build.json`). package.json's `exports` sends `require` there, so a CommonJS app and its Jest tests, whose
// runtime cannot load ES modules, get CommonJS all the way down.
//
// tsc picks a file's module format from the package.json nearest to the source file, and this repository's says
// "type": "module". So the sources are copied to a folder whose package.json says "commonjs" and compiled there
// with `module: nodenext`, which emits require() for them.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stage = join(root, 'build/commonjs');
const out = join(root, 'dist/cjs');
// The CLI is an ES module only: it is run, never imported by an application.
const notInLibrary = ['cli'];

rmSync(stage, { recursive: true, force: true });
rmSync(out, { recursive: true, force: true });
cpSync(join(root, 'src'), join(stage, 'src'), {
  recursive: true,
  filter: (path) => {
    const inSrc = relative(join(root, 'src'), path);
    return !inSrc.endsWith('.spec.ts') && !notInLibrary.includes(inSrc.split(sep)[0]);
  },
});
writeFileSync(join(stage, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
writeFileSync(
  join(stage, 'tsconfig.json'),
  JSON.stringify({
    extends: '../../tsconfig.build.json',
    compilerOptions: { rootDir: 'src', outDir: '../../dist/cjs', module: 'nodenext', moduleResolution: 'nodenext' },
    include: ['src'],
  }),
);
try {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', stage], { stdio: 'inherit' });
} finally {
  rmSync(stage, { recursive: true, force: true });
}
// Node and TypeScript read dist/cjs/*.js and *.d.ts as CommonJS because of this file, whatever the root says.
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);

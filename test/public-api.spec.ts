import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './support/paths.js';

/**
 * The API report: what each entry point of the package offers, compared with the committed test/public-api.txt.
 * Runtime names are read from the built files (dist/, made by `npm test`'s pretest step) by a plain Node process,
 * as an application loads them; every name, types included, from their declaration files by the TypeScript
 * compiler. A name added to or removed from an entry point fails here until the list says so.
 */

interface Conditions {
  readonly types: string;
  readonly default: string;
}
type Entries = Record<string, { readonly import: Conditions; readonly require: Conditions }>;

/** The entry points of package.json's `exports`, `./package.json` left out. */
function entryPoints(): Entries {
  const { exports } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  return Object.fromEntries(Object.entries(exports).filter(([, target]) => typeof target === 'object')) as Entries;
}

/** The committed report: per entry point, its runtime names and its type-only names. */
function committedReport(): Map<string, { runtime: string[]; types: string[] }> {
  const report = new Map<string, { runtime: string[]; types: string[] }>();
  let current: { runtime: string[]; types: string[] } | undefined;
  for (const line of readFileSync(join(ROOT, 'test/public-api.txt'), 'utf8').split('\n')) {
    const text = line.trim();
    if (text === '' || text.startsWith('#')) continue;
    const section = /^\[(.+)\]$/.exec(text);
    if (section) {
      current = { runtime: [], types: [] };
      report.set(section[1], current);
    } else if (!current) {
      throw new Error(`test/public-api.txt: "${text}" comes before any [entry] heading.`);
    } else if (text.startsWith('type ')) {
      current.types.push(text.slice('type '.length));
    } else {
      current.runtime.push(text);
    }
  }
  return report;
}

const byName = (names: Iterable<string>): string[] => [...names].sort((a, b) => a.localeCompare(b));

/** The runtime export names of each file, as a separate Node process loads it (`import()` or `require()`). */
function runtimeNames(files: string[], loader: 'import' | 'require'): string[][] {
  const script =
    loader === 'import'
      ? "import { pathToFileURL } from 'node:url'; const names = [];" +
        ' for (const file of process.argv.slice(1)) names.push(Object.keys(await import(pathToFileURL(file).href)));' +
        ' process.stdout.write(JSON.stringify(names));'
      : 'process.stdout.write(JSON.stringify(process.argv.slice(1).map((file) => Object.keys(require(file)))));';
  const args = loader === 'import' ? ['--input-type=module', '-e', script] : ['-e', script];
  const output = execFileSync(process.execPath, [...args, ...files.map((file) => join(ROOT, file))], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return (JSON.parse(output) as string[][]).map(byName);
}

const entries = entryPoints();
const report = committedReport();

describe('public API', () => {
  it('lists every entry point of package.json', () => {
    expect(byName(report.keys())).toEqual(byName(Object.keys(entries)));
  });

  describe.each(['import', 'require'] as const)('the built %s entry points', (condition) => {
    it('export exactly the committed runtime names', () => {
      const names = Object.keys(entries);
      const actual = runtimeNames(
        names.map((name) => entries[name][condition].default),
        condition,
      );
      expect(Object.fromEntries(names.map((name, index) => [name, actual[index]]))).toEqual(
        Object.fromEntries(names.map((name) => [name, byName(report.get(name)?.runtime ?? [])])),
      );
    });

    it('declare exactly the committed names, types included', () => {
      const names = Object.keys(entries);
      const files = names.map((name) => join(ROOT, entries[name][condition].types));
      const program = ts.createProgram(files, {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        noEmit: true,
        skipLibCheck: true,
      });
      const checker = program.getTypeChecker();
      const declared = names.map((name, index) => {
        const file = program.getSourceFile(files[index]);
        const module = file && checker.getSymbolAtLocation(file);
        if (!module) throw new Error(`${files[index]} is missing or not a module.`);
        return [name, byName(checker.getExportsOfModule(module).map((symbol) => symbol.name))];
      });
      expect(Object.fromEntries(declared)).toEqual(
        Object.fromEntries(names.map((name) => [name, byName([...(report.get(name)?.runtime ?? []), ...(report.get(name)?.types ?? [])])])),
      );
    });
  });
});

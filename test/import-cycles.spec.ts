import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ROOT } from './support/paths.js';

/**
 * STYLE: no circles between folders of src/, not even type-only ones; a type two folders share lives below both.
 * Read as text (no compiler, a few milliseconds): every relative `import`, `import type`, `export … from`,
 * `import()` and `typeof import()` of the library's files, specs beside the code left out.
 */
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

type Graph = Map<string, Map<string, string[]>>;

/** The files below `root` and, for each, the files it imports, as paths relative to `root`. */
function fileImports(root: string): Map<string, Set<string>> {
  const imports = new Map<string, Set<string>>();
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
        const targets = new Set<string>();
        for (const [, specifier] of readFileSync(path, 'utf8').matchAll(RELATIVE_IMPORT)) {
          targets.add(relative(root, resolve(dirname(path), specifier.replace(/\.js$/, '.ts'))));
        }
        imports.set(relative(root, path), targets);
      }
    }
  };
  walk(root);
  return imports;
}

/** The import graph between `nodeOf` each file; each edge keeps the imports that make it, `a.ts -> b.ts`. */
function graphOf(imports: Map<string, Set<string>>, nodeOf: (file: string) => string): Graph {
  const graph: Graph = new Map();
  for (const [file, targets] of imports) {
    const from = nodeOf(file);
    if (!graph.has(from)) graph.set(from, new Map());
    for (const target of targets) {
      const to = nodeOf(target);
      if (to !== from) {
        const edges = graph.get(from)!;
        edges.set(to, [...(edges.get(to) ?? []), `${file} -> ${target}`]);
      }
    }
  }
  return graph;
}

/** A folder of src/ is one node; a file directly in src/ is a node of its own. */
const folderOf = (file: string): string => (file.includes(sep) ? file.slice(0, file.indexOf(sep)) : file);

/** Each circle (strongly connected component, Tarjan) as the imports that close it. */
function circles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (stack.includes(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const members = stack.splice(stack.indexOf(node));
      if (members.length > 1) {
        found.push(members.flatMap((from) => members.flatMap((to) => graph.get(from)?.get(to) ?? [])).sort());
      }
    }
  };
  for (const node of graph.keys()) {
    if (!index.has(node)) visit(node);
  }
  return found;
}

describe('import cycles', () => {
  const src = join(ROOT, 'src');

  it('src/ has no circle between folders', () => {
    expect(circles(graphOf(fileImports(src), folderOf))).toEqual([]);
  });

  it('src/ has no circle between files', () => {
    expect(circles(graphOf(fileImports(src), (file) => file))).toEqual([]);
  });

  describe('the check itself', () => {
    let root: string;
    beforeAll(() => {
      root = mkdtempSync(join(tmpdir(), 'import-cycles-'));
      const write = (path: string, text: string): void => {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
      };
      // token -> config through a type only, config -> token through a value: a folder circle, no file circle.
      write('token/verifier.ts', "import type { Config } from '../config/config.js';\nexport const verify = (config: Config) => config;\n");
      write('token/extract.ts', 'export const extract = () => null;\n');
      write('config/config.ts', "import { extract } from '../token/extract.js';\nexport interface Config { extract: typeof extract }\n");
      // a file circle inside one folder, one side a re-export and the other a dynamic import
      write('keys/set.ts', "export { load } from './loader.js';\n");
      write('keys/loader.ts', "export const load = () => import('./set.js');\n");
      write('index.ts', "export { verify } from './token/verifier.js';\n");
      // a spec beside the code is not part of the library: counted, it would close token -> index.ts -> token
      write('token/extract.spec.ts', "import '../index.js';\n");
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it('finds a folder circle closed by `import type`, names the imports, and leaves specs out', () => {
      expect(circles(graphOf(fileImports(root), folderOf))).toEqual([
        [`config${sep}config.ts -> token${sep}extract.ts`, `token${sep}verifier.ts -> config${sep}config.ts`],
      ]);
    });

    it('finds a file circle through `export … from` and `import()`', () => {
      expect(circles(graphOf(fileImports(root), (file) => file))).toEqual([
        [`keys${sep}loader.ts -> keys${sep}set.ts`, `keys${sep}set.ts -> keys${sep}loader.ts`],
      ]);
    });
  });
});

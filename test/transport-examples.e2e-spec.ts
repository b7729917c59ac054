import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { ROOT } from './support/paths.js';
import { freePort } from './support/processes.js';

const EXAMPLES = ['graphql', 'websockets', 'microservices'] as const;

/** What each example prints when it calls itself (`DEMO=1`), in order. */
const EXPECTED: Record<(typeof EXAMPLES)[number], RegExp[]> = {
  graphql: [
    /^\{"data":\{"me":"ada"\}\}$/,
    /"message":"missing bearer token".*"code":"UNAUTHENTICATED"/,
    /^\{"data":\{"greeting":"hello stranger"\}\}$/,
    /"message":"missing scope orders:read".*"code":"FORBIDDEN"/,
  ],
  websockets: [
    /^\{"event":"whoami","data":"ada"\}$/,
    /^\{"event":"hello","data":"hello ada"\}$/,
    /^\{"event":"exception","data":\{"status":"error","code":"FORBIDDEN","message":"missing scope chat:write"\}\}$/,
    /^\{"connect_error":"malformed token: expected three dot-separated segments"\}$/,
  ],
  microservices: [
    /^\{"reply":\["order of ada"\]\}$/,
    /^\{"error":\{"status":"error","code":"FORBIDDEN","message":"missing scope orders:read"\}\}$/,
    /^\{"error":\{"status":"error","code":"UNAUTHENTICATED","message":"missing bearer token"\}\}$/,
    /^\{"reply":"hello stranger"\}$/,
  ],
};

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
  // As the examples' READMEs say: compiled with their own tsconfig, importing the built package by its name.
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', ...EXAMPLES.map((name) => join(ROOT, 'examples', name))], {
    cwd: ROOT,
    stdio: 'pipe',
  });
}, 60_000);
afterAll(() => keys.cleanup());

describe.each(EXAMPLES)('examples/%s', (name) => {
  it('runs, and answers a good token, no token and an insufficient one as documented', async () => {
    const output = execFileSync(process.execPath, [join(ROOT, 'examples', name, 'dist/main.js')], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '', JWT_PRIVATE_KEY_PATH: keys.privatePath, PORT: String(await freePort()), DEMO: '1' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    const lines = output.trim().split('\n').slice(1);
    expect(lines).toHaveLength(EXPECTED[name].length);
    EXPECTED[name].forEach((pattern, index) => expect(lines[index]).toMatch(pattern));
  });
});

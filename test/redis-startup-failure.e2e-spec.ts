import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { ROOT } from './support/paths.js';
import { STARTUP_MS, stopChild, track } from './support/processes.js';
import { suite } from './support/session-instances.js';
import { startRedis } from './support/redis.js';

/**
 * An application on the Redis session store whose start-up fails in another module (here a provider's
 * `onModuleInit` throwing, as a start-up check does) gets no hook from Nest and is never closed: the store's
 * connections must not keep its process alive. A real process (the ES module build) against a real redis-server.
 */
let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

/** The application: Rs256AuthModule with the Redis store, and a provider whose start-up fails; the error is caught. */
const APPLICATION = `
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
const { Rs256AuthModule } = await import(process.env.LIBRARY);
class FailingCheck { onModuleInit() { throw new Error('start-up check failed'); } }
class App {}
Module({
  imports: [Rs256AuthModule.forRoot({ keys: { privateKeyPath: process.env.KEY }, sessions: { store: 'redis', redis: { url: process.env.REDIS } } })],
  providers: [FailingCheck],
})(App);
const app = await NestFactory.create(App, { logger: false });
try {
  await app.init();
} catch (error) {
  console.log('start-up failed: ' + error.message);
}
`;

describe('a failed start-up', () => {
  const { started } = suite(
    () => ({}),
    async (keep) => keep(await startRedis()),
  );

  it(
    'leaves no connection of the store holding the process: it exits by itself',
    async () => {
      const redis = started();
      const child = track(
        spawn(process.execPath, ['--input-type=module', '-e', APPLICATION], {
          cwd: ROOT,
          env: {
            ...process.env,
            NODE_OPTIONS: '',
            LIBRARY: pathToFileURL(join(ROOT, 'dist/index.js')).href,
            KEY: keys.privatePath,
            REDIS: redis.url,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      try {
        // Generous: starting a Node process takes seconds on a busy machine; without the fix it never exits.
        const exited = await new Promise<number | null>((done) => {
          const timer = setTimeout(() => done(null), STARTUP_MS / 3);
          child.once('exit', (code) => {
            clearTimeout(timer);
            done(code);
          });
        });
        expect({ exited, output }).toEqual({ exited: 0, output: 'start-up failed: start-up check failed\n' });
      } finally {
        await stopChild(child);
      }
    },
    STARTUP_MS,
  );
});

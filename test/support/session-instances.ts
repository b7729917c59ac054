import type { INestApplication } from '@nestjs/common';
import type { Rs256AuthModuleOptions } from '../../src/index.js';
import { createApp } from '../fixtures/app.js';
import { SessionsController } from '../fixtures/sessions.controller.js';
import { listen, request, type HttpResult } from './http.js';
import { LogCapture } from './log-capture.js';
import { SETUP_TIMEOUT } from './processes.js';

/** Instances of one service sharing a session store: Nest apps with the session routes, each on its own port. */
export interface Instance {
  app: INestApplication;
  url: string;
  logs: LogCapture;
}

export interface SessionPair {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

/** Keeps every instance it starts, to close them all at the end (also when a test failed half-way). */
export class Instances {
  private readonly started: Instance[] = [];

  constructor(private readonly baseEnv: () => Record<string, string>) {}

  async start(env: Record<string, string>, options?: Rs256AuthModuleOptions): Promise<Instance> {
    const logs = new LogCapture();
    const { app } = await createApp({
      env: { ...this.baseEnv(), JWT_SESSIONS_ENABLED: 'true', JWT_SESSION_STORE: 'redis', ...env },
      options,
      controllers: [SessionsController],
      logger: logs,
    });
    const instance = { app, url: await listen(app), logs };
    this.started.push(instance);
    return instance;
  }

  async stop(instance: Instance): Promise<void> {
    this.started.splice(this.started.indexOf(instance), 1);
    await instance.app.close();
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.splice(0).map(({ app }) => app.close()));
  }
}

export async function login(instance: Instance, sub: string): Promise<SessionPair> {
  const response = await request(instance.url, '/session/login', { method: 'POST', body: { sub } });
  if (response.status !== 200) throw new Error(`sign-in answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body;
}

export const signIn = (instance: Instance, sub: string): Promise<HttpResult> =>
  request(instance.url, '/session/login', { method: 'POST', body: { sub } });
export const refresh = (instance: Instance, token: string): Promise<HttpResult> =>
  request(instance.url, '/session/refresh', { method: 'POST', body: { refresh_token: token } });
export const status = async (instance: Instance, token: string): Promise<number> => (await request(instance.url, '/profile', { token })).status;
export const post = (instance: Instance, path: string, token: string): Promise<HttpResult> => request(instance.url, path, { method: 'POST', token });

type Stoppable = { stop(): Promise<unknown> } | { close(): Promise<unknown> };

/**
 * For one describe block: instances with `baseEnv`, and the servers `start` makes (each passed to `keep`), started
 * before its tests; after them, every instance is closed, then every kept server stopped, newest first, also when the
 * start failed half-way.
 */
export function suite<T>(
  baseEnv: () => Record<string, string>,
  start: (keep: <S extends Stoppable>(server: S) => S) => Promise<T>,
): { instances: Instances; started: () => T } {
  const instances = new Instances(baseEnv);
  const kept: Stoppable[] = [];
  let started: T | undefined;
  beforeAll(async () => {
    started = await start((server) => (kept.push(server), server));
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    await instances.stopAll();
    for (const server of kept.reverse()) await ('stop' in server ? server.stop() : server.close());
  });
  return { instances, started: () => started! };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, NEVER_READY_SCRIPT, neverReady, STARTUP_MS, stopChild, track, whenReady } from './processes.js';

/** A real redis-server for one test file, on a free loopback port, keeping nothing on disk. */
export interface RedisServer {
  url: string;
  port: number;
  /** Everything the current process has printed. */
  output(): string;
  /** Stops the server (SIGTERM; with no persistence its data is gone). */
  stop(): Promise<void>;
  /** Kills it (SIGKILL): no shutdown, no save. */
  kill(): Promise<void>;
  /** Starts it again on the same port: empty, or from its `dir`'s snapshot when it has one. */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open, nothing answers. */
  pause(): void;
  resume(): void;
}

export interface RedisOptions {
  /** More arguments for redis-server (`--maxmemory-policy allkeys-lru`, `--replicaof 127.0.0.1 6379`, …). */
  args?: string[];
  /** A folder for its snapshot (`SAVE` writes `dump.rdb` there, and a restart loads it); none by default. */
  dir?: string;
  /** Text that says it is ready; `Ready to accept connections` by default. */
  readyText?: string;
}

/** Runs redis-server with `args` until `readyText` appears; registered, and stopped if it never gets there. */
async function spawnRedis(args: string[], readyText: string, name: string): Promise<{ child: ChildProcess; output: () => string }> {
  // Never ready on purpose (test/suite-cleanup.e2e-spec.ts): a process that says nothing.
  const child = neverReady('redis')
    ? spawn(process.execPath, [NEVER_READY_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const ready = new Promise<void>((done, fail) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      if (output.includes(readyText)) done();
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    child.once('exit', (code) => fail(new Error(`${name} exited with ${code}:\n${output}`)));
    // Not installed, say: a refusal of this start, not an unhandled 'error' event that ends the test run.
    child.once('error', fail);
  });
  track(child);
  await whenReady(child, ready, name, () => output);
  child.removeAllListeners('error');
  return { child, output: () => output };
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = (): string => '';
  // A folder of its own even without persistence: a replica's full sync writes a snapshot there, which a server
  // started later in the same folder would load.
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'rs256-auth-redis-'));
  const start = async (): Promise<void> => {
    mkdirSync(dir, { recursive: true });
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--dbfilename',
      'dump.rdb',
      ...(options.args ?? []),
    ];
    const started = await spawnRedis(args, options.readyText ?? 'Ready to accept connections', 'redis-server');
    child = started.child;
    output = started.output;
  };
  const stop = async (): Promise<void> => {
    if (child) await stopChild(child);
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
  };
  await start().catch((error: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    output: () => output(),
    stop,
    kill: async () => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((done) => child!.once('exit', done));
      child.kill('SIGKILL');
      await exited;
    },
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
  };
}

/** A primary, one replica in sync with it, and a sentinel watching them as `master`, failing over a second after a loss. */
export interface RedisSentinelSet {
  master: string;
  primary: RedisServer;
  replica: RedisServer;
  sentinelPort: number;
  /** The sentinel's output so far. */
  sentinelOutput(): string;
  stop(): Promise<void>;
}

export async function startRedisSentinel(): Promise<RedisSentinelSet> {
  const master = 'rs256-auth-master';
  const dir = mkdtempSync(join(tmpdir(), 'rs256-auth-sentinel-'));
  const started: RedisServer[] = [];
  let sentinel: ChildProcess | undefined;
  try {
    const primary = await startRedis();
    started.push(primary);
    const replica = await startRedis({
      args: ['--replicaof', '127.0.0.1', String(primary.port)],
      readyText: 'MASTER <-> REPLICA sync: Finished with success',
    });
    started.push(replica);
    const sentinelPort = await freePort();
    // Sentinel rewrites its configuration file: one of its own, in a folder of its own.
    const config = join(dir, 'sentinel.conf');
    writeFileSync(
      config,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${master} 127.0.0.1 ${primary.port} 1`,
        `sentinel down-after-milliseconds ${master} 1000`,
        `sentinel failover-timeout ${master} 5000`,
        '',
      ].join('\n'),
    );
    // Ready once it has found the replica, which it can then promote.
    const run = await spawnRedis([config, '--sentinel'], '+slave slave', 'redis-server --sentinel');
    sentinel = run.child;
    return {
      master,
      primary,
      replica,
      sentinelPort,
      sentinelOutput: run.output,
      stop: async () => {
        await Promise.all([...started.map((server) => server.stop()), sentinel && stopChild(sentinel)]);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(started.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Three masters on loopback, joined by `redis-cli --cluster create` (no replicas). */
export interface RedisClusterSet {
  nodes: RedisServer[];
  stop(): Promise<void>;
}

export async function startRedisCluster(): Promise<RedisClusterSet> {
  const dir = mkdtempSync(join(tmpdir(), 'rs256-auth-cluster-'));
  const nodes: RedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      nodes.push(
        await startRedis({
          args: ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${i}.conf`), '--cluster-node-timeout', '2000'],
        }),
      );
    }
    const create = track(
      spawn('redis-cli', ['--cluster', 'create', ...nodes.map(({ port }) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let output = '';
    create.stdout!.on('data', (chunk: Buffer) => (output += chunk));
    create.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    const created = new Promise<void>((done, fail) => {
      create.once('error', fail);
      create.once('exit', (code) =>
        code === 0 && output.includes('All 16384 slots covered')
          ? done()
          : fail(new Error(`redis-cli --cluster create exited with ${code}:\n${output}`)),
      );
    });
    await whenReady(create, created, 'redis-cli --cluster create', () => output);
    // Joined, the nodes still agree on the slots' owners one after the other: ready once every one says ok.
    for (const node of nodes) {
      const client = new Redis({ port: node.port, host: '127.0.0.1' });
      try {
        const started = Date.now();
        while (!(await client.cluster('INFO')).includes('cluster_state:ok')) {
          if (Date.now() - started > STARTUP_MS) throw new Error(`cluster node ${node.port} not ok after ${STARTUP_MS} ms`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } finally {
        client.disconnect();
      }
    }
    return { nodes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Writes `count` session revocations (`sid:<prefix><i>`, for an hour) straight into the store's list, server-side
 * and in chunks, as a long-running service would have accumulated them.
 */
export async function fillRevocations(url: string, count: number, prefix: string): Promise<void> {
  const client = new Redis(url);
  try {
    const until = Date.now() + 3_600_000;
    for (let start = 0; start < count; start += 100_000) {
      await client.eval(
        `for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do redis.call('HSET', KEYS[1], ARGV[3] .. i, ARGV[4]) end`,
        1,
        'rs256-auth:revocations',
        start,
        Math.min(count, start + 100_000) - 1,
        `sid:${prefix}`,
        `${until}|-1`,
      );
    }
  } finally {
    client.disconnect();
  }
}

/** Connections the server at `url` has open, the one asking included: what a test counts to find a leaked client. */
export async function clientCount(url: string): Promise<number> {
  const client = new Redis(url);
  try {
    return String(await client.client('LIST'))
      .trim()
      .split('\n').length;
  } finally {
    client.disconnect();
  }
}

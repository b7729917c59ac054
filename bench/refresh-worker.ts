import { parentPort, workerData } from 'node:worker_threads';
import { SessionService } from '../src/index.js';
import { BENCH_CLAIMS, rawSignsFor, refreshFor, sessionInstance } from './refresh-instance.js';

/**
 * One instance of the three-instance refresh run, on a thread of its own (an event loop and a heap of its own, as
 * a process would have). Signs in its clients, says so, then on 'sign' and on 'refresh' runs that load for `ms`
 * and answers with the count.
 */
const { privatePath, privatePem, redisUrl, clients, ms } = workerData as {
  privatePath: string;
  privatePem: string;
  redisUrl: string;
  clients: number;
  ms: number;
};
const app = await sessionInstance(privatePath, redisUrl);
const service = app.get(SessionService);
const sessions = await Promise.all(Array.from({ length: clients }, (_, i) => service.issue(`worker-user-${i}`, BENCH_CLAIMS)));
parentPort!.on('message', async (phase: 'sign' | 'refresh' | 'close') => {
  if (phase === 'sign') parentPort!.postMessage(rawSignsFor(privatePem, ms));
  if (phase === 'refresh') parentPort!.postMessage(await refreshFor(service, sessions, ms));
  if (phase === 'close') {
    await app.close();
    parentPort!.close();
  }
});
parentPort!.postMessage('ready');

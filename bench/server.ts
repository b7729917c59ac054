import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import { benchModule, type Variant } from './apps.js';

/**
 * One bench server in its own process, so the load generator never shares its event loop:
 * `node server.js <express|fastify> <library|recipe> <private.pem> <public.pem>`. Prints `PORT=<n>` when ready.
 */
const [platform, variant, privatePath, publicPath] = process.argv.slice(2) as ['express' | 'fastify', Variant, string, string];
const module = benchModule({
  variant,
  privatePath,
  publicPath,
  privatePem: readFileSync(privatePath, 'utf8'),
  publicPem: readFileSync(publicPath, 'utf8'),
});
const app =
  platform === 'fastify'
    ? await NestFactory.create(module, new FastifyAdapter(), { logger: false })
    : await NestFactory.create(module, { logger: false });
await app.listen(0, '127.0.0.1');
const address = app.getHttpServer().address() as { port: number };
process.stdout.write(`PORT=${address.port}\n`);

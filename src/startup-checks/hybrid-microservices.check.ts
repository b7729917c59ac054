import { NestApplication, type ModulesContainer } from '@nestjs/core';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import { IS_PUBLIC_KEY } from '../rs256-auth.constants.js';
import { isAppGuard, methodsOf, namedMethods, registeredClasses, usesJwtAuthGuard, type ClassMethod } from './app-graph.js';

// @nestjs/microservices' metadata key of @MessagePattern and @EventPattern (constants), spelt out here: it is an
// optional peer, loaded only by an application that connects a microservice.
const PATTERN_METADATA = 'microservices:pattern';

/** The checks of each application's container, found from the application that connects a microservice. */
const checks = new WeakMap<ModulesContainer, (inheritAppConfig: boolean) => void>();
const WATCHING = Symbol.for('nestjs-rs256-auth.connectMicroservice');

/** Message handlers that only an `APP_GUARD` would guard: no `@UseGuards(JwtAuthGuard)` on them or their class, not `@Public()`. */
function handlersLeftToAppGuard(modules: ModulesContainer): ClassMethod[] {
  return registeredClasses(modules, 'controllers')
    .filter((controller) => !usesJwtAuthGuard(controller))
    .flatMap(methodsOf)
    .filter(
      ({ owner, handler }) =>
        Reflect.getMetadata(PATTERN_METADATA, handler) !== undefined &&
        !usesJwtAuthGuard(handler) &&
        Reflect.getMetadata(IS_PUBLIC_KEY, handler) !== true &&
        Reflect.getMetadata(IS_PUBLIC_KEY, owner) !== true,
    );
}

/**
 * Refuses `app.connectMicroservice(options)` without `{ inheritAppConfig: true }` while `JwtAuthGuard` is an
 * `APP_GUARD` and some message handler relies on it: Nest gives a connected microservice an empty application
 * config of its own, so that guard would never run for those handlers and every message would reach them.
 */
function checkConnection(modules: ModulesContainer, inheritAppConfig: boolean): void {
  if (inheritAppConfig || !isAppGuard(modules)) return;
  const handlers = handlersLeftToAppGuard(modules);
  if (handlers.length === 0) return;
  throw new Rs256AuthError(
    'RS256_CONFIG_INVALID',
    `app.connectMicroservice() without { inheritAppConfig: true }, while JwtAuthGuard is an APP_GUARD: Nest does not ` +
      `apply global guards to a connected microservice, so ${namedMethods(handlers)} would take messages without a ` +
      'token. Connect it with app.connectMicroservice(options, { inheritAppConfig: true }), or put ' +
      '@UseGuards(JwtAuthGuard) on those handlers (or @Public() where no token is wanted).',
  );
}

/**
 * Watches `connectMicroservice` of Nest's applications, once per process: it is the one moment that knows whether a
 * connected microservice inherits the application's guards, and throwing there stops the bootstrap at the line
 * that needs the fix, before the microservice listens. Applications without this module pass through untouched.
 */
export function watchConnectedMicroservices(modules: ModulesContainer): void {
  checks.set(modules, (inherit) => checkConnection(modules, inherit));
  const prototype = NestApplication.prototype as NestApplication & { [WATCHING]?: true };
  if (prototype[WATCHING]) return;
  const connect = prototype.connectMicroservice;
  Object.defineProperty(prototype, WATCHING, { value: true });
  prototype.connectMicroservice = function (this: NestApplication, ...args: Parameters<NestApplication['connectMicroservice']>) {
    const container = (this as unknown as { container?: { getModules(): ModulesContainer } }).container;
    const check = container && checks.get(container.getModules());
    check?.(args[1]?.inheritAppConfig === true);
    return connect.apply(this, args);
  } as NestApplication['connectMicroservice'];
}

import type { ExecutionContext, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { MtlsConfig } from '../options/rs256-auth-config.js';
import { CERTIFICATE_BOUND_KEY } from '../rs256-auth.constants.js';

type Handler = ReturnType<ExecutionContext['getHandler']>;

// Decorator metadata is fixed once classes are defined: read once per route. By class, then method, since one
// method may serve several controllers (a base class's routes).
const reflector = new Reflector();
const routes = new WeakMap<Type, WeakMap<Handler, boolean>>();

function requiresBinding(controller: Type, handler: Handler): boolean {
  let byHandler = routes.get(controller);
  if (!byHandler) {
    byHandler = new WeakMap();
    routes.set(controller, byHandler);
  }
  let required = byHandler.get(handler);
  if (required === undefined) {
    required = reflector.getAllAndOverride<boolean | undefined>(CERTIFICATE_BOUND_KEY, [handler, controller]) === true;
    byHandler.set(handler, required);
  }
  return required;
}

/** `'required'` with no proxy: a route's own `@RequireCertificateBound()` where the module's check is off. */
const REQUIRED: MtlsConfig = Object.freeze({ bound: 'required' });
const tightened = new WeakMap<MtlsConfig, MtlsConfig>();

/**
 * The check in force on a route: the module's (`undefined` when off), or `'required'` where the route carries
 * `@RequireCertificateBound()`, keeping the module's certificate header and proxies.
 */
export function routeMtls(config: MtlsConfig | undefined, controller: Type, handler: Handler): MtlsConfig | undefined {
  if (config?.bound === 'required' || !requiresBinding(controller, handler)) {
    return config;
  }
  if (config === undefined) {
    return REQUIRED;
  }
  let required = tightened.get(config);
  if (!required) {
    required = Object.freeze({ ...config, bound: 'required' as const });
    tightened.set(config, required);
  }
  return required;
}

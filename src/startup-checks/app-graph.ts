import { GUARDS_METADATA } from '@nestjs/common/constants.js';
import type { Type } from '@nestjs/common';
import { APP_GUARD, type ModulesContainer } from '@nestjs/core';
import { JwtAuthGuard } from '../guard/jwt-auth.guard.js';

/** One module of the application, as Nest's container holds it. */
export type ModuleNode = ModulesContainer extends Map<string, infer M> ? M : never;

/** A method of a controller or provider class, with the class it belongs to. */
export interface ClassMethod {
  owner: Type;
  name: string;
  handler: (...args: unknown[]) => unknown;
}

/** The classes registered in `modules` (controllers or providers), each once; value providers are not classes. */
export function registeredClasses(modules: ModulesContainer, kind: 'controllers' | 'providers'): Type[] {
  const classes = new Set<Type>();
  for (const module of modules.values()) {
    for (const wrapper of module[kind].values()) {
      const metatype = wrapper.metatype as Type | null | undefined;
      if (typeof metatype === 'function' && metatype.prototype !== undefined && !wrapper.inject) classes.add(metatype);
    }
  }
  return [...classes];
}

/** Every method of `owner` and its base classes (a base class's handler is inherited), without the constructor. */
export function methodsOf(owner: Type): ClassMethod[] {
  const methods = new Map<string, ClassMethod>();
  for (let proto = owner.prototype as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (name !== 'constructor' && !methods.has(name) && typeof descriptor?.value === 'function') {
        methods.set(name, { owner, name, handler: descriptor.value as ClassMethod['handler'] });
      }
    }
  }
  return [...methods.values()];
}

/** True if `@UseGuards()` on `target` (a class or a method) names `JwtAuthGuard` or a subclass of it. */
export function usesJwtAuthGuard(target: object): boolean {
  const guards = (Reflect.getMetadata(GUARDS_METADATA, target) ?? []) as unknown[];
  return guards.some(
    (guard) => guard instanceof JwtAuthGuard || (typeof guard === 'function' && (guard === JwtAuthGuard || guard.prototype instanceof JwtAuthGuard)),
  );
}

/** True if `JwtAuthGuard` (or a subclass) is registered as an `APP_GUARD` provider in any module. */
export function isAppGuard(modules: ModulesContainer): boolean {
  for (const module of modules.values()) {
    for (const [token, wrapper] of module.providers) {
      // Nest registers each APP_GUARD provider under a token of its own: 'APP_GUARD (UUID: …)'.
      if (typeof token !== 'string' || !token.startsWith(APP_GUARD)) continue;
      const metatype = wrapper.metatype as Type | null | undefined;
      if (
        wrapper.instance instanceof JwtAuthGuard ||
        (typeof metatype === 'function' && (metatype === JwtAuthGuard || metatype.prototype instanceof JwtAuthGuard))
      ) {
        return true;
      }
    }
  }
  return false;
}

/** `Class.method` of each, at most `limit` of them, for a message. */
export function namedMethods(methods: readonly ClassMethod[], limit = 5): string {
  const names = methods.slice(0, limit).map((method) => `${method.owner.name}.${method.name}`);
  return methods.length > limit ? `${names.join(', ')} and ${methods.length - limit} more` : names.join(', ');
}

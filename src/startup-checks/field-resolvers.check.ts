import type { ModulesContainer } from '@nestjs/core';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import { OPTIONAL_AUTH_KEY, REQUIRED_CLAIMS_KEY } from '../rs256-auth.constants.js';
import { methodsOf, namedMethods, registeredClasses, usesJwtAuthGuard, type ClassMethod } from './app-graph.js';

// @nestjs/graphql's metadata keys and options token (graphql.constants), spelt out here: it is an optional peer,
// and an application without it has no field resolver to check.
const RESOLVER_PROPERTY_METADATA = 'graphql:resolve_property';
const GRAPHQL_MODULE_OPTIONS = 'GqlModuleOptions';

/** The part of `GqlModuleOptions` read here. */
interface GraphqlOptions {
  fieldResolverEnhancers?: readonly string[];
}

/** Whether `target` (a method, or the class) carries a decorator only a guard acts on. */
function asksForGuard(target: object): boolean {
  return (
    Reflect.getMetadata(REQUIRED_CLAIMS_KEY, target) !== undefined ||
    Reflect.getMetadata(OPTIONAL_AUTH_KEY, target) !== undefined ||
    usesJwtAuthGuard(target)
  );
}

/**
 * Field resolvers (`@ResolveField`) that carry a decorator only a guard acts on, on the method or on its `@Resolver`
 * class (which reads as covering the class's fields too): it does nothing unless guards run.
 */
function guardedFieldResolvers(modules: ModulesContainer): ClassMethod[] {
  return registeredClasses(modules, 'providers')
    .flatMap(methodsOf)
    .filter(
      ({ owner, handler }) => Reflect.getMetadata(RESOLVER_PROPERTY_METADATA, handler) === true && (asksForGuard(handler) || asksForGuard(owner)),
    );
}

/** The options of each GraphQL module of the application whose field resolvers run without guards. */
function unguardedFieldOptions(modules: ModulesContainer): GraphqlOptions[] {
  const options: GraphqlOptions[] = [];
  for (const module of modules.values()) {
    const instance = module.providers.get(GRAPHQL_MODULE_OPTIONS)?.instance as GraphqlOptions | undefined;
    if (instance && !(instance.fieldResolverEnhancers ?? []).includes('guards')) options.push(instance);
  }
  return options;
}

/**
 * `@nestjs/graphql` runs no guard on a field resolver unless its module options say
 * `fieldResolverEnhancers: ['guards']`: `@RequireClaims()`, `@OptionalAuth()` or `@UseGuards(JwtAuthGuard)` on a
 * `@ResolveField` method, or on the `@Resolver` class that holds one, would then be ignored for that field, and the field served to whoever reaches its parent. Refused at
 * start-up with the fix.
 */
export function checkFieldResolverGuards(modules: ModulesContainer): void {
  if (unguardedFieldOptions(modules).length === 0) return;
  const fields = guardedFieldResolvers(modules);
  if (fields.length === 0) return;
  throw new Rs256AuthError(
    'RS256_CONFIG_INVALID',
    `${namedMethods(fields)}: a @ResolveField with @RequireClaims, @OptionalAuth or @UseGuards(JwtAuthGuard) (on the method or its @Resolver class), but the ` +
      'GraphQL module runs no guard on field resolvers, so the field would be served without that check. Add ' +
      "fieldResolverEnhancers: ['guards'] to the GraphQLModule options, or move the requirement to the query that returns the type.",
  );
}

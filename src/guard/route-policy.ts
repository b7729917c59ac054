import type { ExecutionContext, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CERTIFICATE_BOUND_KEY, IS_PUBLIC_KEY, OPTIONAL_AUTH_KEY, REQUIRED_CLAIMS_KEY } from '../rs256-auth.constants.js';
import { listItems, type ClaimRequirement } from './claim-requirements.js';

/**
 * What a route's `@Public()`, `@OptionalAuth()`, `@RequireClaims()` and `@RequireCertificateBound()` (on its method or
 * its class) ask for.
 */
export interface RoutePolicy {
  /** `@Public()`: no token needed; the method's decorator overrides the class's. */
  readonly isPublic: boolean;
  /** `@OptionalAuth()`: a request without a token passes, one with a bad token does not. */
  readonly isOptional: boolean;
  /** The class's `@RequireClaims()` and then the method's; each must be met. */
  readonly requirements: readonly ClaimRequirement[];
  /** Every scope the requirements name (all-of and any-of lists alike), each once, in the order first named. */
  readonly scopes: readonly string[];
  /** `@RequireCertificateBound()`: certificate-bound tokens only (RFC 8705), whatever `JWT_MTLS_BOUND` says. */
  readonly certificateBound: boolean;
}

/** A route's method, as Nest hands it to guards. */
type Handler = ReturnType<ExecutionContext['getHandler']>;

// Decorator metadata is fixed once the classes are defined, so one route's policy is read once per process, whoever
// asks first: the guard on a request, the RFC 9728 document, or the OpenAPI document.
const reflector = new Reflector();
const policies = new WeakMap<Type, WeakMap<Handler, RoutePolicy>>();

function read(controller: Type, handler: Handler): RoutePolicy {
  const requirements = reflector
    .getAll<(ClaimRequirement | undefined)[]>(REQUIRED_CLAIMS_KEY, [controller, handler])
    .filter((requirement): requirement is ClaimRequirement => requirement !== undefined);
  const scopes = new Set(requirements.flatMap((requirement) => (requirement.scopes ? listItems(requirement.scopes).items : [])));
  return Object.freeze({
    isPublic: reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [handler, controller]) === true,
    isOptional: reflector.getAllAndOverride<boolean | undefined>(OPTIONAL_AUTH_KEY, [handler, controller]) === true,
    requirements: Object.freeze(requirements),
    scopes: Object.freeze([...scopes]),
    certificateBound: reflector.getAllAndOverride<boolean | undefined>(CERTIFICATE_BOUND_KEY, [handler, controller]) === true,
  });
}

/** The policy of the route `handler` of `controller` (a method and its class), read on first use and then kept. */
export function routePolicy(controller: Type, handler: Handler): RoutePolicy {
  let byHandler = policies.get(controller);
  if (!byHandler) {
    byHandler = new WeakMap();
    policies.set(controller, byHandler);
  }
  let policy = byHandler.get(handler);
  if (!policy) {
    policy = read(controller, handler);
    byHandler.set(handler, policy);
  }
  return policy;
}

import { Injectable, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { routePolicy } from '../guard/route-policy.js';

/** Every scope that some route's `@RequireClaims` names (all-of and any-of lists alike), sorted. */
@Injectable()
export class RouteScopes {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  collect(): string[] {
    const scopes = new Set<string>();
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as Type<object> | null;
      if (!controller) continue;
      for (const name of this.scanner.getAllMethodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, () => unknown>)[name];
        // A method's policy includes its class's requirements, so a class-level scope is found through any method.
        for (const scope of routePolicy(controller, handler).scopes) scopes.add(scope);
      }
    }
    return [...scopes].sort();
  }
}

import { Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { listItems, type ClaimRequirement } from '../guard/claim-requirements.js';
import { REQUIRED_CLAIMS_KEY } from '../rs256-auth.constants.js';

/** Every scope that some route's `@RequireClaims` names (all-of and any-of lists alike), sorted. */
@Injectable()
export class RouteScopes {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  collect(): string[] {
    const scopes = new Set<string>();
    const add = (requirement: ClaimRequirement | undefined): void => {
      if (requirement?.scopes) {
        for (const scope of listItems(requirement.scopes).items) scopes.add(scope);
      }
    };
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!controller) continue;
      add(this.reflector.get<ClaimRequirement | undefined>(REQUIRED_CLAIMS_KEY, controller));
      for (const name of this.scanner.getAllMethodNames(controller.prototype)) {
        add(this.reflector.get<ClaimRequirement | undefined>(REQUIRED_CLAIMS_KEY, (controller.prototype as Record<string, () => unknown>)[name]));
      }
    }
    return [...scopes].sort();
  }
}

import { Inject, Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { RS256_ALLOWED_JWT_SERVICES } from '../rs256-auth.constants.js';
import { StrictJwtService } from '../strict-jwt.service.js';
import { checkFieldResolverGuards } from './field-resolvers.check.js';
import { watchConnectedMicroservices } from './hybrid-microservices.check.js';
import { checkOneJwtService } from './jwt-service.check.js';

/**
 * Checks of the application around this module, which no setting of its own reveals: decorators that would be
 * silently ignored, or a `JwtService` that is not this module's. Each refuses start-up with `RS256_CONFIG_INVALID`,
 * naming the module or handler and the fix. They run in `onModuleInit`, when Nest has created every provider;
 * hybrid applications are checked when they connect a microservice, which comes after.
 */
@Injectable()
export class StartupChecks implements OnModuleInit {
  constructor(
    private readonly modules: ModulesContainer,
    @Inject(RS256_ALLOWED_JWT_SERVICES) private readonly allowedJwtServices: ReadonlyArray<Type | string>,
  ) {
    watchConnectedMicroservices(modules);
  }

  onModuleInit(): void {
    const own = new Set([...this.modules.values()].filter((module) => module.providers.has(StrictJwtService)));
    checkOneJwtService(this.modules, own, this.allowedJwtServices);
    checkFieldResolverGuards(this.modules);
  }
}

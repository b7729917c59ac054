import { ConfigurableModuleBuilder, type Type } from '@nestjs/common';
import { Rs256Strategy } from './guard/rs256.strategy.js';
import type { Rs256AuthModuleOptions } from './options/rs256-auth-options.interface.js';
import { RS256_ALLOWED_JWT_SERVICES, RS256_AUTH_MODULE_OPTIONS, RS256_STRATEGY_CLASS } from './rs256-auth.constants.js';

/** Options that shape the module itself rather than its behaviour. */
export interface Rs256AuthModuleExtras {
  /**
   * Register the module globally, so `JwtAuthGuard` and `JwtService` can be used in every module.
   * @env none: given in code only
   * @default true
   */
  isGlobal?: boolean;

  /**
   * A subclass of `Rs256Strategy` to use instead of it, typically overriding `validate(claims)` to turn verified
   * claims into the application's user (it may be async, and may return null to refuse the token). It may inject the
   * application's services through its constructor: list it in the providers of the module that provides them,
   * and the module uses that instance. Registered nowhere, it is created inside this module, with what this module
   * sees (global modules, `forRootAsync`'s `imports`).
   * @env none: a class, given in code only
   * @default Rs256Strategy
   * @example
   * @Injectable()
   * class UserStrategy extends Rs256Strategy {
   *   constructor(private readonly users: UsersRepository) { super(); }
   *   validate(claims: JwtClaims) { return this.users.findById(claims.sub); }
   * }
   * @Module({ imports: [Rs256AuthModule.forRoot({ strategy: UserStrategy })], providers: [UsersRepository, UserStrategy] })
   */
  strategy?: Type<Rs256Strategy>;

  /**
   * Modules allowed to hold a `JwtService` of their own, which start-up otherwise refuses (see "One `JwtService`
   * per application" in docs/issuing-tokens.md): for a third-party module that registers `JwtModule` privately for
   * its own tokens, which the application cannot edit. Each is the module class, or its name. The application's own
   * modules belong elsewhere: remove their `JwtModule`, or give a second `JwtService` a token of its own.
   * @env none: given in code only
   * @default [] (none)
   * @example
   * Rs256AuthModule.forRoot({ allowForeignJwtServices: [ThirdPartyAuditModule] })
   */
  allowForeignJwtServices?: ReadonlyArray<Type | string>;
}

export const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } = new ConfigurableModuleBuilder<Rs256AuthModuleOptions>({
  moduleName: 'Rs256Auth',
  optionsInjectionToken: RS256_AUTH_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  // The strategy is chosen here rather than in the module's static providers: extras are known when the module
  // is defined, for forRoot and forRootAsync alike.
  // A custom strategy is not registered here: it is usually registered by the application next to the services it
  // injects, and StrategyHost finds it there (or creates it, if the application registered it nowhere).
  .setExtras<Rs256AuthModuleExtras>({ isGlobal: true, allowForeignJwtServices: [] }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    providers: [
      ...(definition.providers ?? []),
      { provide: RS256_STRATEGY_CLASS, useValue: extras.strategy ?? Rs256Strategy },
      { provide: RS256_ALLOWED_JWT_SERVICES, useValue: extras.allowForeignJwtServices ?? [] },
      ...(extras.strategy ? [] : [Rs256Strategy]),
    ],
    exports: [...(definition.exports ?? []), ...(extras.strategy ? [] : [Rs256Strategy])],
  }))
  .build();

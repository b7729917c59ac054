import { ConfigurableModuleBuilder } from '@nestjs/common';
import { Rs256Strategy } from './guard/rs256.strategy.js';
import type { Rs256AuthModuleExtras, Rs256AuthModuleOptions } from './interfaces/rs256-auth-options.interface.js';
import { RS256_AUTH_MODULE_OPTIONS, RS256_STRATEGY_CLASS } from './rs256-auth.constants.js';

export const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } = new ConfigurableModuleBuilder<Rs256AuthModuleOptions>({
  moduleName: 'Rs256Auth',
  optionsInjectionToken: RS256_AUTH_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  // The strategy is chosen here rather than in the module's static providers: extras are known when the module
  // is defined, for forRoot and forRootAsync alike.
  // A custom strategy is not registered here: it is usually registered by the application next to the services it
  // injects, and StrategyHost finds it there (or creates it, if the application registered it nowhere).
  .setExtras<Rs256AuthModuleExtras>({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    providers: [
      ...(definition.providers ?? []),
      { provide: RS256_STRATEGY_CLASS, useValue: extras.strategy ?? Rs256Strategy },
      ...(extras.strategy ? [] : [Rs256Strategy]),
    ],
    exports: [...(definition.exports ?? []), ...(extras.strategy ? [] : [Rs256Strategy])],
  }))
  .build();

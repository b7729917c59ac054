import { ConfigurableModuleBuilder } from '@nestjs/common';
import { Rs256Strategy } from './guard/rs256.strategy.js';
import type { Rs256AuthModuleExtras, Rs256AuthModuleOptions } from './interfaces/rs256-auth-options.interface.js';
import { RS256_AUTH_MODULE_OPTIONS } from './rs256-auth.constants.js';

export const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } = new ConfigurableModuleBuilder<Rs256AuthModuleOptions>({
  moduleName: 'Rs256Auth',
  optionsInjectionToken: RS256_AUTH_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  // The strategy is chosen here rather than in the module's static providers: extras are known when the module
  // is defined, for forRoot and forRootAsync alike.
  .setExtras<Rs256AuthModuleExtras>({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    providers: [...(definition.providers ?? []), { provide: Rs256Strategy, useClass: extras.strategy ?? Rs256Strategy }],
  }))
  .build();

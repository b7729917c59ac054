import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { Rs256AuthModuleExtras, Rs256AuthModuleOptions } from './interfaces/rs256-auth-options.interface.js';
import { RS256_AUTH_MODULE_OPTIONS } from './rs256-auth.constants.js';

export const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } = new ConfigurableModuleBuilder<Rs256AuthModuleOptions>({
  moduleName: 'Rs256Auth',
  optionsInjectionToken: RS256_AUTH_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setExtras<Rs256AuthModuleExtras>({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

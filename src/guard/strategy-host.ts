import { Inject, Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Rs256AuthError, messageOf } from '../errors/rs256-auth.error.js';
import { RS256_STRATEGY_CLASS } from '../rs256-auth.constants.js';
import type { Rs256Strategy } from './rs256.strategy.js';

/**
 * Holds the strategy the guards of this module use. The strategy class (the `strategy` option) usually needs the
 * application's own services (a users repository), which this module cannot see; so the instance is looked up
 * wherever the application registered the class, and only when it registered it nowhere is it created here, with
 * what this module sees (its own providers, global modules, and `forRootAsync`'s `imports`).
 *
 * The look-up happens in `onModuleInit`: by then Nest has created every provider of every module, and no request
 * has been served yet.
 */
@Injectable()
export class StrategyHost implements OnModuleInit {
  private instance?: Rs256Strategy;

  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(RS256_STRATEGY_CLASS) private readonly strategyClass: Type<Rs256Strategy>,
  ) {}

  async onModuleInit(): Promise<void> {
    let registered: Rs256Strategy | undefined;
    try {
      registered = this.moduleRef.get(this.strategyClass, { strict: false });
    } catch {
      // Not a provider of any module: created below.
    }
    try {
      this.instance = registered ?? (await this.moduleRef.create(this.strategyClass));
    } catch (error) {
      throw new Rs256AuthError(
        'RS256_CONFIG_INVALID',
        `strategy option: ${this.strategyClass.name} could not be created (${messageOf(error)}). ` +
          'Add it to the providers of the module that provides its dependencies, or import that module through forRootAsync({ imports }).',
        { cause: error },
      );
    }
  }

  /** The strategy in force; available from module initialisation on. */
  get strategy(): Rs256Strategy {
    if (!this.instance) {
      throw new Rs256AuthError('RS256_CONFIG_INVALID', 'strategy option: the strategy was used before the module was initialised.');
    }
    return this.instance;
  }
}

import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Req,
  UseGuards,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  type Type,
} from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { JwtModule } from '@nestjs/jwt';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy as PassportJwtStrategy } from 'passport-jwt';
import { JwtAuthGuard, Rs256AuthModule } from '../src/index.js';

export type Variant = 'library' | 'recipe';

const RECIPE_PUBLIC_PEM = 'BENCH:RECIPE_PUBLIC_PEM';

/**
 * The usual recipe from blog posts and the NestJS docs, adapted to RS256: PEM strings handed to `JwtModule` and
 * to a passport-jwt strategy, which passes them to jsonwebtoken on every call.
 */
@Injectable()
class RecipeJwtStrategy extends PassportStrategy(PassportJwtStrategy, 'jwt') {
  constructor(@Inject(RECIPE_PUBLIC_PEM) publicPem: string) {
    super({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: publicPem, algorithms: ['RS256'] });
  }

  validate(payload: unknown): unknown {
    return payload;
  }
}

export const RecipeGuard = AuthGuard('jwt');

function guardOf(variant: Variant): Type<CanActivate> {
  return variant === 'library' ? JwtAuthGuard : RecipeGuard;
}

/** The same two routes for both variants: one public, one behind the variant's guard. */
function benchController(variant: Variant): Type<unknown> {
  @Controller()
  class BenchController {
    @Get('public')
    open(): { ok: boolean } {
      return { ok: true };
    }

    @UseGuards(guardOf(variant))
    @Get('guarded')
    guarded(@Req() request: { user: { sub: string } }): { sub: string } {
      return { sub: request.user.sub };
    }
  }
  return BenchController;
}

export interface BenchAppOptions {
  variant: Variant;
  privatePem: string;
  publicPem: string;
  privatePath: string;
  publicPath: string;
  /** The library's verified-token cache; its default when left out. */
  cacheSize?: number;
}

export function benchModule(options: BenchAppOptions): DynamicModule {
  @Module({})
  class BenchModule {}
  const imports =
    options.variant === 'library'
      ? [Rs256AuthModule.forRoot({ privateKeyPath: options.privatePath, publicKeyPath: options.publicPath, cacheSize: options.cacheSize })]
      : [
          PassportModule,
          JwtModule.register({
            privateKey: options.privatePem,
            publicKey: options.publicPem,
            signOptions: { algorithm: 'RS256', expiresIn: '15m' },
          }),
        ];
  return {
    module: BenchModule,
    imports,
    controllers: [benchController(options.variant)],
    providers: options.variant === 'recipe' ? [{ provide: RECIPE_PUBLIC_PEM, useValue: options.publicPem }, RecipeJwtStrategy] : [],
  };
}

/**
 * An HTTP execution context for calling a guard directly: Nest's own `ExecutionContextHost`, built as its router
 * builds one for the guarded route, so that what a guard costs to read it is what it costs in an application.
 */
export function httpContext(request: object, response: object): ExecutionContext {
  const controller = benchController('library');
  const handler = (controller.prototype as { guarded: () => unknown }).guarded;
  return new ExecutionContextHost([request, response, undefined], controller, handler);
}

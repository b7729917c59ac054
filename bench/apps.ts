import type { MeterProvider } from '@opentelemetry/api';
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
  type OnApplicationBootstrap,
  type Type,
} from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { JwtModule } from '@nestjs/jwt';
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy as PassportJwtStrategy } from 'passport-jwt';
import { JwtAuthGuard, Rs256AuthModule, SessionService } from '../src/index.js';

/**
 * The apps the bench builds, each a module with a `/public` route and one or more guarded routes:
 * - `library`: this library with its defaults, `/guarded` behind `JwtAuthGuard`;
 * - `library-off-thread`: the same with `verifyOffThread`, signatures of new tokens checked on libuv's thread pool;
 * - `library-revocation`: the same with sessions on (memory store) and {@link REVOKED_TOKENS} revocations in force,
 *   so every request also runs the revocation check;
 * - `recipe`: the usual recipe (see `RecipeJwtStrategy`), `/guarded` behind `AuthGuard('jwt')`;
 * - `verify-forms`: no JWT library at all, only `crypto.verify` on the bearer token, synchronous on `/sync` and in its
 *   callback form (libuv's thread pool) on `/async`: what moving verification off the main thread can gain at most;
 *   and on `/assign` a guard that only sets `request.user` and `request.authInfo`, the ceiling for a reused token.
 *
 * Another app is one name here and one case in `benchModule`, then a server plan in `http.ts` (`HTTP_SERVERS`) and,
 * if it has a goal, a line in `run.ts`.
 */
export type Variant = 'library' | 'library-off-thread' | 'library-revocation' | 'recipe' | 'verify-forms';

/** Revocations in force in the `library-revocation` app: none of them is a token the bench sends. */
const REVOKED_TOKENS = 10_000;

/** Fills the revocation list before the app serves, so the check runs against a list of realistic size. */
@Injectable()
class RevokedTokens implements OnApplicationBootstrap {
  constructor(private readonly sessions: SessionService) {}

  async onApplicationBootstrap(): Promise<void> {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    for (let i = 0; i < REVOKED_TOKENS; i++) {
      await this.sessions.revokeToken(`revoked-${i}`, exp);
    }
  }
}

const RECIPE_PUBLIC_PEM = 'BENCH:RECIPE_PUBLIC_PEM';
const BENCH_PUBLIC_KEY = 'BENCH:PUBLIC_KEY';

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

/** The signing input and the decoded signature of the request's bearer token; no other check. */
function signedParts(context: ExecutionContext): { input: Buffer; signature: Buffer } {
  const header = context.switchToHttp().getRequest<{ headers: { authorization?: string } }>().headers.authorization ?? '';
  const dot = header.lastIndexOf('.');
  return { input: Buffer.from(header.slice('Bearer '.length, dot), 'latin1'), signature: Buffer.from(header.slice(dot + 1), 'base64url') };
}

/** `crypto.verify` on the main thread, as the library calls it. */
@Injectable()
class SyncVerifyGuard implements CanActivate {
  constructor(@Inject(BENCH_PUBLIC_KEY) private readonly key: KeyObject) {}

  canActivate(context: ExecutionContext): boolean {
    const { input, signature } = signedParts(context);
    return verify('sha256', input, this.key, signature);
  }
}

/** `crypto.verify` with a callback: the RSA operation runs on libuv's thread pool. */
@Injectable()
class AsyncVerifyGuard implements CanActivate {
  constructor(@Inject(BENCH_PUBLIC_KEY) private readonly key: KeyObject) {}

  canActivate(context: ExecutionContext): Promise<boolean> {
    const { input, signature } = signedParts(context);
    return new Promise((done, fail) => verify('sha256', input, this.key, signature, (error, valid) => (error ? fail(error) : done(valid))));
  }
}

/** Claims for `AssignUserGuard` to hand out: any object serves, nothing reads them. */
const ASSIGNED_CLAIMS = Object.freeze({ sub: 'bench' });

/**
 * Does what every passport-style guard does on success, and nothing else: `request.user` and `request.authInfo` set.
 * Its ratio to the public route is the most a guard that sets them can reach, whatever it checks.
 */
@Injectable()
class AssignUserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.getArgByIndex<{ user?: unknown; authInfo?: unknown }>(0);
    request.authInfo = ASSIGNED_CLAIMS;
    request.user = ASSIGNED_CLAIMS;
    return true;
  }
}

function guardOf(variant: 'library' | 'recipe'): Type<CanActivate> {
  return variant === 'library' ? JwtAuthGuard : RecipeGuard;
}

/**
 * The same two routes for the library and the recipe: one public, one behind the variant's guard. Both handlers have
 * the same shape (a `@Req()` parameter, a small object back), so that guarded ÷ public is the guard's cost alone: a
 * parameter costs Nest some work per request (its pipes, an await), which a handler without one skips.
 */
function benchController(variant: 'library' | 'recipe'): Type<unknown> {
  @Controller()
  class BenchController {
    @Get('public')
    open(@Req() request: { method: string }): { method: string } {
      return { method: request.method };
    }

    @UseGuards(guardOf(variant))
    @Get('guarded')
    guarded(@Req() request: { user: { sub: string } }): { sub: string } {
      return { sub: request.user.sub };
    }
  }
  return BenchController;
}

/** Its handlers have the shape of the library's (see `benchController`), so a bare guard and the library's differ by the guard alone. */
@Controller()
class VerifyFormsController {
  @Get('public')
  open(@Req() request: { method: string }): { method: string } {
    return { method: request.method };
  }

  @UseGuards(SyncVerifyGuard)
  @Get('sync')
  sync(@Req() request: { method: string }): { method: string } {
    return { method: request.method };
  }

  @UseGuards(AsyncVerifyGuard)
  @Get('async')
  async(@Req() request: { method: string }): { method: string } {
    return { method: request.method };
  }

  @UseGuards(AssignUserGuard)
  @Get('assign')
  assign(@Req() request: { method: string }): { method: string } {
    return { method: request.method };
  }
}

export interface BenchAppOptions {
  variant: Variant;
  privatePem: string;
  publicPem: string;
  privatePath: string;
  publicPath: string;
  /** The library's verified-token cache; its default when left out. */
  cacheSize?: number;
  /** Where the library's metrics go (an OpenTelemetry SDK's); the global, no-op one when left out. */
  meterProvider?: MeterProvider;
}

export function benchModule(options: BenchAppOptions): DynamicModule {
  @Module({})
  class BenchModule {}
  switch (options.variant) {
    case 'library':
    case 'library-off-thread':
    case 'library-revocation':
      return {
        module: BenchModule,
        imports: [
          Rs256AuthModule.forRoot({
            keys: { privateKeyPath: options.privatePath, publicKeyPath: options.publicPath },
            verification: { cacheSize: options.cacheSize, offThread: options.variant === 'library-off-thread' },
            observability: { meterProvider: options.meterProvider },
            sessions: options.variant === 'library-revocation',
          }),
        ],
        controllers: [benchController('library')],
        providers: options.variant === 'library-revocation' ? [RevokedTokens] : [],
      };
    case 'recipe':
      return {
        module: BenchModule,
        imports: [
          PassportModule,
          JwtModule.register({
            privateKey: options.privatePem,
            publicKey: options.publicPem,
            signOptions: { algorithm: 'RS256', expiresIn: '15m' },
          }),
        ],
        controllers: [benchController('recipe')],
        providers: [{ provide: RECIPE_PUBLIC_PEM, useValue: options.publicPem }, RecipeJwtStrategy],
      };
    case 'verify-forms':
      return {
        module: BenchModule,
        controllers: [VerifyFormsController],
        providers: [{ provide: BENCH_PUBLIC_KEY, useValue: createPublicKey(options.publicPem) }, SyncVerifyGuard, AsyncVerifyGuard, AssignUserGuard],
      };
  }
}

/** One controller for every context, as in an app: the guard reads each route's metadata once, not once per context. */
const CONTEXT_CONTROLLER = benchController('library');
/** Its guarded route's handler, which every context the bench builds names. */
const GUARDED_HANDLER = (CONTEXT_CONTROLLER.prototype as { guarded: () => unknown }).guarded;

/**
 * An HTTP execution context for calling a guard directly: Nest's own `ExecutionContextHost`, built as its router
 * builds one for the guarded route, so that what a guard costs to read it is what it costs in an application.
 */
export function httpContext(request: object, response: object): ExecutionContext {
  return new ExecutionContextHost([request, response, undefined], CONTEXT_CONTROLLER, GUARDED_HANDLER);
}

/** The transports other than HTTP, by their `ExecutionContext` type. */
export type OtherTransport = 'graphql' | 'ws' | 'rpc';

/**
 * A context of another transport for the same guarded handler and token, with the arguments Nest hands that
 * transport's handlers: a GraphQL resolver's (root, args, context holding the HTTP request, info), a socket.io gateway
 * message's (client, whose handshake request carries the header; data) and a microservice message's (data with its
 * `authorization` field; the transport's context, which receives the claims).
 */
export function transportContext(transport: OtherTransport, token: string): ExecutionContext {
  const authorization = `Bearer ${token}`;
  const args: Record<OtherTransport, unknown[]> = {
    graphql: [undefined, {}, { req: { headers: { authorization } } }, {}],
    ws: [{ request: { headers: { authorization } }, handshake: { auth: {} }, emit: () => true, disconnect: () => undefined }, {}],
    rpc: [{ authorization }, {}],
  };
  const context = new ExecutionContextHost(args[transport], CONTEXT_CONTROLLER, GUARDED_HANDLER);
  context.setType(transport);
  return context;
}

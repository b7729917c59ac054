import { RequestMethod, type INestApplicationContext, type Type } from '@nestjs/common';
import { GUARDS_METADATA, HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { APP_GUARD, MetadataScanner, ModulesContainer } from '@nestjs/core';
import { DECORATORS, type DocumentBuilder } from '@nestjs/swagger';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { findUnmetRequirement, listItems, type ClaimList, type ClaimRequirement } from '../guard/claim-requirements.js';
import { JwtAuthGuard } from '../guard/jwt-auth.guard.js';
import { routePolicy } from '../guard/route-policy.js';
import { wwwAuthenticate } from '../guard/www-authenticate.js';
import { RS256_AUTH_CONFIG } from '../rs256-auth.constants.js';

/** Options of `addRs256Auth`. */
export interface Rs256OpenApiOptions {
  /**
   * Name of the security scheme in `components.securitySchemes`, referenced by every guarded operation.
   * @default 'rs256-jwt'
   */
  schemeName?: string;
}

type SecuritySchemeObject = Parameters<DocumentBuilder['addSecurity']>[1];
type Handler = (...args: never[]) => unknown;

type ResponsesMetadata = Record<string, { description?: string; headers?: Record<string, unknown> }>;

/**
 * The response entries this function wrote. They are replaced on the next call (another app over the same
 * controllers may have another realm or scheme); entries the application wrote itself are left alone.
 */
const documentedResponses = new WeakSet<object>();

/** Sets a response entry unless the application documented that status itself. */
function setResponse(responses: ResponsesMetadata, status: string, entry: ResponsesMetadata[string] | undefined): void {
  const current = responses[status];
  if (current !== undefined && !documentedResponses.has(current)) return;
  if (entry === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- `responses` is OpenAPI's map of status codes.
    delete responses[status];
    return;
  }
  documentedResponses.add(entry);
  responses[status] = entry;
}

const isJwtAuthGuard = (guard: unknown): boolean =>
  guard instanceof JwtAuthGuard || (typeof guard === 'function' && (guard === JwtAuthGuard || guard.prototype instanceof JwtAuthGuard));

/** True when an `APP_GUARD` provider of any module is a `JwtAuthGuard`: every route is guarded unless `@Public()`. */
function hasGlobalJwtGuard(modules: ModulesContainer): boolean {
  for (const module of modules.values()) {
    for (const [token, wrapper] of module.providers) {
      // Nest registers each APP_GUARD provider under a token of its own, "APP_GUARD (UUID: …)".
      if (typeof token === 'string' && token.startsWith(APP_GUARD) && isJwtAuthGuard(wrapper.instance ?? wrapper.metatype)) {
        return true;
      }
    }
  }
  return false;
}

/** The security scheme clients are told to use: HTTP bearer, or for another scheme the raw Authorization header. */
function securityScheme(config: Rs256AuthConfig): SecuritySchemeObject {
  const cookie = config.cookieName ? ` The \`${config.cookieName}\` cookie is accepted too when no header is sent.` : '';
  if (config.authScheme.toLowerCase() === 'bearer') {
    return {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: `An RS256 JWT, sent as \`Authorization: Bearer <token>\`.${cookie}`,
    };
  }
  // OpenAPI's http type names IANA-registered schemes; any other (Flask-JWT's `JWT`) is described as the header.
  return {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: `An RS256 JWT, sent as \`Authorization: ${config.authScheme} <token>\` (enter the scheme too).${cookie}`,
  };
}

/** The response a route documents when it had none: without it, adding 401 would hide the success response. */
function defaultSuccess(handler: Handler): ResponsesMetadata {
  const code = Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined;
  const status = code ?? (Reflect.getMetadata(METHOD_METADATA, handler) === RequestMethod.POST ? 201 : 200);
  return { [status]: { description: '' } };
}

function challengeHeader(description: string, example: string): Record<string, unknown> {
  return { 'WWW-Authenticate': { description, schema: { type: 'string', example } } };
}

/**
 * Documents RS256 authentication in an OpenAPI document made by `@nestjs/swagger`, in one call before
 * `SwaggerModule.createDocument`: registers the security scheme on the builder and, on every route the module's
 * `JwtAuthGuard` protects (per route with `@UseGuards`, or app-wide as `APP_GUARD`) and that is not `@Public()`,
 * a security requirement listing the scopes of its `@RequireClaims`, a 401 response and, when the route has
 * requirements, a 403 response, each with its `WWW-Authenticate` challenge.
 *
 * Call it after the application is created (`NestFactory.create`) and before `createDocument`.
 * @example
 * const config = addRs256Auth(app, new DocumentBuilder().setTitle('Orders')).build();
 * SwaggerModule.setup('docs', app, SwaggerModule.createDocument(app, config));
 */
export function addRs256Auth<T extends DocumentBuilder>(app: INestApplicationContext, builder: T, options: Rs256OpenApiOptions = {}): T {
  const name = options.schemeName ?? 'rs256-jwt';
  const config = app.get<Rs256AuthConfig>(RS256_AUTH_CONFIG, { strict: false });
  const modules = app.get(ModulesContainer);
  const scanner = new MetadataScanner();
  const global = hasGlobalJwtGuard(modules);
  const { authScheme } = config;

  for (const module of modules.values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type<unknown> | null;
      if (!controller) continue;
      const classGuards = (Reflect.getMetadata(GUARDS_METADATA, controller) as unknown[] | undefined) ?? [];
      for (const methodName of scanner.getAllMethodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[methodName] as Handler;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const methodGuards = (Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[] | undefined) ?? [];
        const guarded = global || [...classGuards, ...methodGuards].some(isJwtAuthGuard);
        const policy = routePolicy(controller, handler);
        if (!guarded || policy.isPublic) continue;
        const { requirements, scopes } = policy;

        // Written as metadata rather than through ApiSecurity/ApiResponse, which append: calling this twice (two
        // documents, two apps over the same controllers) must not list the requirement twice.
        const security = ((Reflect.getMetadata(DECORATORS.API_SECURITY, handler) as Record<string, string[]>[] | undefined) ?? []).filter(
          (entry) => !(name in entry) && Object.keys(entry).length > 0,
        );
        // @OptionalAuth(): the empty requirement is OpenAPI's way of saying "or no token at all".
        Reflect.defineMetadata(DECORATORS.API_SECURITY, [...security, { [name]: [...scopes] }, ...(policy.isOptional ? [{}] : [])], handler);

        const responses: ResponsesMetadata =
          (Reflect.getMetadata(DECORATORS.API_RESPONSE, handler) as ResponsesMetadata | undefined) ?? defaultSuccess(handler);
        setResponse(responses, '401', {
          description: 'No token, or the token was refused (expired, bad signature, wrong issuer or audience, ...)',
          headers: challengeHeader(
            `The ${authScheme} challenge; error_description says why the token was refused`,
            wwwAuthenticate(config, { reason: 'invalid_token', description: 'token expired' }),
          ),
        });
        const unmet = findUnmetRequirement({}, requirements, config.claimPaths);
        setResponse(
          responses,
          '403',
          unmet
            ? {
                description: `Valid token without what the route requires: ${requirements.map(describeRequirement).join('; ')}`,
                headers: challengeHeader(
                  'The insufficient_scope challenge naming what is missing',
                  wwwAuthenticate(config, { reason: 'insufficient_scope', description: unmet.description, scope: unmet.scope }),
                ),
              }
            : undefined,
        );
        Reflect.defineMetadata(DECORATORS.API_RESPONSE, responses, handler);
      }
    }
  }
  builder.addSecurity(name, securityScheme(config));
  return builder;
}

/** `scopes a, b` for all of a list, `one of scopes a, b` for any of it; empty for an empty list. */
function describeList(name: string, list: ClaimList | undefined): string | undefined {
  if (list === undefined) return undefined;
  const { items, any } = listItems(list);
  return items.length > 0 ? `${any ? 'one of ' : ''}${name} ${items.join(', ')}` : undefined;
}

function describeRequirement(requirement: ClaimRequirement): string {
  const parts: string[] = [];
  for (const part of [describeList('scopes', requirement.scopes), describeList('roles', requirement.roles)]) {
    if (part) parts.push(part);
  }
  for (const [claim, value] of Object.entries(requirement.claims ?? {})) parts.push(`claim ${claim} = ${JSON.stringify(value)}`);
  return parts.join(', ');
}

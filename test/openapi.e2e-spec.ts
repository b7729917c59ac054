import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { addRs256Auth } from '../src/openapi/index.js';
import { createApp, WIRINGS, type GuardScope } from './fixtures/app.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { DIST } from './support/paths.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

type Operation = {
  security?: Record<string, string[]>[];
  responses: Record<string, { description: string; headers?: Record<string, { schema: { example: string } }> }>;
};

const get = (document: OpenAPIObject, path: string): Operation => document.paths[path]!.get as unknown as Operation;
const challengeOf = (operation: Operation, status: string): string | undefined =>
  operation.responses[status]?.headers?.['WWW-Authenticate']?.schema.example;

function documentOf(app: INestApplication): OpenAPIObject {
  return SwaggerModule.createDocument(app, addRs256Auth(app, new DocumentBuilder().setTitle('test')).build());
}

const SCOPES: [GuardScope, (typeof WIRINGS)[number]][] = (['route', 'global'] as GuardScope[]).flatMap((guard) =>
  WIRINGS.map((wiring): [GuardScope, (typeof WIRINGS)[number]] => [guard, wiring]),
);

describe.each(SCOPES)('addRs256Auth documents the guard in OpenAPI (%s guard, %s)', (guard, wiring) => {
  let app: INestApplication;
  let document: OpenAPIObject;

  beforeAll(async () => {
    ({ app } = await createApp({ guard, wiring, env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_REALM: 'orders' } }));
    document = documentOf(app);
  });
  afterAll(() => app?.close());

  it('registers the bearer security scheme', () => {
    expect(document.components?.securitySchemes?.['rs256-jwt']).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  });

  it('puts a security requirement with the @RequireClaims scopes on guarded routes', () => {
    expect(get(document, '/orders').security).toEqual([{ 'rs256-jwt': ['orders:read'] }]);
    expect(get(document, '/profile').security).toEqual([{ 'rs256-jwt': [] }]);
    expect(get(document, '/admin').security).toEqual([{ 'rs256-jwt': [] }]);
  });

  it('marks @OptionalAuth() routes as taking a token or none (an empty requirement beside the scheme)', () => {
    expect(get(document, '/greeting').security).toEqual([{ 'rs256-jwt': [] }, {}]);
  });

  it('leaves @Public() routes without any', () => {
    expect(get(document, '/health').security).toBeUndefined();
    expect(get(document, '/health').responses['401']).toBeUndefined();
    if (guard === 'global') {
      expect(get(document, '/open').security).toBeUndefined();
    }
  });

  it('documents 401 with its challenge on every guarded route, 403 where the route has requirements, and keeps 200', () => {
    for (const path of ['/profile', '/orders', '/admin', '/user']) {
      expect(get(document, path).responses['200']).toBeDefined();
      expect(challengeOf(get(document, path), '401')).toBe('Bearer realm="orders", error="invalid_token", error_description="token expired"');
    }
    expect(get(document, '/profile').responses['403']).toBeUndefined();
    expect(challengeOf(get(document, '/orders'), '403')).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="missing scope orders:read", scope="orders:read"',
    );
    expect(get(document, '/admin').responses['403'].description).toContain('roles admin, claim tenant = "acme"');
  });

  it('gives the same document when called again (nothing listed twice)', () => {
    expect(documentOf(app)).toEqual(document);
  });
});

describe('addRs256Auth with JWT_AUTH_SCHEME=JWT', () => {
  it('describes the Authorization header with that scheme, and challenges name it', async () => {
    const { app } = await createApp({ env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_AUTH_SCHEME: 'JWT', JWT_COOKIE_NAME: 'access_token' } });
    // The fixture's controllers were documented above with another realm and scheme: this call must update them.
    try {
      const document = documentOf(app);
      const scheme = document.components?.securitySchemes?.['rs256-jwt'];
      expect(scheme).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization' });
      expect((scheme as { description: string }).description).toMatch(/Authorization: JWT <token>.*access_token/);
      expect(challengeOf(get(document, '/profile'), '401')).toMatch(/^JWT realm="api", error="invalid_token"/);
    } finally {
      await app.close();
    }
  });
});

describe('the main entry point', () => {
  /** Imports a built entry point in a Node process where @nestjs/swagger cannot be resolved, as in an app without it. */
  function importWithoutSwagger(entry: string): { status: number | null; stderr: string } {
    const hooks = `export async function resolve(specifier, context, next) {
      if (specifier === '@nestjs/swagger' || specifier.startsWith('@nestjs/swagger/')) throw new Error('@nestjs/swagger is not installed');
      return next(specifier, context);
    }`;
    const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(register)}`,
        '--input-type=module',
        '-e',
        `await import(${JSON.stringify(join(DIST, entry))});`,
      ],
      { encoding: 'utf8' },
    );
    return { status: result.status, stderr: result.stderr };
  }

  it('loads without @nestjs/swagger installed; only nestjs-rs256-auth/swagger needs it', () => {
    expect(importWithoutSwagger('index.js')).toEqual({ status: 0, stderr: '' });
    const swagger = importWithoutSwagger('openapi/index.js');
    expect(swagger.status).not.toBe(0);
    expect(swagger.stderr).toContain('@nestjs/swagger is not installed');
  });
});
